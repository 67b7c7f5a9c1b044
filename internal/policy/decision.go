package policy

// Reason says why the engine decided what it did. Front ends map it to log
// fields, metrics labels and the advice `check` and `explain` print.
type Reason uint8

const (
	// ReasonNoOrigin: the request has no Origin header; not a CORS request.
	ReasonNoOrigin Reason = iota
	// ReasonAllowed: the origin matched the policy.
	ReasonAllowed
	// ReasonOriginNotAllowed: a well-formed origin that the policy does not list.
	ReasonOriginNotAllowed
	// ReasonInvalidOrigin: the Origin header is not a syntactically valid
	// origin (or appears more than once); it is never echoed.
	ReasonInvalidOrigin
	// ReasonInvalidRequestMethod: the preflight's Access-Control-Request-Method
	// is not a single method token.
	ReasonInvalidRequestMethod
	// ReasonInvalidRequestHeaders: the preflight's Access-Control-Request-Headers
	// is malformed or longer than the engine's bounds.
	ReasonInvalidRequestHeaders
)

var reasonText = [...]string{
	ReasonNoOrigin:              "no Origin header: not a CORS request",
	ReasonAllowed:               "origin allowed",
	ReasonOriginNotAllowed:      "origin not allowed by the CORS policy",
	ReasonInvalidOrigin:         "Origin header is not a valid origin",
	ReasonInvalidRequestMethod:  "Access-Control-Request-Method is not a valid method",
	ReasonInvalidRequestHeaders: "Access-Control-Request-Headers is malformed or too long",
}

// String returns a short human sentence for the reason.
func (r Reason) String() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return "unknown reason"
}

// Label returns a stable snake_case identifier for metrics and logs.
func (r Reason) Label() string {
	switch r {
	case ReasonNoOrigin:
		return "no_origin"
	case ReasonAllowed:
		return "allowed"
	case ReasonOriginNotAllowed:
		return "origin_not_allowed"
	case ReasonInvalidOrigin:
		return "invalid_origin"
	case ReasonInvalidRequestMethod:
		return "invalid_request_method"
	case ReasonInvalidRequestHeaders:
		return "invalid_request_headers"
	}
	return "unknown"
}

// Decision is the engine's answer for one request. Every header field is
// either nil (omit the header) or a value list ready to assign to an
// http.Header entry; precomputed lists have len == cap so an append by a
// later handler copies instead of writing into shared memory. Echoed values
// are sub-slices of the request's own header lists, cut the same way.
type Decision struct {
	// Preflight is true when the request was a CORS preflight; the caller
	// answers it with Status and never forwards it, unless Forward is set.
	Preflight bool
	// Forward is set only on a preflight whose origin the policy does not
	// allow (or that is not a valid origin) when the policy has
	// ForwardUnmatchedPreflights. The caller then passes the request to
	// the backend unchanged instead of answering it; the response is
	// handled like that of an actual request from a disallowed origin
	// (no Access-Control-* header from the gateway, Vary merged). Status
	// is 0 and no CORS header is set.
	Forward bool
	// Allowed is true when the origin matched (ReasonAllowed).
	Allowed bool
	Reason  Reason
	// Status is the status for a preflight answer: 204 when allowed, 403
	// when denied. Zero for actual requests and forwarded preflights.
	Status int

	AllowOrigin         []string // Access-Control-Allow-Origin
	AllowCredentials    []string // Access-Control-Allow-Credentials
	AllowMethods        []string // Access-Control-Allow-Methods (preflight)
	AllowHeaders        []string // Access-Control-Allow-Headers (preflight)
	ExposeHeaders       []string // Access-Control-Expose-Headers
	MaxAge              []string // Access-Control-Max-Age (preflight)
	AllowPrivateNetwork []string // Access-Control-Allow-Private-Network (preflight)

	// Vary lists the tokens the response depends on. For a preflight it is
	// "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
	// for an actual request "Origin", or nil when the answer does not depend
	// on Origin (a static "*" policy without credentials). The caller merges
	// it into any upstream Vary without duplicating tokens.
	Vary []string
}

// Header names, canonical form, as the data plane writes them.
const (
	HeaderOrigin                      = "Origin"
	HeaderVary                        = "Vary"
	HeaderAllowOrigin                 = "Access-Control-Allow-Origin"
	HeaderAllowCredentials            = "Access-Control-Allow-Credentials"
	HeaderAllowMethods                = "Access-Control-Allow-Methods"
	HeaderAllowHeaders                = "Access-Control-Allow-Headers"
	HeaderExposeHeaders               = "Access-Control-Expose-Headers"
	HeaderMaxAge                      = "Access-Control-Max-Age"
	HeaderAllowPrivateNetwork         = "Access-Control-Allow-Private-Network"
	HeaderRequestMethod               = "Access-Control-Request-Method"
	HeaderRequestHeaders              = "Access-Control-Request-Headers"
	HeaderRequestPrivateNetwork       = "Access-Control-Request-Private-Network"
	defaultMaxAgeSeconds        int32 = 5
)

// ResponseHeaderNames lists every Access-Control-* header a browser acts on
// (and the request-side ones, which never belong on a response). The data
// plane deletes all of them from upstream responses on routes with a policy,
// so the gateway stays the single authority.
var ResponseHeaderNames = [...]string{
	HeaderAllowOrigin,
	HeaderAllowCredentials,
	HeaderAllowMethods,
	HeaderAllowHeaders,
	HeaderExposeHeaders,
	HeaderMaxAge,
	HeaderAllowPrivateNetwork,
	HeaderRequestMethod,
	HeaderRequestHeaders,
	HeaderRequestPrivateNetwork,
}
