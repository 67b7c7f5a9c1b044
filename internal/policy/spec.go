// Package policy is corsgate's CORS engine: it compiles a plain [Spec] into an
// immutable [Policy] whose per-request evaluation does no formatting, and
// no allocation and no regular-expression work for exact and wildcard
// origins. Origin regexes (Spec.OriginRegexes, a compatibility form) are
// compiled once and run only after the exact and wildcard origins and the
// literal prefixes missed.
//
// The package is pure: no I/O, no logging, no net/http server types, no
// Kubernetes. Every front end (data plane, check, explain, lint, controller)
// calls the same [Compile] and [Policy.Evaluate].
//
// Specs followed:
//   - Fetch standard, CORS protocol: https://fetch.spec.whatwg.org/#http-cors-protocol
//   - Gateway API GEP-1767 (HTTPCORSFilter): https://gateway-api.sigs.k8s.io/geps/gep-1767/
package policy

// Spec is the plain, front-end-neutral description of a CORS policy. Config
// translators fill it from Gateway API HTTPCORSFilter, corsgate CORSPolicy and
// foreign kinds; [Compile] validates it.
type Spec struct {
	// AllowOrigins lists the origins allowed to read responses. Accepted forms:
	//
	//	"*"                          any origin (alone; not alongside others)
	//	"https://example.com"        exact (scheme and host are case-insensitive,
	//	                             a default port may be written or omitted)
	//	"https://example.com:8443"   exact with port
	//	"https://*.example.com"      one or more labels before example.com;
	//	                             never example.com itself nor badexample.com
	//	"http://*:8080"              any host with that scheme and port
	//
	// Refused: "example.com" (no scheme), "ftp://x" (scheme other than http or
	// https), "https://*example.com", "https://a.*.com", "https://x:99999".
	// Accepted with a warning and normalised: a trailing slash or path
	// ("https://example.com/" becomes "https://example.com").
	AllowOrigins []string `json:"allowOrigins,omitempty"`

	// OriginPrefixes are literal prefixes of the serialised origin, the
	// compatibility form of Istio's and FSM's {prefix: ...} StringMatch.
	// They compare the request's own Origin bytes (after it was checked to
	// be a single valid origin), case-sensitively, and never match "null".
	// A prefix nearly always admits look-alike sites: "https://example.com"
	// also admits "https://example.com.evil.net" (WarnLookalikeOrigin).
	// Prefer AllowOrigins; "https://" or "http" admit every host.
	OriginPrefixes []string `json:"originPrefixes,omitempty"`

	// OriginRegexes are RE2 regular expressions that must match the whole
	// serialised origin: the engine anchors each one as "^(?:" + re + ")$",
	// so "https://example\.com" never admits "https://example.com.evil.net".
	// They are compiled once by [Compile] and run, case-sensitively (use
	// "(?i)" to fold case), only after the exact and wildcard origins and
	// the prefixes missed. They never match "null". At most 1024 bytes each.
	OriginRegexes []string `json:"originRegexes,omitempty"`

	// ForwardUnmatchedPreflights makes a preflight whose origin the policy
	// does not allow a Decision with Forward set, which the data plane
	// passes to the backend, instead of a local 403 (Istio's
	// unmatchedPreflights: FORWARD, Envoy's forward_not_matching_preflights).
	ForwardUnmatchedPreflights bool `json:"forwardUnmatchedPreflights,omitempty"`

	// AllowMethods lists methods for Access-Control-Allow-Methods. "*" (alone)
	// echoes the requested method. GET, HEAD and POST are always allowed by
	// browsers whether listed or not. Methods are case-sensitive tokens.
	AllowMethods []string `json:"allowMethods,omitempty"`

	// AllowHeaders lists request header names a preflight may ask for
	// (case-insensitive). "*" (alone) echoes the requested header list, so
	// that Authorization works, which a literal "*" never covers.
	AllowHeaders []string `json:"allowHeaders,omitempty"`

	// ExposeHeaders lists response header names that scripts may read.
	// "*" is sent as is only without credentials; with credentials it is an
	// error because browsers would treat it as the literal name "*".
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`

	// AllowCredentials sends Access-Control-Allow-Credentials: true.
	AllowCredentials bool `json:"allowCredentials,omitempty"`

	// MaxAge is the preflight cache lifetime in seconds. Zero means the
	// Gateway API default of 5 seconds. Negative values are refused.
	MaxAge int32 `json:"maxAge"`

	// AllowPrivateNetwork answers a preflight carrying
	// Access-Control-Request-Private-Network: true with
	// Access-Control-Allow-Private-Network: true.
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
}

// Request is the view of an incoming request the engine needs. Each slice is
// the raw header value list as received (for example r.Header["Origin"]); the
// engine never modifies them and only echoes them after validation.
type Request struct {
	Method                string
	Origin                []string
	RequestMethod         []string // Access-Control-Request-Method
	RequestHeaders        []string // Access-Control-Request-Headers (all lines)
	RequestPrivateNetwork []string // Access-Control-Request-Private-Network
}

// IsPreflight reports whether r is a CORS preflight under the Fetch standard:
// OPTIONS with a non-empty Origin and a non-empty Access-Control-Request-Method.
// An OPTIONS without Access-Control-Request-Method is an ordinary request.
func (r *Request) IsPreflight() bool {
	return r.Method == "OPTIONS" && nonEmpty(r.Origin) && nonEmpty(r.RequestMethod)
}

func nonEmpty(v []string) bool { return len(v) > 0 && v[0] != "" }
