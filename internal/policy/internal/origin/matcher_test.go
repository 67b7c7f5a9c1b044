package origin

import (
	"slices"
	"strings"
	"testing"
)

func mustMatcher(t testing.TB, patterns ...string) *Matcher {
	t.Helper()
	ps := make([]Pattern, 0, len(patterns))
	for _, s := range patterns {
		p, err := ParsePattern(s)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", s, err)
		}
		ps = append(ps, p)
	}
	return NewMatcher(ps)
}

// matcherTests pin, for a pattern list, origins that must and must not
// match.
var matcherTests = []struct {
	name     string
	patterns []string
	yes, no  []string
}{
	{
		name:     "exact",
		patterns: []string{"https://example.com"},
		yes:      []string{"https://example.com", "https://example.com:443", "HTTPS://EXAMPLE.COM", "https://Example.com"},
		no: []string{"http://example.com", "https://example.com:8443", "https://a.example.com",
			"https://badexample.com", "https://example.com.evil.net", "https://example.co", "null",
			"chrome-extension://example.com"},
	},
	{
		name:     "exact with port and upper-case config",
		patterns: []string{"HTTP://Example.COM:8080"},
		yes:      []string{"http://example.com:8080", "http://EXAMPLE.com:8080"},
		no:       []string{"http://example.com", "http://example.com:80", "https://example.com:8080"},
	},
	{
		name:     "explicit default port in config",
		patterns: []string{"http://example.com:80"},
		yes:      []string{"http://example.com", "http://example.com:80"},
		no:       []string{"http://example.com:8080"},
	},
	{
		name:     "subdomains",
		patterns: []string{"https://*.example.com"},
		yes:      []string{"https://a.example.com", "https://a.b.example.com", "https://A.EXAMPLE.COM", "https://a.example.com:443", "https://a_b.example.com"},
		no: []string{"https://example.com", "https://badexample.com", "https://a.badexample.com",
			"https://a.example.com.evil.net", "http://a.example.com", "https://a.example.com:8443",
			"https://a.example.co", "null"},
	},
	{
		name:     "subdomains with port",
		patterns: []string{"http://*.abcd.com:12345"},
		yes:      []string{"http://x.abcd.com:12345"},
		no:       []string{"http://x.abcd.com", "http://abcd.com:12345", "https://x.abcd.com:12345"},
	},
	{
		name:     "subdomains of a TLD",
		patterns: []string{"https://*.com"},
		yes:      []string{"https://example.com", "https://a.b.com"},
		no:       []string{"https://com", "https://example.net"},
	},
	{
		name:     "shared suffixes never combine (GHSA-vhxv-fg4m-p2w8)",
		patterns: []string{"https://foo.com", "https://bar.com", "https://*.baz.com"},
		yes:      []string{"https://foo.com", "https://bar.com", "https://x.baz.com"},
		no:       []string{"https://barfoo.com", "https://foobar.com", "https://xbaz.com", "https://baz.com", "https://x.foo.com"},
	},
	{
		name:     "nested wildcards of different lengths",
		patterns: []string{"https://*.a.example.com", "https://*.example.org:8443"},
		yes:      []string{"https://x.a.example.com", "https://y.x.a.example.com", "https://x.example.org:8443"},
		no:       []string{"https://a.example.com", "https://x.b.example.com", "https://x.example.org"},
	},
	{
		name:     "any host",
		patterns: []string{"https://*"},
		yes:      []string{"https://example.com", "https://a.b.c", "https://[::1]", "https://127.0.0.1"},
		no:       []string{"http://example.com", "https://example.com:8443", "null", "chrome-extension://abc"},
	},
	{
		name:     "any host with port",
		patterns: []string{"http://*:8080"},
		yes:      []string{"http://localhost:8080", "http://[::1]:8080"},
		no:       []string{"http://localhost", "https://localhost:8080"},
	},
	{
		name:     "IPv6 literal",
		patterns: []string{"http://[::1]:8080"},
		yes:      []string{"http://[::1]:8080"},
		no:       []string{"http://[::1]", "http://[::2]:8080", "http://localhost:8080"},
	},
	{
		name:     "IP literal is not a subdomain",
		patterns: []string{"http://*.0.0.1"},
		yes:      []string{"http://127.0.0.1"},
		no:       []string{"http://[::ffff:127.0.0.1]"},
	},
	{
		name:     "star",
		patterns: []string{"*"},
		yes:      []string{"https://example.com", "null", "chrome-extension://abc", "ws://x:1"},
	},
	{
		name: "nothing",
		no:   []string{"https://example.com", "null"},
	},
}

