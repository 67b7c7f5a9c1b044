// Package ir is corsgate's intermediate representation: the immutable,
// validated result of translating configuration. A Snapshot is built once by
// config.Translate and then only read, concurrently, by the data plane; a
// reload builds a new Snapshot and swaps a pointer.
//
// The package imports no Kubernetes types and no server code.
package ir

import (
	"regexp"
	"time"

	"github.com/corsgate/corsgate/internal/policy"
)

// Snapshot is one complete, immutable configuration.
type Snapshot struct {
	// Generation counts successful translations in this process (1, 2, ...).
	Generation uint64    `json:"generation"`
	CreatedAt  time.Time `json:"createdAt"`
	// Listeners are the network listeners, one per port, sorted by port.
	Listeners []*Listener `json:"listeners"`
	// Backends are every backend any route references, sorted by ID.
	Backends []*Backend `json:"backends"`
	// Settings are the limits a ProxySettings object sets; nil when the
	// configuration has none.
	Settings *Settings `json:"settings,omitempty"`
}

// Duration is a time.Duration that reads "1m30s" in JSON.
type Duration time.Duration

// MarshalText renders the duration like time.Duration.String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Settings are configured limits and timeouts. A zero field is unset: the
// command-line flag or the built-in default applies.
type Settings struct {
	Source                        string   `json:"source"`
	ReadHeaderTimeout             Duration `json:"readHeaderTimeout,omitempty"`
	IdleTimeout                   Duration `json:"idleTimeout,omitempty"`
	MaxHeaderBytes                int      `json:"maxHeaderBytes,omitempty"`
	UpstreamConnectTimeout        Duration `json:"upstreamConnectTimeout,omitempty"`
	UpstreamResponseHeaderTimeout Duration `json:"upstreamResponseHeaderTimeout,omitempty"`
	UpstreamTimeout               Duration `json:"upstreamTimeout,omitempty"`
	MaxIdleConnsPerBackend        int      `json:"maxIdleConnsPerBackend,omitempty"`
}

// Protocol of a listener.
type Protocol string

const (
	ProtocolHTTP  Protocol = "HTTP"
	ProtocolHTTPS Protocol = "HTTPS"
)

// Listener is one bound port. Several Gateway listeners that share a port
// (with different hostnames, and for HTTPS different certificates chosen by
// SNI) are merged into one Listener.
type Listener struct {
	// Name lists the Gateway listeners merged here ("ns/gw/http", ...).
	Names    []string `json:"names"`
	Address  string   `json:"address"` // host:port to bind
	Port     int      `json:"port"`
	Protocol Protocol `json:"protocol"`
	// Certificates are the TLS certificates for HTTPS, each for the
	// hostname of the Gateway listener it came from ("" = any SNI).
	Certificates []*Certificate `json:"certificates,omitempty"`
	// Hosts are virtual hosts ordered most specific first: exact names,
	// then wildcards by decreasing suffix length, then the catch-all "".
	// A request tries them in order and falls through to the next host
	// when no route of a more specific host matches.
	Hosts []*VirtualHost `json:"hosts"`
	// Index finds the hosts that match a request host without scanning
	// Hosts; nil means scan (see NewHostIndex).
	Index *HostIndex `json:"-"`
	// Fallback holds the CORS policies attached to the Gateways (or
	// Gateway listeners) served here, for requests that match no route:
	// one entry per Gateway listener with such a policy, keyed by that
	// listener's hostname and ordered like Hosts (most specific first, ""
	// last). The data plane takes the first entry whose Hostname matches
	// the request host (the same rule as VirtualHost.Hostname) and, when
	// no route matched, answers a preflight with its policy and adds its
	// CORS headers (and Vary) to the 404.
	Fallback []*HostPolicy `json:"fallback,omitempty"`
}

// HostPolicy is the CORS policy for requests to Hostname ("" = any host)
// that match no route.
type HostPolicy struct {
	Hostname string `json:"hostname"`
	CORS     *CORS  `json:"cors"`
}

// Certificate is a PEM certificate chain and key for SNI Hostname.
type Certificate struct {
	Hostname string `json:"hostname"`
	Source   string `json:"source"` // ns/name of the Secret
	CertPEM  []byte `json:"-"`
	KeyPEM   []byte `json:"-"`
}

// VirtualHost is the set of routes for one hostname pattern.
type VirtualHost struct {
	// Hostname is an exact name ("api.example.com"), a wildcard
	// ("*.example.com", matching one or more labels), or "" for any host.
	Hostname string `json:"hostname"`
	// Routes are ordered by Gateway API precedence; the first match wins.
	Routes []*Route `json:"routes"`
}

