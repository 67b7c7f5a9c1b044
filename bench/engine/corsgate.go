// Package engine puts corsgate's CORS engine and two peer libraries,
// github.com/rs/cors and github.com/jub0bs/cors, behind the same
// http.Handler shape so that one benchmark measures all three on the same
// requests. See docs/performance.md for the method.
package engine

import (
	"io"
	"net/http"
	"strings"

	"github.com/corsgate/corsgate/internal/policy"
)

// Gate is corsgate's engine as an http.Handler middleware. It mirrors
// internal/dataplane/cors.go and serve.go (answerPreflight, setActualHeaders,
// mergeVary, writeText) step for step, minus routing and proxying: build the
// policy.Request from the request's own header slices, Evaluate, then either
// answer the preflight or set the actual-request headers and call Next.
type Gate struct {
	Policy *policy.Policy
	Next   http.Handler
}

// Values the dataplane writes on its own responses; len == cap.
var (
	textPlain = []string{"text/plain; charset=utf-8"}
	noSniff   = []string{"nosniff"}
)

const preflightDeny = "CORS preflight denied: "

// ServeHTTP answers a preflight locally or decorates and forwards an actual
// request, as internal/dataplane does.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := policy.Request{
		Method:                r.Method,
		Origin:                r.Header[policy.HeaderOrigin],
		RequestMethod:         r.Header[policy.HeaderRequestMethod],
		RequestHeaders:        r.Header[policy.HeaderRequestHeaders],
		RequestPrivateNetwork: r.Header[policy.HeaderRequestPrivateNetwork],
	}
	d := g.Policy.Evaluate(&req)
	if d.Preflight && !d.Forward {
		answerPreflight(w, &d)
		return
	}
	// The dataplane applies these to the upstream response headers in
	// ModifyResponse; a middleware applies them before the handler runs.
	setActualHeaders(w.Header(), &d)
	g.Next.ServeHTTP(w, r)
}

// answerPreflight mirrors dataplane.(*Gateway).answerPreflight.
func answerPreflight(w http.ResponseWriter, d *policy.Decision) {
	h := w.Header()
	set(h, policy.HeaderAllowOrigin, d.AllowOrigin)
	set(h, policy.HeaderAllowCredentials, d.AllowCredentials)
	set(h, policy.HeaderAllowMethods, d.AllowMethods)
	set(h, policy.HeaderAllowHeaders, d.AllowHeaders)
	set(h, policy.HeaderExposeHeaders, d.ExposeHeaders)
	set(h, policy.HeaderMaxAge, d.MaxAge)
	set(h, policy.HeaderAllowPrivateNetwork, d.AllowPrivateNetwork)
	mergeVary(h, d.Vary)
	status := d.Status
	if status == 0 {
		status = http.StatusForbidden
		if d.Allowed {
			status = http.StatusNoContent
		}
	}
	if status < http.StatusBadRequest {
		w.WriteHeader(status)
		return
	}
	writeText(w, status, preflightDeny+d.Reason.String())
}

// setActualHeaders mirrors dataplane.setActualHeaders.
func setActualHeaders(h http.Header, d *policy.Decision) {
	for _, name := range policy.ResponseHeaderNames {
		delete(h, name)
	}
	set(h, policy.HeaderAllowOrigin, d.AllowOrigin)
	set(h, policy.HeaderAllowCredentials, d.AllowCredentials)
	set(h, policy.HeaderExposeHeaders, d.ExposeHeaders)
	mergeVary(h, d.Vary)
}

func set(h http.Header, name string, v []string) {
	if v != nil {
		h[name] = v
	}
}

// mergeVary mirrors dataplane.mergeVary: assign when h has no Vary,
// otherwise add the missing tokens (case-insensitive) into one line.
func mergeVary(h http.Header, add []string) {
	if len(add) == 0 {
		return
	}
	have := h[policy.HeaderVary]
	if len(have) == 0 {
		h[policy.HeaderVary] = add
		return
	}
	all := strings.Join(have, ", ")
	if hasToken(all, "*") {
		return
	}
	out := all
	for _, line := range add {
		for tok := range strings.SplitSeq(line, ",") {
			tok = strings.TrimSpace(tok)
			if tok != "" && !hasToken(out, tok) {
				out += ", " + tok
			}
		}
	}
	if out != all || len(have) > 1 {
		h[policy.HeaderVary] = []string{out}
	}
}

func hasToken(line, tok string) bool {
	for t := range strings.SplitSeq(line, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// writeText mirrors dataplane.writeText.
func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	_, _ = io.WriteString(w, "\n")
}

var _ http.Handler = (*Gate)(nil)
