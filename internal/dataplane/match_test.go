package dataplane

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/corsgate/corsgate/internal/ir"
)

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"api.example.com":       "api.example.com",
		"API.Example.COM:8443":  "api.example.com",
		"api.example.com.":      "api.example.com",
		"api.example.com.:80":   "api.example.com",
		"127.0.0.1:8080":        "127.0.0.1",
		"[::1]:8080":            "[::1]",
		"[::1]":                 "[::1]",
		"":                      "",
		"a.b.c.example.com:443": "a.b.c.example.com",
	} {
		if got := normalizeHost(in); got != want {
			t.Errorf("normalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostMatches(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"", "anything.test", true},
		{"", "", true},
		{"api.example.com", "api.example.com", true},
		{"api.example.com", "www.example.com", false},
		{"API.example.com", "api.example.com", true},
		{"*.example.com", "api.example.com", true},
		{"*.example.com", "a.b.example.com", true}, // one or more labels
		{"*.example.com", "example.com", false},    // never the bare suffix
		{"*.example.com", "badexample.com", false},
		{"*.example.com", ".example.com", false},
		{"*.example.com", "api.example.com.evil.test", false},
	}
	for _, tt := range tests {
		if got := hostMatches(tt.pattern, tt.host); got != tt.want {
			t.Errorf("hostMatches(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestMatchRequest(t *testing.T) {
	exact := func(p string) ir.Match { return ir.Match{PathType: ir.PathExact, Path: p} }
	regex := func(re string) ir.Match {
		return ir.Match{PathType: ir.PathRegex, Path: re, PathRegex: regexp.MustCompile(re)}
	}
	withMethod := func(m ir.Match, method string) ir.Match { m.Method = method; return m }
	withHeader := func(m ir.Match, vm ir.ValueMatch) ir.Match { m.Headers = append(m.Headers, vm); return m }
	withQuery := func(m ir.Match, vm ir.ValueMatch) ir.Match { m.Query = append(m.Query, vm); return m }
	reVal := func(name, re string) ir.ValueMatch {
		return ir.ValueMatch{Name: name, Value: re, Regex: regexp.MustCompile(re), IsRegex: true}
	}

	tests := []struct {
		name   string
		match  ir.Match
		method string
		target string
		header map[string]string
		want   bool
	}{
		{"exact equal", exact("/foo"), "GET", "/foo", nil, true},
		{"exact trailing slash differs", exact("/foo"), "GET", "/foo/", nil, false},
		{"exact ignores query", exact("/foo"), "GET", "/foo?a=1", nil, true},
		{"prefix itself", prefixMatch("/foo"), "GET", "/foo", nil, true},
		{"prefix with slash", prefixMatch("/foo"), "GET", "/foo/", nil, true},
		{"prefix sub path", prefixMatch("/foo"), "GET", "/foo/bar", nil, true},
		{"prefix not mid segment", prefixMatch("/foo"), "GET", "/foobar", nil, false},
		{"prefix trailing slash in config", prefixMatch("/foo/"), "GET", "/foo", nil, true},
		{"prefix trailing slash no mid segment", prefixMatch("/foo/"), "GET", "/foobar", nil, false},
		{"prefix root matches all", prefixMatch("/"), "GET", "/anything/at/all", nil, true},
		{"prefix other path", prefixMatch("/foo"), "GET", "/bar", nil, false},
		{"regex full match", regex(`^/v[0-9]+/items$`), "GET", "/v2/items", nil, true},
		{"regex no partial", regex(`^/v[0-9]+/items$`), "GET", "/v2/items/x", nil, false},
		{"method match", withMethod(prefixMatch("/"), "POST"), "POST", "/x", nil, true},
		{"method mismatch", withMethod(prefixMatch("/"), "POST"), "GET", "/x", nil, false},
		{"header exact", withHeader(prefixMatch("/"), ir.ValueMatch{Name: "X-Env", Value: "canary"}),
			"GET", "/", map[string]string{"x-env": "canary"}, true},
		{"header exact value differs", withHeader(prefixMatch("/"), ir.ValueMatch{Name: "X-Env", Value: "canary"}),
			"GET", "/", map[string]string{"X-Env": "Canary"}, false},
		{"header missing", withHeader(prefixMatch("/"), ir.ValueMatch{Name: "X-Env", Value: "canary"}),
			"GET", "/", nil, false},
		{"header regex", withHeader(prefixMatch("/"), reVal("X-Version", `^v[12]$`)),
			"GET", "/", map[string]string{"X-Version": "v2"}, true},
		{"header regex no match", withHeader(prefixMatch("/"), reVal("X-Version", `^v[12]$`)),
			"GET", "/", map[string]string{"X-Version": "v3"}, false},
		{"all headers required", withHeader(withHeader(prefixMatch("/"),
			ir.ValueMatch{Name: "A", Value: "1"}), ir.ValueMatch{Name: "B", Value: "2"}),
			"GET", "/", map[string]string{"A": "1"}, false},
		{"query exact", withQuery(prefixMatch("/"), ir.ValueMatch{Name: "tier", Value: "gold"}),
			"GET", "/?a=b&tier=gold", nil, true},
		{"query encoded", withQuery(prefixMatch("/"), ir.ValueMatch{Name: "q", Value: "a b/c"}),
			"GET", "/?q=a+b%2Fc", nil, true},
		{"query first value counts", withQuery(prefixMatch("/"), ir.ValueMatch{Name: "tier", Value: "gold"}),
			"GET", "/?tier=silver&tier=gold", nil, false},
		{"query name case-sensitive", withQuery(prefixMatch("/"), ir.ValueMatch{Name: "tier", Value: "gold"}),
			"GET", "/?Tier=gold", nil, false},
		{"query missing", withQuery(prefixMatch("/"), ir.ValueMatch{Name: "tier", Value: "gold"}),
			"GET", "/", nil, false},
		{"query regex", withQuery(prefixMatch("/"), reVal("id", `^[0-9]+$`)),
			"GET", "/?id=42", nil, true},
		{"query regex no match", withQuery(prefixMatch("/"), reVal("id", `^[0-9]+$`)),
			"GET", "/?id=4x2", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://h.test"+tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := matchRequest(&tt.match, r, tt.method); got != tt.want {
				t.Errorf("matchRequest(%+v, %s %s) = %v, want %v", tt.match, tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestFindRouteFallsThroughHosts(t *testing.T) {
	exactV1 := newRoute("exact-v1", prefixMatch("/v1"))
	wild := newRoute("wild", prefixMatch("/"))
	onlyX := newRoute("only-x", prefixMatch("/x"))
	catchAll := newRoute("catch-all", prefixMatch("/"))
	l := httpListener(1,
		vhost("api.example.com", exactV1),
		vhost("only.test", onlyX),
		vhost("*.example.com", wild),
		vhost("", catchAll),
	)
	tests := []struct {
		host, path string
		want       *ir.Route
	}{
		{"api.example.com", "/v1/users", exactV1},
		{"api.example.com", "/v2", wild}, // exact host has no such path
		{"only.test", "/x", onlyX},
		{"only.test", "/y", catchAll}, // falls through to the catch-all
		{"a.b.example.com", "/", wild},
		{"example.com", "/", catchAll},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://"+tt.host+tt.path, nil)
		if got := findRoute(l, tt.host, r); got != tt.want {
			t.Errorf("findRoute(%s%s) = %v, want %s", tt.host, tt.path, got, tt.want.ID)
		}
	}
	if got := findRoute(httpListener(2, vhost("x.test", onlyX)), "y.test", httptest.NewRequest("GET", "/x", nil)); got != nil {
		t.Errorf("findRoute with no matching host = %s, want nil", got.ID)
	}
}

func TestPickBackendWeights(t *testing.T) {
	a, b, c := irBackend("a"), irBackend("b"), irBackend("c")
	if got := pickBackend(newRoute("none", prefixMatch("/"))); got != nil {
		t.Errorf("no backends: got %v, want nil", got.BackendID)
	}
	if got := pickBackend(newRoute("zero", prefixMatch("/"), weighted(a, 0))); got != nil {
		t.Errorf("all weights zero: got %v, want nil", got.BackendID)
	}
	r := newRoute("r", prefixMatch("/"), weighted(a, 0), weighted(b, 1), weighted(c, 3))
	counts := map[string]int{}
	const n = 4000
	for range n {
		counts[pickBackend(r).BackendID]++
	}
	if counts[a.ID] != 0 {
		t.Errorf("weight 0 backend chosen %d times", counts[a.ID])
	}
	if counts[c.ID] < n*6/10 || counts[c.ID] > n*9/10 {
		t.Errorf("weight 3 of 4 chosen %d of %d times, want about 3/4", counts[c.ID], n)
	}
}

func TestQueryValue(t *testing.T) {
	tests := []struct {
		raw, name, want string
		ok              bool
	}{
		{"a=1&b=2", "b", "2", true},
		{"a=1&b", "b", "", true},
		{"a%20b=x", "a b", "x", true},
		{"a=%zz&a=2", "a", "", false},
		{"", "a", "", false},
		{"aa=1", "a", "", false},
	}
	for _, tt := range tests {
		got, ok := queryValue(tt.raw, tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("queryValue(%q, %q) = %q, %v; want %q, %v", tt.raw, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPickCertificate(t *testing.T) {
	certs := []certEntry{
		{hostname: "*.example.com", cert: &tls.Certificate{}},
		{hostname: "api.example.com", cert: &tls.Certificate{}},
		{hostname: "*.eu.example.com", cert: &tls.Certificate{}},
		{hostname: "", cert: &tls.Certificate{}},
	}
	tests := []struct {
		sni  string
		want int
	}{
		{"api.example.com", 1},
		{"API.example.com.", 1},
		{"www.example.com", 0},
		{"a.b.example.com", 0},
		{"x.eu.example.com", 2}, // longest wildcard wins
		{"example.com", 3},      // bare suffix is not a wildcard match
		{"other.test", 3},
		{"", 3},
	}
	for _, tt := range tests {
		if got := pickCertificate(certs, tt.sni); got != certs[tt.want].cert {
			t.Errorf("pickCertificate(%q) chose the wrong certificate, want %q", tt.sni, certs[tt.want].hostname)
		}
	}
	first := []certEntry{{hostname: "a.test", cert: &tls.Certificate{}}, {hostname: "b.test", cert: &tls.Certificate{}}}
	if got := pickCertificate(first, "c.test"); got != first[0].cert {
		t.Error("no match and no default: want the first certificate")
	}
}

func TestMergeVary(t *testing.T) {
	preflight := []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
	tests := []struct {
		name     string
		upstream []string
		add      []string
		want     []string
	}{
		{"no upstream vary", nil, []string{"Origin"}, []string{"Origin"}},
		{"nothing to add", []string{"Accept-Encoding"}, nil, []string{"Accept-Encoding"}},
		{"merged", []string{"Accept-Encoding"}, []string{"Origin"}, []string{"Accept-Encoding, Origin"}},
		{"already there, other case", []string{"accept-encoding, origin"}, []string{"Origin"}, []string{"accept-encoding, origin"}},
		{"across lines", []string{"Accept-Encoding", "ORIGIN"}, []string{"Origin"}, []string{"Accept-Encoding", "ORIGIN"}},
		{"star stays", []string{"*"}, []string{"Origin"}, []string{"*"}},
		{"partial overlap", []string{"Origin", ""}, preflight,
			[]string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}},
		{"duplicate in add written once", []string{"Accept"}, []string{"Origin, origin", "Origin"},
			[]string{"Accept, Origin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.upstream != nil {
				h["Vary"] = slices.Clone(tt.upstream)
			}
			mergeVary(h, tt.add)
			if !slices.Equal(h["Vary"], tt.want) {
				t.Errorf("Vary = %q, want %q", h["Vary"], tt.want)
			}
		})
	}
}

func TestApplyModifier(t *testing.T) {
	h := http.Header{"X-Keep": {"1"}, "X-Drop": {"1"}, "X-Set": {"old"}, "X-Add": {"a"}}
	applyModifier(h, &ir.HeaderModifier{
		Set:    []ir.HeaderValue{{Name: "X-Set", Value: "new"}, {Name: "X-New", Value: "n"}},
		Add:    []ir.HeaderValue{{Name: "X-Add", Value: "b"}},
		Remove: []string{"x-drop"},
	})
	want := http.Header{"X-Keep": {"1"}, "X-Set": {"new"}, "X-New": {"n"}, "X-Add": {"a", "b"}}
	if len(h) != len(want) {
		t.Fatalf("headers = %v, want %v", h, want)
	}
	for k, v := range want {
		if !slices.Equal(h[k], v) {
			t.Errorf("%s = %q, want %q", k, h[k], v)
		}
	}
	applyModifier(h, nil) // no-op
}
