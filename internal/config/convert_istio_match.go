package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/foreign/istio"
)

// matches converts http[].match. Istio ORs the entries and ANDs the
// conditions of one entry, as the Gateway API does.
func (c *vsConv) matches(fp string, ms []istio.HTTPMatchRequest) []gwv1.HTTPRouteMatch {
	var out []gwv1.HTTPRouteMatch
	for j, mr := range ms {
		mf := fmt.Sprintf("%s.match[%d]", fp, j)
		m := gwv1.HTTPRouteMatch{}
		if u := mr.URI; u != nil && c.oneOf(mf+".uri", *u) {
			m.Path = uriMatch(*u)
		}
		if mr.Method != nil && c.oneOf(mf+".method", *mr.Method) {
			if mr.Method.Exact == "" {
				c.errorf(mf+".method", "only an exact method match is supported by corsgate (the Gateway API matches one method); write one match per method")
			} else {
				m.Method = ptrTo(gwv1.HTTPMethod(mr.Method.Exact))
			}
		}
		for _, k := range sortedKeys(mr.Headers) {
			if v, ok := c.valueMatch(joinKey(mf+".headers", k), mr.Headers[k], true); ok {
				m.Headers = append(m.Headers, gwv1.HTTPHeaderMatch{Type: ptrTo(gwv1.HeaderMatchType(v.typ)), Name: gwv1.HTTPHeaderName(k), Value: v.value})
			}
		}
		for _, k := range sortedKeys(mr.QueryParams) {
			if v, ok := c.valueMatch(joinKey(mf+".queryParams", k), mr.QueryParams[k], false); ok {
				m.QueryParams = append(m.QueryParams, gwv1.HTTPQueryParamMatch{Type: ptrTo(gwv1.QueryParamMatchType(v.typ)), Name: gwv1.HTTPHeaderName(k), Value: v.value})
			}
		}
		out = append(out, m)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func uriMatch(u istio.StringMatch) *gwv1.HTTPPathMatch {
	switch {
	case u.Exact != "":
		return &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchExact), Value: ptrTo(u.Exact)}
	case u.Prefix != "":
		return &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchPathPrefix), Value: ptrTo(u.Prefix)}
	}
	return &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchRegularExpression), Value: ptrTo(u.Regex)}
}

type convertedValue struct{ typ, value string }

// valueMatch converts a header or query StringMatch. A header prefix has
// no Gateway API equivalent and becomes an anchored regular expression; an
// empty header match ({}) checks presence, as in Istio.
func (c *vsConv) valueMatch(fp string, m istio.StringMatch, header bool) (convertedValue, bool) {
	if header && m == (istio.StringMatch{}) {
		return convertedValue{"RegularExpression", ".*"}, true
	}
	if !c.oneOf(fp, m) {
		return convertedValue{}, false
	}
	switch {
	case m.Exact != "":
		return convertedValue{"Exact", m.Exact}, true
	case m.Regex != "":
		return convertedValue{"RegularExpression", m.Regex}, true
	case !header:
		c.errorf(fp+".prefix", "Istio has no prefix match for query parameters; use exact or regex")
		return convertedValue{}, false
	}
	re := regexp.QuoteMeta(m.Prefix) + ".*"
	c.warnf(fp+".prefix", "IstioHeaderPrefix",
		"the Gateway API has no prefix header match; converted to the regular expression %q (matched against the whole value), which admits exactly the values starting with %q", re, m.Prefix)
	return convertedValue{"RegularExpression", re}, true
}

// matchKey is a converted match with the precedence keys corsgate (like
// the Gateway API) orders routes by.
type matchKey struct {
	rule    int
	m       gwv1.HTTPRouteMatch
	ptype   gwv1.PathMatchType
	path    string
	hasMeth bool
}

func newMatchKey(rule int, m gwv1.HTTPRouteMatch) matchKey {
	k := matchKey{rule: rule, m: m, ptype: gwv1.PathMatchPathPrefix, path: "/", hasMeth: m.Method != nil}
	if m.Path != nil {
		k.ptype, k.path = *m.Path.Type, *m.Path.Value
	}
	if k.ptype == gwv1.PathMatchPathPrefix && len(k.path) > 1 {
		k.path = strings.TrimSuffix(k.path, "/")
	}
	return k
}

// ahead reports whether a is tried before b by specificity alone (the
// part of routeLess that does not depend on list order).
func (a matchKey) ahead(b matchKey) bool {
	rank := map[gwv1.PathMatchType]int{gwv1.PathMatchExact: 0, gwv1.PathMatchRegularExpression: 1, gwv1.PathMatchPathPrefix: 2}
	switch {
	case rank[a.ptype] != rank[b.ptype]:
		return rank[a.ptype] < rank[b.ptype]
	case len(a.path) != len(b.path):
		return len(a.path) > len(b.path)
	case a.hasMeth != b.hasMeth:
		return a.hasMeth
	case len(a.m.Headers) != len(b.m.Headers):
		return len(a.m.Headers) > len(b.m.Headers)
	}
	return len(a.m.QueryParams) > len(b.m.QueryParams)
}

