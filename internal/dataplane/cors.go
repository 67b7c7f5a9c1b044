package dataplane

import (
	"net/http"
	"strings"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// Header values the gateway writes on its own responses. Each slice has
// len == cap, so a later append copies instead of writing into them.
var (
	varyOrigin    = []string{policy.HeaderOrigin}
	textPlain     = []string{"text/plain; charset=utf-8"}
	noSniff       = []string{"nosniff"}
	hdrVary       = policy.HeaderVary
	hdrCType      = "Content-Type"
	hdrNoSniff    = "X-Content-Type-Options"
	preflightDeny = "CORS preflight denied: "
)

// evaluate runs the CORS engine on r, writing the decision into *d. The
// engine reads r's own header slices, and only the ones the decision
// depends on (Origin alone unless r is an OPTIONS with an Origin); nothing
// is copied.
func evaluate(c *ir.CORS, r *http.Request, d *policy.Decision) {
	c.Policy.EvaluateHeader(r.Method, r.Header, d)
}

// setPreflightHeaders writes every header of a preflight decision.
func setPreflightHeaders(h http.Header, d *policy.Decision) {
	// Vary first: on the usual, still empty header map it is assigned
	// without a lookup.
	mergeVary(h, d.Vary)
	set(h, policy.HeaderAllowOrigin, d.AllowOrigin)
	set(h, policy.HeaderAllowCredentials, d.AllowCredentials)
	set(h, policy.HeaderAllowMethods, d.AllowMethods)
	set(h, policy.HeaderAllowHeaders, d.AllowHeaders)
	set(h, policy.HeaderExposeHeaders, d.ExposeHeaders)
	set(h, policy.HeaderMaxAge, d.MaxAge)
	set(h, policy.HeaderAllowPrivateNetwork, d.AllowPrivateNetwork)
}

// setActualHeaders makes the gateway the only source of CORS headers on a
// response to an actual (non-preflight) request: it deletes every
// Access-Control-* header already in h (from the upstream or a header
// filter), sets the decision's, and merges its Vary tokens.
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

// set assigns a decision's value list as is (it has len == cap).
func set(h http.Header, name string, v []string) {
	if v != nil {
		h[name] = v
	}
}

// mergeVary adds each token of add that h's Vary lines lack, comparing
// tokens without regard to case and across all lines. "Vary: *" already
// covers everything and is left alone. When h has no Vary, add is assigned
// as is; otherwise the result is one line.
func mergeVary(h http.Header, add []string) {
	if len(add) == 0 {
		return
	}
	if len(h) == 0 {
		// No Vary to merge with (a preflight's map, a response the
		// gateway writes itself): assign, inlined in the caller.
		h[hdrVary] = add
		return
	}
	mergeVaryInto(h, add)
}

// mergeVaryInto is mergeVary for a non-empty add and header map.
func mergeVaryInto(h http.Header, add []string) {
	have := h[hdrVary]
	if len(have) == 0 {
		h[hdrVary] = add
		return
	}
	if hasToken(have, "*") {
		return
	}
	missing := false
	for _, line := range add {
		for tok := range tokens(line) {
			if !hasToken(have, tok) {
				missing = true
			}
		}
	}
	if !missing {
		return
	}
	var b strings.Builder
	appendTok := func(tok string) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tok)
	}
	for _, line := range have {
		for tok := range tokens(line) {
			appendTok(tok)
		}
	}
	for _, line := range add {
		for tok := range tokens(line) {
			if !lineHasToken(b.String(), tok) {
				appendTok(tok)
			}
		}
	}
	h[hdrVary] = []string{b.String()}
}

// tokens yields the non-empty, trimmed comma-separated elements of line.
func tokens(line string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for line != "" {
			var tok string
			tok, line, _ = strings.Cut(line, ",")
			tok = strings.Trim(tok, " \t")
			if tok != "" && !yield(tok) {
				return
			}
		}
	}
}

// hasToken reports whether any of lines lists tok (case-insensitive).
func hasToken(lines []string, tok string) bool {
	for _, line := range lines {
		if lineHasToken(line, tok) {
			return true
		}
	}
	return false
}

// lineHasToken reports whether the comma-separated line lists tok
// (case-insensitive).
func lineHasToken(line, tok string) bool {
	for t := range tokens(line) {
		if strings.EqualFold(t, tok) {
			return true
		}
	}
	return false
}

// denyBodies holds the body of a denied preflight, newline included, for
// each engine reason, built once so that a denied preflight allocates
// nothing and writes its body in one call.
var denyBodies = func() (b [32]string) {
	for i := range b {
		b[i] = preflightDeny + policy.Reason(i).String() + "\n"
	}
	return b
}()

// denyBody returns the denied-preflight body line for r.
func denyBody(r policy.Reason) string {
	if int(r) < len(denyBodies) {
		return denyBodies[r]
	}
	return preflightDeny + r.String() + "\n"
}