func TestMatcher(t *testing.T) {
	for _, tt := range matcherTests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMatcher(t, tt.patterns...)
			for _, s := range tt.yes {
				o, ok := Parse(s)
				if !ok {
					t.Fatalf("Parse(%q) failed", s)
				}
				if !m.Match(o) {
					t.Errorf("%q does not match %q", tt.patterns, s)
				}
			}
			for _, s := range tt.no {
				o, ok := Parse(s)
				if !ok {
					t.Fatalf("Parse(%q) failed", s)
				}
				if m.Match(o) {
					t.Errorf("%q matches %q", tt.patterns, s)
				}
			}
		})
	}
}

// TestMatcherRaw checks the raw fast path against Match on every table
// entry: a raw hit is an allowed origin, and a raw miss followed by
// MatchParsed gives Match's answer, including for non-canonical spellings
// (upper case, an explicit default port) of an allowed exact origin.
func TestMatcherRaw(t *testing.T) {
	for _, tt := range matcherTests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMatcher(t, tt.patterns...)
			for _, s := range append(append([]string(nil), tt.yes...), tt.no...) {
				o, ok := Parse(s)
				if !ok {
					t.Fatalf("Parse(%q) failed", s)
				}
				raw := m.MatchRaw(s)
				if raw && !m.Match(o) {
					t.Errorf("%q: MatchRaw(%q) but not Match", tt.patterns, s)
				}
				if got, want := raw || m.MatchParsed(o), m.Match(o); got != want {
					t.Errorf("%q: MatchRaw/MatchParsed(%q) = %v, Match = %v", tt.patterns, s, got, want)
				}
			}
		})
	}
	many := make([]string, 0, 2*maxRawList)
	for i := range cap(many) {
		many = append(many, "https://app"+strings.Repeat("x", i)+".example.com")
	}
	m := mustMatcher(t, many...)
	for _, s := range many {
		if !m.MatchRaw(s) {
			t.Errorf("set of %d: MatchRaw(%q) = false", len(many), s)
		}
	}
	if m.MatchRaw("HTTPS://APP.EXAMPLE.COM") || m.MatchRaw("https://app.example.com:443") {
		t.Error("MatchRaw accepted a non-canonical spelling")
	}
	for _, s := range []string{"HTTPS://APPX.EXAMPLE.COM", "https://appx.example.com:443"} {
		if o, _ := Parse(s); !m.MatchParsed(o) {
			t.Errorf("MatchParsed(%q) = false for an allowed origin spelled differently", s)
		}
	}
}

func TestMatcherHandMadeOrigins(t *testing.T) {
	m := mustMatcher(t, "https://*.example.com", "https://*")
	for _, o := range []Origin{
		{},
		{Scheme: "https"},
		{Scheme: "https", Host: ".example.com"},
		{Scheme: "https", Host: strings.Repeat("a", 2*MaxLen)},
	} {
		_ = m.Match(o) // must not panic
	}
	if m.Match(Origin{Scheme: "https", Host: ".example.com", Port: "8443"}) {
		t.Error("matched a host that is only a dot and a suffix")
	}
}

