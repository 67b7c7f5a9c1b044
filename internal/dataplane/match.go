package dataplane

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// normalizeHost returns the request host without port and trailing dot, in
// lower case. It allocates only when the host has upper-case letters.
func normalizeHost(host string) string {
	if strings.HasPrefix(host, "[") {
		// IPv6 literal: "[::1]:8080" -> "[::1]".
		if i := strings.IndexByte(host, ']'); i > 0 {
			host = host[:i+1]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.IndexByte(host, ':') == i {
		host = host[:i]
	}
	host = strings.TrimSuffix(host, ".")
	return strings.ToLower(host)
}

// hostMatches reports whether a virtual host pattern matches host (already
// normalised): "" matches any host, "*.suffix" one or more labels before
// suffix (never suffix itself), anything else exactly (ignoring case).
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasPrefix(pattern, "*."):
		return matchWildcard(pattern, host)
	}
	return strings.EqualFold(strings.TrimSuffix(pattern, "."), host)
}

// matchWildcard reports whether "*.suffix" matches name: name must end in
// ".suffix" with at least one non-empty label before it.
func matchWildcard(pattern, name string) bool {
	suffix := pattern[1:] // ".suffix"
	n := len(name) - len(suffix)
	return n > 0 && name[n-1] != '.' && strings.EqualFold(name[n:], suffix)
}

// findRoute returns the first route of the most specific host of l that
// matches r, falling through to less specific hosts, or nil.
//
// A CORS preflight is routed like the request it announces when that is
// what finds a CORS policy: if the OPTIONS request itself matches no route,
// or one without a policy, the match is retried with the method from
// Access-Control-Request-Method. So a rule that matches only PUT still
// answers the preflight for its PUT, instead of a 404 or a catch-all backend
// that knows nothing of the policy the PUT will get.
func findRoute(l *ir.Listener, host string, r *http.Request) *ir.Route {
	rt := findRouteFor(l, host, r, r.Method)
	if r.Method != http.MethodOptions || hasCORS(rt) {
		return rt
	}
	acrm := r.Header[policy.HeaderRequestMethod]
	if len(acrm) != 1 || acrm[0] == "" || acrm[0] == http.MethodOptions || len(r.Header[policy.HeaderOrigin]) == 0 {
		return rt
	}
	if alt := findRouteFor(l, host, r, acrm[0]); hasCORS(alt) {
		return alt
	}
	return rt
}

func findRouteFor(l *ir.Listener, host string, r *http.Request, method string) *ir.Route {
	if x := l.Index; x != nil {
		return findIndexed(x, host, r, method)
	}
	for _, vh := range l.Hosts {
		if !hostMatches(vh.Hostname, host) {
			continue
		}
		if rt := firstMatch(vh, r, method); rt != nil {
			return rt
		}
	}
	return nil
}

// findIndexed visits the same hosts in the same order as the scan in
// findRouteFor (exact, wildcards by longer suffix, catch-all) through map
// lookups, so the cost depends on the request host's labels, not on how
// many hosts the listener has.
func findIndexed(x *ir.HostIndex, host string, r *http.Request, method string) *ir.Route {
	if vh := x.Exact[host]; vh != nil {
		if rt := firstMatch(vh, r, method); rt != nil {
			return rt
		}
	}
	for i := 0; i < len(host)-1; i++ {
		if host[i] != '.' || i == 0 || host[i-1] == '.' {
			continue
		}
		if vh := x.Wildcard[host[i+1:]]; vh != nil {
			if rt := firstMatch(vh, r, method); rt != nil {
				return rt
			}
		}
	}
	if x.Any != nil {
		return firstMatch(x.Any, r, method)
	}
	return nil
}

// firstMatch returns the first route of vh that matches r.
func firstMatch(vh *ir.VirtualHost, r *http.Request, method string) *ir.Route {
	for _, rt := range vh.Routes {
		if matchRequest(&rt.Match, r, method) {
			return rt
		}
	}
	return nil
}

// hasCORS reports whether rt, or one of its backendRefs, has a policy.
func hasCORS(rt *ir.Route) bool {
	if rt == nil {
		return false
	}
	if rt.CORS != nil {
		return true
	}
	for _, wb := range rt.Backends {
		if wb != nil && wb.CORS != nil {
			return true
		}
	}
	return false
}

// matchRequest reports whether every part of m matches r, taking method as
// the request's method.
func matchRequest(m *ir.Match, r *http.Request, method string) bool {
	if m.Method != "" && m.Method != method {
		return false
	}
	if !matchPath(m, r.URL.Path) {
		return false
	}
	for i := range m.Headers {
		if !matchHeader(&m.Headers[i], r.Header) {
			return false
		}
	}
	for i := range m.Query {
		v, ok := queryValue(r.URL.RawQuery, m.Query[i].Name)
		if !ok || !matchValue(&m.Query[i], v) {
			return false
		}
	}
	return true
}

// matchPath applies the Gateway API path match. PathPrefix matches whole
// segments and ignores a trailing slash in the prefix; a regular expression
// is anchored by the translator and must match the whole path.
func matchPath(m *ir.Match, path string) bool {
	switch m.PathType {
	case ir.PathExact:
		return path == m.Path
	case ir.PathRegex:
		return m.PathRegex != nil && m.PathRegex.MatchString(path)
	case ir.PathPrefix, "":
		p := strings.TrimSuffix(m.Path, "/")
		return strings.HasPrefix(path, p) && (len(path) == len(p) || path[len(p)] == '/')
	}
	return false
}

// matchHeader matches the first value of the header named vm.Name
// (canonical), the way Header.Get reads it. A missing header never matches.
func matchHeader(vm *ir.ValueMatch, h http.Header) bool {
	vs := h[vm.Name]
	if len(vs) == 0 {
		return false
	}
	return matchValue(vm, vs[0])
}

func matchValue(vm *ir.ValueMatch, v string) bool {
	if vm.IsRegex {
		return vm.Regex != nil && vm.Regex.MatchString(v)
	}
	return v == vm.Value
}

// queryValue returns the first value of query parameter name in raw (case
// sensitive, as the Gateway API requires), decoding only when needed.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if strings.ContainsAny(k, "%+") {
			dk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = dk
		}
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				return "", false
			}
			v = dv
		}
		return v, true
	}
	return "", false
}

// pickBackend chooses a backendRef at random in proportion to its weight,
// ignoring weights <= 0; nil when no backend has a positive weight.
func pickBackend(rt *ir.Route) *ir.WeightedBackend {
	total := 0
	var only *ir.WeightedBackend
	for _, wb := range rt.Backends {
		if usable(wb) {
			total += wb.Weight
			only = wb
		}
	}
	if total == 0 || only.Weight == total {
		return only
	}
	n := rand.IntN(total)
	for _, wb := range rt.Backends {
		if !usable(wb) {
			continue
		}
		if n < wb.Weight {
			return wb
		}
		n -= wb.Weight
	}
	return only
}

func usable(wb *ir.WeightedBackend) bool {
	return wb != nil && wb.Weight > 0 && (wb.Backend != nil || wb.Invalid != "")
}
