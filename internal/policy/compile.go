package policy

import (
	"errors"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/policy/internal/origin"
)

// maxListLen bounds every list in a Spec. It is the Gateway API limit for
// allowOrigins, allowHeaders and exposeHeaders; corsgate applies it to
// allowMethods too, because it accepts any method token (WebDAV and other
// extension methods) rather than the Gateway API's nine-value enum.
const maxListLen = 64

// Policy is a compiled, immutable CORS policy. It is safe for concurrent use.
//
// Every header value [Policy.Evaluate] can return is built here, once, as a
// []string with len == cap, so the request path only picks slices.
type Policy struct {
	spec Spec // normalised copy

	matcher     *origin.Matcher
	exprs       *origin.Exprs // prefixes and regexes, tried after matcher
	forward     bool          // ForwardUnmatchedPreflights
	static      bool          // "*" without credentials: ACAO "*" on every response, no Vary
	reflectAny  bool          // echoes (nearly) every origin with credentials
	echoMethods bool          // allowMethods ["*"]: echo Access-Control-Request-Method
	echoHeaders bool          // allowHeaders ["*"]: echo Access-Control-Request-Headers
	pna         bool

	allowOriginStar  []string
	allowCredentials []string
	allowMethods     []string
	allowHeaders     []string
	exposeHeaders    []string
	maxAge           []string
	allowPNA         []string
	varyOrigin       []string
	varyPreflight    []string
}

// Compile validates s and precomputes every header value. It reports every
// problem at once: the error joins one *FieldError per problem (walk it
// with errors.As or an Unwrap() []error type assertion). Warnings flag
// settings that compile but deserve attention; they are returned even when
// the error is not nil, so a linter can show both. On error the policy is
// nil.
//
// Compile implements the Gateway API HTTPCORSFilter (GEP-1767,
// https://gateway-api.sigs.k8s.io/geps/gep-1767/) and stays inside what the
// Fetch standard lets a browser act on
// (https://fetch.spec.whatwg.org/#http-cors-protocol). In particular
// allowOrigins ["*"] with AllowCredentials compiles, because the Gateway
// API requires reflecting the Origin in that case, but it is flagged with
// WarnReflectAnyOriginWithCredentials and
// [Policy.ReflectsAnyOriginWithCredentials]; the caller decides whether to
// refuse it.
func Compile(s Spec) (*Policy, []Warning, error) {
	var c checker
	others := len(s.OriginPrefixes) + len(s.OriginRegexes)
	origins, patterns := c.origins(s.AllowOrigins, others, s.AllowCredentials)
	ex := c.exprs(s.OriginPrefixes, s.OriginRegexes, s.AllowCredentials)
	methods := c.tokens("allowMethods", s.AllowMethods, methodRules)
	allowHeaders := c.tokens("allowHeaders", s.AllowHeaders, allowHeaderRules)
	exposeRules := exposeHeaderRules
	exposeRules.noStar = s.AllowCredentials
	exposeHeaders := c.tokens("exposeHeaders", s.ExposeHeaders, exposeRules)
	maxAge := s.MaxAge
	switch {
	case maxAge < 0:
		c.fail("maxAge", strconv.Itoa(int(maxAge)), "is negative",
			"use a number of seconds, or 0 for the default of 5 seconds")
	case maxAge == 0:
		maxAge = defaultMaxAgeSeconds
	}
	if len(c.errs) > 0 {
		return nil, c.warns, errors.Join(c.errs...)
	}
	p := &Policy{
		spec: Spec{
			AllowOrigins:               origins,
			AllowMethods:               methods,
			AllowHeaders:               allowHeaders,
			ExposeHeaders:              exposeHeaders,
			AllowCredentials:           s.AllowCredentials,
			MaxAge:                     maxAge,
			AllowPrivateNetwork:        s.AllowPrivateNetwork,
			OriginPrefixes:             ex.prefixes,
			OriginRegexes:              ex.regexSrc,
			ForwardUnmatchedPreflights: s.ForwardUnmatchedPreflights,
		},
		matcher: origin.NewMatcherSpelled(patterns, origins),
		exprs:   origin.NewExprs(ex.prefixes, ex.regexes),
		forward: s.ForwardUnmatchedPreflights,
	}
	p.precompute(patterns)
	p.reflectAny = p.reflectAny || ex.anyHost
	return p, c.warns, nil
}

// precompute derives the flags and header values from the normalised spec.
func (p *Policy) precompute(patterns []origin.Pattern) {
	s := &p.spec
	for _, pat := range patterns {
		switch pat.Kind {
		case origin.Any:
			p.static = !s.AllowCredentials
			p.reflectAny = s.AllowCredentials
		case origin.AnyHost:
			p.reflectAny = p.reflectAny || s.AllowCredentials
		}
	}
	p.echoMethods = isStar(s.AllowMethods)
	p.echoHeaders = isStar(s.AllowHeaders)
	p.pna = s.AllowPrivateNetwork

	p.allowOriginStar = value("*")
	if s.AllowCredentials {
		p.allowCredentials = value("true")
	}
	if !p.echoMethods {
		p.allowMethods = joined(s.AllowMethods)
	}
	if !p.echoHeaders {
		p.allowHeaders = joined(s.AllowHeaders)
	}
	p.exposeHeaders = joined(s.ExposeHeaders)
	p.maxAge = value(strconv.Itoa(int(s.MaxAge)))
	p.allowPNA = value("true")
	p.varyOrigin = value(HeaderOrigin)
	vary := HeaderOrigin + ", " + HeaderRequestMethod + ", " + HeaderRequestHeaders
	if p.pna {
		vary += ", " + HeaderRequestPrivateNetwork
	}
	p.varyPreflight = value(vary)
}

// value returns a one-element list with len == cap, so that a handler that
// appends to a header it got from a Decision copies instead of writing into
// memory shared by every request (the bug of rs/cors#198).
func value(s string) []string { return []string{s}[:1:1] }

// joined returns the list as one comma-separated value, or nil when empty.
func joined(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return value(strings.Join(list, ", "))
}

func isStar(list []string) bool { return len(list) == 1 && list[0] == "*" }

// Spec returns the normalised specification the policy was compiled from:
// origins in canonical form ("https://example.com"), lists without
// duplicates, MaxAge resolved to the value sent. The slices are copies.
func (p *Policy) Spec() Spec {
	s := p.spec
	s.AllowOrigins = clone(s.AllowOrigins)
	s.AllowMethods = clone(s.AllowMethods)
	s.AllowHeaders = clone(s.AllowHeaders)
	s.ExposeHeaders = clone(s.ExposeHeaders)
	s.OriginPrefixes = clone(s.OriginPrefixes)
	s.OriginRegexes = clone(s.OriginRegexes)
	return s
}

func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// ReflectsAnyOriginWithCredentials reports whether the policy echoes every
// Origin together with Access-Control-Allow-Credentials: true. That is
// allowOrigins ["*"] with credentials, and also an any-host pattern such
// as "https://*" with credentials, which reflects every web site served on
// that scheme and port: the same exposure, so callers that refuse one must
// refuse the other (rs/cors#197 is the bypass of a guard that did not).
// An origin prefix or regex that admits arbitrary hosts ("https://",
// "http", ".*", "https://.*") counts too.
func (p *Policy) ReflectsAnyOriginWithCredentials() bool { return p.reflectAny }
