package config

import (
	"fmt"
	"net/textproto"
	"regexp"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/ir"
)

// maxRegexLen bounds user regular expressions (RE2 is linear in the input,
// but a huge program still costs memory per route).
const maxRegexLen = 1024

// match compiles one HTTPRouteMatch. Defaults follow the Gateway API:
// a missing path is PathPrefix "/".
func (t *translator) match(o *Object, fp string, m gwv1.HTTPRouteMatch) (ir.Match, bool) {
	out := ir.Match{PathType: ir.PathPrefix, Path: "/"}
	ok := true
	if p := m.Path; p != nil {
		if p.Type != nil {
			out.PathType = ir.PathMatchType(*p.Type)
		}
		if p.Value != nil {
			out.Path = *p.Value
		}
		switch out.PathType {
		case ir.PathExact, ir.PathPrefix:
			if !strings.HasPrefix(out.Path, "/") || strings.ContainsAny(out.Path, "?#") || strings.Contains(out.Path, "//") {
				t.errorf(o, fp+".path.value", "path %q must start with \"/\" and contain no \"?\", \"#\" or \"//\"", out.Path)
				ok = false
			}
			if out.PathType == ir.PathPrefix && len(out.Path) > 1 {
				out.Path = strings.TrimSuffix(out.Path, "/")
			}
		case ir.PathRegex:
			re, msg := compileRegex(out.Path)
			if msg != "" {
				t.errorf(o, fp+".path.value", "%s", msg)
				ok = false
			}
			out.PathRegex = re
		default:
			t.errorf(o, fp+".path.type", "path match type %q is not supported; use Exact, PathPrefix or RegularExpression", out.PathType)
			ok = false
		}
	}
	if m.Method != nil {
		out.Method = string(*m.Method)
		if !validMethods[out.Method] {
			t.errorf(o, fp+".method", "method %q is not one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH", out.Method)
			ok = false
		}
	}
	for i, h := range m.Headers {
		v, good := t.valueMatch(o, fmt.Sprintf("%s.headers[%d]", fp, i), string(h.Name), h.Value, (*string)(h.Type))
		v.Name = textproto.CanonicalMIMEHeaderKey(v.Name)
		out.Headers = append(out.Headers, v)
		ok = ok && good
	}
	for i, q := range m.QueryParams {
		v, good := t.valueMatch(o, fmt.Sprintf("%s.queryParams[%d]", fp, i), string(q.Name), q.Value, (*string)(q.Type))
		out.Query = append(out.Query, v)
		ok = ok && good
	}
	return out, ok
}

var validMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true,
}

func (t *translator) valueMatch(o *Object, fp, name, value string, typ *string) (ir.ValueMatch, bool) {
	v := ir.ValueMatch{Name: name, Value: value}
	if name == "" {
		t.errorf(o, fp+".name", "name is required")
		return v, false
	}
	kind := "Exact"
	if typ != nil {
		kind = *typ
	}
	switch kind {
	case "Exact":
	case "RegularExpression":
		re, msg := compileRegex(value)
		if msg != "" {
			t.errorf(o, fp+".value", "%s", msg)
			return v, false
		}
		v.Regex, v.IsRegex = re, true
	default:
		t.errorf(o, fp+".type", "match type %q is not supported; use Exact or RegularExpression", kind)
		return v, false
	}
	return v, true
}

// compileRegex compiles an RE2 expression that must match the whole value.
func compileRegex(expr string) (*regexp.Regexp, string) {
	if len(expr) > maxRegexLen {
		return nil, fmt.Sprintf("regular expression is longer than %d bytes", maxRegexLen)
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, fmt.Sprintf("invalid RE2 regular expression %q: %v", expr, err)
	}
	return re, ""
}

// virtualHosts orders hosts most specific first and each host's routes by
// Gateway API precedence.
func virtualHosts(m map[string][]*routeEntry) []*ir.VirtualHost {
	names := make([]string, 0, len(m))
	for h := range m {
		names = append(names, h)
	}
	sort.Slice(names, func(i, j int) bool { return hostLess(names[i], names[j]) })
	out := make([]*ir.VirtualHost, 0, len(names))
	for _, h := range names {
		entries := dedupe(m[h])
		sort.SliceStable(entries, func(i, j int) bool { return routeLess(entries[i], entries[j]) })
		vh := &ir.VirtualHost{Hostname: h}
		for _, e := range entries {
			vh.Routes = append(vh.Routes, e.route)
		}
		out = append(out, vh)
	}
	return out
}

func dedupe(in []*routeEntry) []*routeEntry {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, e := range in {
		if !seen[e.route.ID] {
			seen[e.route.ID] = true
			out = append(out, e)
		}
	}
	return out
}

// hostLess: exact names first (alphabetical), then wildcards by longer
// suffix, then the catch-all "".
func hostLess(a, b string) bool {
	rank := func(h string) int {
		switch {
		case h == "":
			return 2
		case strings.HasPrefix(h, "*."):
			return 1
		}
		return 0
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra < rb
	}
	if ra == 1 && len(a) != len(b) {
		return len(a) > len(b)
	}
	return a < b
}

// routeLess implements Gateway API match precedence: Exact path, then
// RegularExpression (longer first; its rank among path types is
// implementation-specific), then PathPrefix by longer prefix; then method
// set; more header matches; more query matches; older route; namespace/name
// alphabetical; rule and match order.
func routeLess(a, b *routeEntry) bool {
	ma, mb := a.route.Match, b.route.Match
	pa, pb := pathRank(ma.PathType), pathRank(mb.PathType)
	if pa != pb {
		return pa < pb
	}
	if len(ma.Path) != len(mb.Path) {
		return len(ma.Path) > len(mb.Path)
	}
	if (ma.Method != "") != (mb.Method != "") {
		return ma.Method != ""
	}
	if len(ma.Headers) != len(mb.Headers) {
		return len(ma.Headers) > len(mb.Headers)
	}
	if len(ma.Query) != len(mb.Query) {
		return len(ma.Query) > len(mb.Query)
	}
	if a.created != b.created {
		return a.created < b.created
	}
	if a.nsName != b.nsName {
		return a.nsName < b.nsName
	}
	if a.ruleIdx != b.ruleIdx {
		return a.ruleIdx < b.ruleIdx
	}
	return a.matchIdx < b.matchIdx
}

func pathRank(t ir.PathMatchType) int {
	switch t {
	case ir.PathExact:
		return 0
	case ir.PathRegex:
		return 1
	}
	return 2
}
