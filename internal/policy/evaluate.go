package policy

import (
	"github.com/corsgate/corsgate/internal/policy/internal/header"
	"github.com/corsgate/corsgate/internal/policy/internal/origin"
)

// Preflight answer statuses. A failed preflight gets 403 without any
// Access-Control-* header: the browser then reports the failure, and the
// policy is not advertised to origins it does not allow (unlike Envoy,
// which still sends the method and header lists).
const (
	statusNoContent = 204
	statusForbidden = 403
)

// noRequest stands in for a nil *Request: a request without headers.
var noRequest Request

// Evaluate decides how to answer r. It never panics and does no
// formatting; for policies without origin regexes it never allocates and
// does no regular-expression work: every header value in the
// Decision is either precomputed by [Compile] or a sub-slice of r's own
// header lists, echoed only after validation.
//
// Exact and wildcard origins are matched without allocation or regular
// expressions. Origin prefixes and regexes (Spec.OriginPrefixes,
// Spec.OriginRegexes) are tried only after they miss: a prefix is a byte
// comparison, a regex runs its RE2 program, compiled by [Compile], on the
// validated Origin value.
//
// A preflight (see [Request.IsPreflight]) from an allowed origin gets 204
// with the policy's lists; the method and headers asked for are checked for
// syntax only, never against the lists, so that the browser reports which
// one is missing. A preflight from an origin the policy does not allow
// gets 403, or Forward when Spec.ForwardUnmatchedPreflights is set.
// Anything else is an actual request (Status 0), including
// an OPTIONS without Access-Control-Request-Method: the caller forwards it
// and adds the Decision's headers to the response.
func (p *Policy) Evaluate(r *Request) Decision {
	if p == nil {
		return Decision{}
	}
	if r == nil {
		r = &noRequest
	}
	if r.IsPreflight() {
		return p.preflight(r)
	}
	return p.actual(r)
}

// checkOrigin classifies the Origin header values and returns the value
// for Access-Control-Allow-Origin when the origin is allowed.
//
// The Origin must be a single, syntactically valid value before it can be
// echoed (the Fetch CORS check compares it byte for byte, and echoing
// arbitrary bytes would let a client write into the response). The echo is
// the request's own slice, cut so an append cannot write past it.
func (p *Policy) checkOrigin(values []string) (Reason, []string) {
	if len(values) == 0 || len(values) == 1 && values[0] == "" {
		return ReasonNoOrigin, nil
	}
	if p.static {
		// "*" without credentials is the same answer for every value,
		// malformed ones included, and echoes nothing.
		return ReasonAllowed, p.allowOriginStar
	}
	if len(values) != 1 {
		return ReasonInvalidOrigin, nil
	}
	o, ok := origin.Parse(values[0])
	if !ok {
		return ReasonInvalidOrigin, nil
	}
	// Exact and wildcard origins first, without allocation; only when
	// they miss, the literal prefixes and then the precompiled RE2
	// programs, on the request's own bytes.
	if !p.matcher.Match(o) && !p.exprs.Match(values[0]) {
		return ReasonOriginNotAllowed, nil
	}
	return ReasonAllowed, values[:1:1]
}

// preflight answers an OPTIONS request carrying Origin and
// Access-Control-Request-Method. The answer varies with the request
// method and headers as well as the Origin, whatever the outcome.
func (p *Policy) preflight(r *Request) Decision {
	d := Decision{Preflight: true, Status: statusForbidden, Vary: p.varyPreflight}
	reason, allowOrigin := p.checkOrigin(r.Origin)
	if reason != ReasonAllowed {
		d.Reason = reason
		if p.forward {
			// Istio's unmatchedPreflights FORWARD: the backend answers.
			d.Status, d.Forward = 0, true
		}
		return d
	}
	// Browsers send exactly one method token; anything else is not a
	// browser and must not be echoed.
	if len(r.RequestMethod) != 1 || !header.IsToken(r.RequestMethod[0]) {
		d.Reason = ReasonInvalidRequestMethod
		return d
	}
	// Checked even when the policy lists its headers, so that a hostile
	// value is refused the same way whatever the configuration.
	names, ok := header.CheckList(r.RequestHeaders)
	if !ok {
		d.Reason = ReasonInvalidRequestHeaders
		return d
	}
	d.Status = statusNoContent
	d.Allowed = true
	d.Reason = ReasonAllowed
	d.AllowOrigin = allowOrigin
	d.AllowCredentials = p.allowCredentials
	d.AllowMethods = p.allowMethods
	if p.echoMethods {
		d.AllowMethods = r.RequestMethod[:1:1]
	}
	d.AllowHeaders = p.allowHeaders
	if p.echoHeaders && names > 0 {
		// Echoing covers Authorization, which a literal "*" never does.
		n := len(r.RequestHeaders)
		d.AllowHeaders = r.RequestHeaders[:n:n]
	}
	// Fetch reads Access-Control-Expose-Headers only on the actual
	// response, but Gateway API conformance expects it here too.
	d.ExposeHeaders = p.exposeHeaders
	d.MaxAge = p.maxAge
	if p.pna && len(r.RequestPrivateNetwork) == 1 && r.RequestPrivateNetwork[0] == "true" {
		d.AllowPrivateNetwork = p.allowPNA
	}
	return d
}

// actual decorates the response to a request that is not a preflight.
//
// A static policy ("*" without credentials) sends the same headers on every
// response, with or without Origin, and needs no Vary. Any other policy's
// answer depends on the Origin, so every response, including those to
// requests without Origin, carries Vary: Origin; otherwise a shared cache
// could serve a response without CORS headers to a CORS request (Fetch,
// "CORS protocol and HTTP caches").
func (p *Policy) actual(r *Request) Decision {
	reason, allowOrigin := p.checkOrigin(r.Origin)
	d := Decision{Reason: reason, Allowed: reason == ReasonAllowed}
	if p.static {
		d.AllowOrigin = p.allowOriginStar
		d.ExposeHeaders = p.exposeHeaders
		return d
	}
	d.Vary = p.varyOrigin
	if reason != ReasonAllowed {
		return d
	}
	d.AllowOrigin = allowOrigin
	d.AllowCredentials = p.allowCredentials
	d.ExposeHeaders = p.exposeHeaders
	return d
}