func TestMatcherNoAlloc(t *testing.T) {
	m := mustMatcher(t, "https://example.com", "https://*.example.org", "http://*:8080")
	subs := mustMatcher(t, "https://example.com", "https://*.example.org") // in-place comparison
	for _, s := range []string{
		"https://example.com", "HTTPS://EXAMPLE.COM:443", "https://a.b.example.org",
		"http://x:8080", "https://nope.example.net", "https://" + strings.Repeat("a.", 400) + "com",
	} {
		o, ok := Parse(s)
		if !ok {
			t.Fatalf("Parse(%q) failed", s)
		}
		if n := testing.AllocsPerRun(100, func() { m.Match(o) }); n != 0 {
			t.Errorf("Match(%q) allocated %v times", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = m.MatchRaw(s) || m.MatchParsed(o) }); n != 0 {
			t.Errorf("MatchRaw/MatchParsed(%q) allocated %v times", s, n)
		}
		for _, m := range []*Matcher{m, subs} {
			if n := testing.AllocsPerRun(100, func() { m.Check(s) }); n != 0 {
				t.Errorf("Check(%q) allocated %v times", s, n)
			}
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	m := mustMatcher(b, "https://example.com", "https://*.example.org", "https://a.example.net:8443")
	for _, s := range []string{"https://example.com", "HTTPS://A.B.EXAMPLE.ORG", "https://miss.example.io"} {
		o, _ := Parse(s)
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(o)
			}
		})
	}
}

// BenchmarkCheck measures the request path of checkOrigin: the raw
// comparison, then Parse and the match on a miss.
func BenchmarkCheck(b *testing.B) {
	cases := []struct{ name, patterns, origin string }{
		{"exact-hit", "https://app.example.com", "https://app.example.com"},
		{"exact-miss", "https://app.example.com", "https://evil.example.net"},
		{"wildcard-hit", "https://*.example.com https://*.example.org", "https://tenant42.example.com"},
		{"wildcard-upper", "https://*.example.com https://*.example.org", "https://Tenant42.Example.com"},
	}
	for _, c := range cases {
		m := mustMatcher(b, strings.Fields(c.patterns)...)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Check(c.origin)
			}
		})
	}
}

// TestCheckAgreesWithMatch runs Check, which compares a canonical origin
// with the Subdomains patterns in place when there are at most maxSubList
// of them, against Parse and Match, which build the key, on either side of
// that bound and around ports, case, IP literals and label boundaries.
func TestCheckAgreesWithMatch(t *testing.T) {
	few := []string{"https://*.example.com", "http://*.example.org:8080", "https://exact.example.net"}
	many := append([]string{}, few...)
	for i := range maxSubList {
		many = append(many, "https://*.d"+strings.Repeat("x", i)+".example.io")
	}
	origins := []string{
		"https://a.example.com", "https://a.b.example.com", "https://example.com",
		"https://aexample.com", "https://.example.com", "https://a.example.com:443",
		"HTTPS://A.EXAMPLE.COM", "https://a.example.com:8443", "http://a.example.com",
		"http://a.example.org:8080", "http://a.example.org", "https://a.example.org:8080",
		"https://exact.example.net", "https://x.exact.example.net", "https://[::1]",
		"https://a.example.com.evil.net", "https://a.dxx.example.io", "https://a.dxxxxxxxxx.example.io",
		"null", "ftp://a.example.com", "https://a.example.com/", "https://a_b.example.com",
	}
	for _, ps := range [][]string{few, many, {"https://*.example.com", "https://*"}, {"*", "https://*.example.com"}} {
		m := mustMatcher(t, ps...)
		if got, want := m.subs != nil, len(ps) <= maxSubList && !slices.Contains(ps, "https://*") && !slices.Contains(ps, "*"); got != want {
			t.Errorf("patterns %q: in-place comparison %v, want %v", ps, got, want)
		}
		for _, s := range origins {
			o, ok := Parse(s)
			valid, allowed := m.Check(s)
			if valid != ok || allowed != (ok && m.Match(o)) {
				t.Errorf("patterns %q, origin %q: Check = %v, %v; Parse %v, Match %v", ps, s, valid, allowed, ok, ok && m.Match(o))
			}
		}
	}
}