// checkOrder refuses a VirtualService whose first-match order Istio
// would honour differently from corsgate's most-specific-first order: an
// http entry that corsgate ranks ahead of an earlier entry it overlaps
// with would steal that entry's requests.
func (c *vsConv) checkOrder() {
	if c.failed() {
		return
	}
	var keys []matchKey
	for i, ms := range c.ruleMatches {
		if len(ms) == 0 {
			ms = []gwv1.HTTPRouteMatch{{}}
		}
		for _, m := range ms {
			keys = append(keys, newMatchKey(i, m))
		}
	}
	reported := map[int]bool{}
	for x, later := range keys {
		for _, earlier := range keys[:x] {
			if earlier.rule == later.rule || reported[later.rule] || !later.ahead(earlier) || !overlap(earlier, later) {
				continue
			}
			reported[later.rule] = true
			c.errorf(fmt.Sprintf("spec.http[%d]", later.rule),
				"Istio tries http[%d] first and it also matches requests like %s that this entry matches, but corsgate (like the Gateway API) tries the more specific match first and would send them here instead; move this entry before http[%d] so both agree",
				earlier.rule, samplePath(later), earlier.rule)
		}
	}
}

// overlap reports whether some request may match both a and b
// (conservative: true when unsure).
func overlap(a, b matchKey) bool {
	if a.hasMeth && b.hasMeth && *a.m.Method != *b.m.Method {
		return false
	}
	if disjointValues(headerValues(a.m), headerValues(b.m)) || disjointValues(queryValues(a.m), queryValues(b.m)) {
		return false
	}
	return pathsOverlap(a, b) && pathsOverlap(b, a)
}

// pathsOverlap is checked both ways round; each call handles a as the
// narrower kind.
func pathsOverlap(a, b matchKey) bool {
	switch {
	case a.ptype == gwv1.PathMatchExact && b.ptype == gwv1.PathMatchExact:
		return a.path == b.path
	case a.ptype == gwv1.PathMatchExact && b.ptype == gwv1.PathMatchPathPrefix:
		return segmentPrefix(b.path, a.path)
	case a.ptype == gwv1.PathMatchPathPrefix && b.ptype == gwv1.PathMatchPathPrefix:
		return segmentPrefix(a.path, b.path) || segmentPrefix(b.path, a.path)
	case a.ptype == gwv1.PathMatchRegularExpression && b.ptype == gwv1.PathMatchExact:
		re, err := regexp.Compile("^(?:" + a.path + ")$")
		return err != nil || re.MatchString(b.path)
	case a.ptype == gwv1.PathMatchRegularExpression:
		lit := regexLiteralPrefix(a.path)
		other := b.path
		if b.ptype == gwv1.PathMatchRegularExpression {
			other = regexLiteralPrefix(b.path)
		}
		return strings.HasPrefix(lit, other) || strings.HasPrefix(other, lit)
	}
	return true // the other order of the same pair decides
}

func segmentPrefix(prefix, path string) bool {
	return prefix == "/" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

func regexLiteralPrefix(expr string) string {
	re, err := regexp.Compile("^(?:" + expr + ")")
	if err != nil {
		return ""
	}
	p, _ := re.LiteralPrefix()
	return p
}

func headerValues(m gwv1.HTTPRouteMatch) map[string]string {
	out := map[string]string{}
	for _, h := range m.Headers {
		if h.Type == nil || *h.Type == gwv1.HeaderMatchExact {
			out[strings.ToLower(string(h.Name))] = h.Value
		}
	}
	return out
}

func queryValues(m gwv1.HTTPRouteMatch) map[string]string {
	out := map[string]string{}
	for _, q := range m.QueryParams {
		if q.Type == nil || *q.Type == gwv1.QueryParamMatchExact {
			out[string(q.Name)] = q.Value
		}
	}
	return out
}

// disjointValues reports whether a and b require different exact values
// for the same name.
func disjointValues(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; ok && w != v {
			return true
		}
	}
	return false
}

// samplePath renders a request path the match accepts, for messages.
func samplePath(k matchKey) string {
	p := k.path
	if k.ptype == gwv1.PathMatchRegularExpression {
		p = regexLiteralPrefix(k.path)
		if p == "" {
			return "those matching " + k.path
		}
	}
	if k.hasMeth {
		return string(*k.m.Method) + " " + p
	}
	return p
}
