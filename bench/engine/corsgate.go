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
// internal/dataplane/cors.go and serve.go (evaluate, answerPreflight,
// setActualHeaders, mergeVary, writeText/writeLine) step for step, minus
// routing and proxying: EvaluateHeader on the request's own header map
// into a Decision on the stack, then either answer the preflight or set
// the actual-request headers and call Next.
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

// denyBodies mirrors the dataplane's: the denied-preflight body, newline
// included, per engine reason, built once.
var denyBodies = func() (b [32]string) {
	for i := range b {
		b[i] = preflightDeny + policy.Reason(i).String() + "\n"
	}
	return b
}()

// ServeHTTP answers a preflight locally or decorates and forwards an actual
// request, as internal/dataplane does.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var d policy.Decision
	g.Policy.EvaluateHeader(r.Method, r.Header, &d)
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
	mergeVary(h, d.Vary)
	set(h, policy.HeaderAllowOrigin, d.AllowOrigin)
	set(h, policy.HeaderAllowCredentials, d.AllowCredentials)
	set(h, policy.HeaderAllowMethods, d.AllowMethods)
	set(h, policy.HeaderAllowHeaders, d.AllowHeaders)
	set(h, policy.HeaderExposeHeaders, d.ExposeHeaders)
	set(h, policy.HeaderMaxAge, d.MaxAge)
	set(h, policy.HeaderAllowPrivateNetwork, d.AllowPrivateNetwork)
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
	if int(d.Reason) < len(denyBodies) {
		writeLine(w, status, denyBodies[d.Reason])
		return
	}
	writeLine(w, status, preflightDeny+d.Reason.String()+"\n")
}

// setActualHeaders mirrors dataplane.setActualHeaders.
func setActualHeaders(h http.Header, d *policy.Decision) {
	if len(h) != 0 {
		for _, name := range policy.ResponseHeaderNames {
			delete(h, name)
		}
	}
	mergeVary(h, d.Vary)
	set(h, policy.HeaderAllowOrigin, d.AllowOrigin)
	set(h, policy.HeaderAllowCredentials, d.AllowCredentials)
	set(h, policy.HeaderExposeHeaders, d.ExposeHeaders)
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
	if len(h) == 0 {
		h[policy.HeaderVary] = add
		return
	}
	mergeVaryInto(h, add)
}

// mergeVaryInto mirrors dataplane.mergeVaryInto: mergeVary for a non-empty
// add and header map.
func mergeVaryInto(h http.Header, add []string) {
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

// writeLine mirrors dataplane.writeLine: a text/plain body that already
// ends in a newline, written at once.
func writeLine(w http.ResponseWriter, status int, line string) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	_, _ = io.WriteString(w, line)
}

var _ http.Handler = (*Gate)(nil)
