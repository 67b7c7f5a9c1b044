package policy

import (
	"github.com/corsgate/corsgate/internal/policy/internal/header"
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
	var d Decision
	p.EvaluateInto(r, &d)
	return d
}

// EvaluateInto is [Policy.Evaluate] writing the decision into *d, which it
// overwrites entirely; a caller that keeps the Decision in its own
// (stack-allocated) state avoids copying the struct on return.
func (p *Policy) EvaluateInto(r *Request, d *Decision) {
	if r == nil {
		r = &noRequest
	}
	p.evaluate(r.Method, r.Origin, r.RequestMethod, r, nil, d)
}

// EvaluateHeader is [Policy.EvaluateInto] for a request whose headers are
// in h, keyed by canonical name as net/http stores them (an http.Header
// converts implicitly). It looks up only the headers the decision depends
// on: Origin; Access-Control-Request-Method for an OPTIONS with an Origin;
// Access-Control-Request-Headers and -Private-Network only for a preflight
// from an allowed origin, and the latter only when the policy allows
// private-network access. The answer is the one [Policy.Evaluate] gives
// for the Request holding the same header lists.
func (p *Policy) EvaluateHeader(method string, h map[string][]string, d *Decision) {
	// evaluate's steps, with the lookups between them: most requests are
	// not OPTIONS and go straight to actual.
	if p == nil {
		*d = Decision{}
		return
	}
	origin := h[HeaderOrigin]
	if method == "OPTIONS" && nonEmpty(origin) {
		if acrm := h[HeaderRequestMethod]; nonEmpty(acrm) {
			p.preflight(origin, acrm, nil, h, d)
			return
		}
	}
	p.actual(origin, d)
}

// evaluate is the one implementation behind the Evaluate methods. The
// preflight's request headers and private-network flag come from r, or
// when r is nil from h, read only when needed.
func (p *Policy) evaluate(method string, origin, acrm []string, r *Request, h map[string][]string, d *Decision) {
	if p == nil {
		*d = Decision{}
		return
	}
	if method == "OPTIONS" && nonEmpty(origin) && nonEmpty(acrm) {
		p.preflight(origin, acrm, r, h, d)
		return
	}
	p.actual(origin, d)
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
	// The canonical spelling of an exact origin, as browsers send it, is
	// found by comparing the raw value: no parsing, no key to build. Only
	// on a miss does Check parse the value and match exact and wildcard
	// origins, without allocation.
	valid, allowed := p.matcher.Check(values[0])
	if !valid {
		return ReasonInvalidOrigin, nil
	}
	// Only when they miss, the literal prefixes and then the precompiled
	// RE2 programs, on the request's own bytes.
	if !allowed && !p.exprs.Match(values[0]) {
		return ReasonOriginNotAllowed, nil
	}
	return ReasonAllowed, values[:1:1]
}

// preflight answers an OPTIONS request carrying Origin and
// Access-Control-Request-Method. The answer varies with the request
// method and headers as well as the Origin, whatever the outcome.
func (p *Policy) preflight(origin, acrm []string, r *Request, h map[string][]string, d *Decision) {
	// Cleared in place, then set field by field: a literal with fields
	// set is built elsewhere (on the stack, or as a static) and copied.
	*d = Decision{}
	d.Preflight = true
	d.Status = statusForbidden
	d.Vary = p.varyPreflight
	reason, allowOrigin := p.checkOrigin(origin)
	if reason != ReasonAllowed {
		d.Reason = reason
		if p.forward {
			// Istio's unmatchedPreflights FORWARD: the backend answers.
			d.Status, d.Forward = 0, true
		}
		return
	}
	// Browsers send exactly one method token; anything else is not a
	// browser and must not be echoed.
	if len(acrm) != 1 || !header.IsToken(acrm[0]) {
		d.Reason = ReasonInvalidRequestMethod
		return
	}
	var acrh []string
	if r != nil {
		acrh = r.RequestHeaders
	} else {
		acrh = h[HeaderRequestHeaders]
	}
	// Checked even when the policy lists its headers, so that a hostile
	// value is refused the same way whatever the configuration.
	names, ok := header.CheckList(acrh)
	if !ok {
		d.Reason = ReasonInvalidRequestHeaders
		return
	}
	d.Status = statusNoContent
	d.Allowed = true
	d.Reason = ReasonAllowed
	d.AllowOrigin = allowOrigin
	d.AllowCredentials = p.allowCredentials
	d.AllowMethods = p.allowMethods
	if p.echoMethods {
		d.AllowMethods = acrm[:1:1]
	}
	d.AllowHeaders = p.allowHeaders
	if p.echoHeaders && names > 0 {
		// Echoing covers Authorization, which a literal "*" never does.
		n := len(acrh)
		d.AllowHeaders = acrh[:n:n]
	}
	// Fetch reads Access-Control-Expose-Headers only on the actual
	// response, but Gateway API conformance expects it here too.
	d.ExposeHeaders = p.exposeHeaders
	d.MaxAge = p.maxAge
	if p.pna {
		var pna []string
		if r != nil {
			pna = r.RequestPrivateNetwork
		} else {
			pna = h[HeaderRequestPrivateNetwork]
		}
		if len(pna) == 1 && pna[0] == "true" {
			d.AllowPrivateNetwork = p.allowPNA
		}
	}
}

// actual decorates the response to a request that is not a preflight.
//
// A static policy ("*" without credentials) sends the same headers on every
// response, with or without Origin, and needs no Vary. Any other policy's
// answer depends on the Origin, so every response, including those to
// requests without Origin, carries Vary: Origin; otherwise a shared cache
// could serve a response without CORS headers to a CORS request (Fetch,
// "CORS protocol and HTTP caches").
func (p *Policy) actual(origin []string, d *Decision) {
	reason, allowOrigin := p.checkOrigin(origin)
	*d = Decision{Reason: reason, Allowed: reason == ReasonAllowed}
	if p.static {
		d.AllowOrigin = p.allowOriginStar
		d.ExposeHeaders = p.exposeHeaders
		return
	}
	d.Vary = p.varyOrigin
	if reason != ReasonAllowed {
		return
	}
	d.AllowOrigin = allowOrigin
	d.AllowCredentials = p.allowCredentials
	d.ExposeHeaders = p.exposeHeaders
}