// Route is one (rule, match) pair of an HTTPRoute, flattened.
type Route struct {
	// ID is "namespace/name/rule/match" indexes, stable across reloads.
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	RuleIndex int    `json:"ruleIndex"`
	RuleName  string `json:"ruleName,omitempty"`
	// Source is FILE:LINE (or a Kubernetes object reference) of the rule.
	Source string `json:"source"`

	Match Match `json:"match"`

	// CORS is the effective policy of the rule: its own CORS filter, or
	// else the CORSPolicies attached to the rule, the HTTPRoute, the
	// Gateway listener or the Gateway (merged when they ask for Union).
	// Nil when none applies. A route attached to several listeners with
	// different policies appears once per listener, each copy with its
	// own effective policy.
	CORS *CORS `json:"cors,omitempty"`

	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`

	// Backends are weighted; an empty list (or all weights zero) answers 500
	// as the Gateway API requires for a rule with no valid backends.
	Backends []*WeightedBackend `json:"backends"`
	// TotalWeight is the sum of Backends weights.
	TotalWeight int `json:"totalWeight"`
	// Invalid, when set, says why the rule's backends cannot be used; the
	// data plane answers 500 with this text (the Gateway API requires 500
	// for a rule whose backendRefs are all invalid).
	Invalid string `json:"invalid,omitempty"`
}

// CORS is a compiled policy and where it came from.
type CORS struct {
	Policy *policy.Policy `json:"-"`
	// Spec is the normalised policy, for /config and explain.
	Spec policy.Spec `json:"spec"`
	// Source is FILE:LINE of the most specific setting that contributed.
	Source string `json:"source"`
	// Chain lists, most specific first, every setting this policy is made
	// of: one entry when the most specific one overrides the rest, several
	// when CORSPolicies with mergeStrategy Union were merged (lists
	// unioned, scalars from the most specific). Each entry reads
	// "LEVEL KIND namespace/name (FILE:LINE)", LEVEL being one of
	// backendRef filter, rule filter, Backend, route rule, HTTPRoute,
	// listener, Gateway.
	Chain []string `json:"chain,omitempty"`
	// Overridden lists, in the same form, the less specific settings that
	// also apply here but were overridden.
	Overridden []string `json:"overridden,omitempty"`
	// Warnings from compilation, rendered.
	Warnings []string `json:"warnings,omitempty"`
}

// Match is a compiled HTTPRouteMatch.
type Match struct {
	PathType  PathMatchType  `json:"pathType"`
	Path      string         `json:"path"`
	PathRegex *regexp.Regexp `json:"-"`
	Method    string         `json:"method,omitempty"`
	Headers   []ValueMatch   `json:"headers,omitempty"`
	Query     []ValueMatch   `json:"queryParams,omitempty"`
}

// PathMatchType is how Match.Path applies.
type PathMatchType string

const (
	PathExact  PathMatchType = "Exact"
	PathPrefix PathMatchType = "PathPrefix"
	PathRegex  PathMatchType = "RegularExpression"
)

// ValueMatch matches one header (canonical name) or query parameter.
type ValueMatch struct {
	Name  string         `json:"name"`
	Value string         `json:"value"`
	Regex *regexp.Regexp `json:"-"`
	// IsRegex marks a RegularExpression match (Regex is set).
	IsRegex bool `json:"regex,omitempty"`
}

// HeaderModifier is a compiled Request/ResponseHeaderModifier filter.
// Names in Set and Add are canonical header keys.
type HeaderModifier struct {
	Set    []HeaderValue `json:"set,omitempty"`
	Add    []HeaderValue `json:"add,omitempty"`
	Remove []string      `json:"remove,omitempty"`
}

// HeaderValue is one header name and value.
type HeaderValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// WeightedBackend is one backendRef of a rule.
type WeightedBackend struct {
	Backend *Backend `json:"-"`
	// BackendID is Backend.ID, for /config.
	BackendID string `json:"backend"`
	Weight    int    `json:"weight"`
	// Invalid is set (and Backend nil) for a backendRef that could not be
	// resolved while others of the rule could: requests picked for its
	// share of the weight get 500 with this message, as the Gateway API
	// requires (Kubernetes mode; file mode refuses such a config).
	Invalid string `json:"invalid,omitempty"`
	// CORS is the effective policy of this backendRef when it differs
	// from the rule's: the backendRef's own CORS filter, or a CORSPolicy
	// targeting the Backend (which ranks just below the rule's filter).
	// When set it wins over Route.CORS.
	CORS            *CORS           `json:"cors,omitempty"`
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`
}

// Backend is a set of endpoints reached the same way.
type Backend struct {
	// ID is "namespace/name".
	ID        string      `json:"id"`
	Source    string      `json:"source"`
	Endpoints []Endpoint  `json:"endpoints"`
	TLS       *BackendTLS `json:"tls,omitempty"`
}

// Endpoint is one upstream address.
type Endpoint struct {
	// Network is "tcp" or "unix".
	Network string `json:"network"`
	// Address is host:port for tcp, the socket path for unix.
	Address string `json:"address"`
	// Host is the value for the upstream URL's host (host:port, or
	// "localhost" for unix sockets).
	Host string `json:"host"`
}

// BackendTLS configures HTTPS to a backend.
type BackendTLS struct {
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	CAPEM              []byte `json:"-"`
	SNI                string `json:"sni,omitempty"`
}

// HostIndex is a lookup structure over a listener's Hosts, so the cost of
// finding a request's virtual hosts does not grow with their number.
type HostIndex struct {
	// Exact maps a lower-case hostname to its host.
	Exact map[string]*VirtualHost
	// Wildcard maps the suffix of a "*.suffix" host ("example.com") to it.
	// A request host tries its suffixes from the longest (after its first
	// dot) to the shortest, which is the "longer wildcard first" order.
	Wildcard map[string]*VirtualHost
	// Any is the catch-all host "", or nil.
	Any *VirtualHost
}

// NewHostIndex indexes hosts (lower-case hostnames, as the translator
// writes them). When two hosts share a hostname the first wins, as a scan
// of Hosts would have it.
func NewHostIndex(hosts []*VirtualHost) *HostIndex {
	x := &HostIndex{Exact: map[string]*VirtualHost{}, Wildcard: map[string]*VirtualHost{}}
	for _, vh := range hosts {
		switch {
		case vh.Hostname == "":
			if x.Any == nil {
				x.Any = vh
			}
		case len(vh.Hostname) > 2 && vh.Hostname[:2] == "*.":
			if _, ok := x.Wildcard[vh.Hostname[2:]]; !ok {
				x.Wildcard[vh.Hostname[2:]] = vh
			}
		default:
			if _, ok := x.Exact[vh.Hostname]; !ok {
				x.Exact[vh.Hostname] = vh
			}
		}
	}
	return x
}
