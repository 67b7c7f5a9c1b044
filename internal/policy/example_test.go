package policy_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/corsgate/corsgate/internal/policy"
)

// Compile once, then evaluate each request. The Decision's fields are
// ready to assign to an http.Header; nil means "omit the header".
func Example() {
	p, warnings, err := policy.Compile(policy.Spec{
		AllowOrigins:     []string{"https://app.example.com", "https://*.example.org/"},
		AllowMethods:     []string{"GET", "PUT"},
		AllowHeaders:     []string{"Authorization", "Content-Type"},
		ExposeHeaders:    []string{"X-Request-Id"},
		AllowCredentials: true,
		MaxAge:           600,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range warnings {
		fmt.Println("warning:", w)
	}

	// A preflight, as a browser sends it before a credentialed PUT.
	d := p.Evaluate(&policy.Request{
		Method:         http.MethodOptions,
		Origin:         []string{"https://app.example.com"},
		RequestMethod:  []string{"PUT"},
		RequestHeaders: []string{"authorization,content-type"},
	})
	fmt.Println(d.Status, d.Reason.Label())
	h := http.Header{}
	set(h, policy.HeaderAllowOrigin, d.AllowOrigin)
	set(h, policy.HeaderAllowCredentials, d.AllowCredentials)
	set(h, policy.HeaderAllowMethods, d.AllowMethods)
	set(h, policy.HeaderAllowHeaders, d.AllowHeaders)
	set(h, policy.HeaderMaxAge, d.MaxAge)
	set(h, policy.HeaderVary, d.Vary)
	for _, name := range slices.Sorted(maps.Keys(h)) {
		fmt.Printf("%s: %s\n", name, strings.Join(h[name], ", "))
	}

	// An actual request from a site the policy does not list: forwarded,
	// without CORS headers, but still marked as varying by Origin.
	d = p.Evaluate(&policy.Request{Method: http.MethodGet, Origin: []string{"https://evil.example.net"}})
	fmt.Println(d.Status, d.Reason.Label(), d.AllowOrigin == nil, d.Vary)

	// Output:
	// warning: allowOrigins[1] "https://*.example.org/": the trailing slash was dropped: an Origin header never has one, so as written it would never match; read as "https://*.example.org"
	// 204 allowed
	// Access-Control-Allow-Credentials: true
	// Access-Control-Allow-Headers: Authorization, Content-Type
	// Access-Control-Allow-Methods: GET, PUT
	// Access-Control-Allow-Origin: https://app.example.com
	// Access-Control-Max-Age: 600
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// 0 origin_not_allowed true [Origin]
}

// set overwrites (never adds to) a header, so an upstream value cannot
// produce a duplicate Access-Control-Allow-Origin.
func set(h http.Header, name string, vals []string) {
	if vals != nil {
		h[name] = vals
	}
}

// Compile refuses a configuration with every problem listed at once, each
// with what is wrong and how to fix it.
func ExampleCompile_refused() {
	_, _, err := policy.Compile(policy.Spec{
		AllowOrigins:     []string{"https://*example.com", "null", "https://api.example.com:99999"},
		ExposeHeaders:    []string{"*"},
		AllowCredentials: true,
	})
	fmt.Println(err)

	// Each problem is a *policy.FieldError, for status conditions and UIs.
	var fe *policy.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field)
	}
	// Output:
	// allowOrigins[0] "https://*example.com": host "*example.com": the wildcard must be followed by a dot, because "*" stands for whole labels; write "*." in front of a domain to allow its subdomains ("https://*.example.com"), or "*" as the whole host to allow any host ("https://*")
	// allowOrigins[1] "null": "null" is the origin of sandboxed iframes, local files and some redirects; any web site can send it, so allowing it is unsafe; remove it; only "*" matches the null origin
	// allowOrigins[2] "https://api.example.com:99999": port "99999" is out of range: ports run from 1 to 65535; write it as scheme://host[:port], e.g. "https://example.com"
	// exposeHeaders[0] "*": "*" is not a wildcard on credentialed responses: browsers read it as a header literally named "*"; list the header names to expose, e.g. "Content-Encoding" and "X-Request-Id"
	// allowOrigins[0]
}

// Reflecting every origin with credentials compiles, because the Gateway
// API requires it, but it is flagged: callers decide whether to refuse it.
func ExamplePolicy_ReflectsAnyOriginWithCredentials() {
	p, warnings, err := policy.Compile(policy.Spec{AllowOrigins: []string{"*"}, AllowCredentials: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ReflectsAnyOriginWithCredentials(), warnings[0].Code)
	// Output:
	// true ReflectsAnyOriginWithCredentials
}

// Origin prefixes and regexes exist for compatibility with Istio and FSM.
// A regex is always matched against the whole origin; a prefix is a
// literal prefix and nearly always admits look-alike sites, which Compile
// names.
func ExampleSpec_originPrefixes() {
	p, warnings, err := policy.Compile(policy.Spec{
		OriginPrefixes: []string{"https://example.com"},
		OriginRegexes:  []string{`https://[a-z]+\.example\.org`},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range warnings {
		fmt.Println(w.Code, w)
	}
	for _, o := range []string{"https://example.com.evil.net", "https://api.example.org", "https://api.example.org.evil.net"} {
		d := p.Evaluate(&policy.Request{Method: "GET", Origin: []string{o}})
		fmt.Println(o, d.Allowed)
	}
	// Output:
	// LookalikeOrigin originPrefixes[0] "https://example.com": this prefix also admits "https://example.com.evil.net", a different site that anyone who registers a domain can serve; to allow that one origin list it exactly ("https://example.com"), or "https://*.example.com" for its subdomains
	// https://example.com.evil.net true
	// https://api.example.org true
	// https://api.example.org.evil.net false
}
