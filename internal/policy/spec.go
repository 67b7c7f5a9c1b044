// Package policy is corsgate's CORS engine: it compiles a plain [Spec] into an
// immutable [Policy] whose per-request evaluation does no allocation, no
// regular-expression work and no formatting.
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
