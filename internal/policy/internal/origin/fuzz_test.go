package origin

import (
	"strings"
	"testing"
)

// FuzzParseOrigin: Parse never panics, is lossless (String gives the input
// back, and re-parsing gives the same parts), and never accepts a value
// that would be unsafe to echo in a response header.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{
		"https://example.com", "http://localhost:8080", "HTTPS://A.B.C:443", "null",
		"http://[::1]:8080", "chrome-extension://abc", "https://a.com, https://b.com",
		"https://x/", "https://u@x", "https://x:0", "https://x:65536", "https://x\r\n",
		"https://exa mple.com", "https://*.example.com", "http://[::1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := Parse(s)
		if !ok {
			if o != (Origin{}) {
				t.Fatalf("Parse(%q) failed but returned %+v", s, o)
			}
			return
		}
		if got := o.String(); got != s {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		if again, ok := Parse(o.String()); !ok || again != o {
			t.Fatalf("re-parse of %q = %+v, %v; want %+v", s, again, ok, o)
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f || c == ',' || c == '@' || c == '?' || c == '#' || c == '"' {
				t.Fatalf("Parse accepted %q, which contains %q", s, c)
			}
		}
		if !o.Null && strings.Contains(s[len(o.Scheme)+3:], "/") {
			t.Fatalf("Parse accepted %q, which has a path", s)
		}
	})
}

// FuzzOriginPattern checks pattern parsing and, differentially, the
// matcher: label-aware suffix matchers are where CORS libraries have had
// bypasses (jub0bs/cors GHSA-vhxv-fg4m-p2w8), so Match must agree with
// naiveMatch, which lower-cases strings and compares them the obvious way.
func FuzzOriginPattern(f *testing.F) {
	seeds := [][3]string{
		{"https://example.com", "https://*.example.com", "https://a.example.com"},
		{"https://foo.com", "https://bar.com", "https://barfoo.com"},
		{"https://*.example.com", "http://*:8080", "https://example.com"},
		{"HTTPS://Example.COM:443/", "*", "https://EXAMPLE.com"},
		{"http://[::1]:8080", "https://*", "http://[::1]:8080"},
		{"https://*.a.b", "https://*.b", "https://x.a.b"},
		{"http://*bar.com", "http://bar.*.com", "http://foobar.com"},
		{"https://*.com", "https://x.com:99999", "null"},
		{"http://*.0.0.1", "http://[0::1]", "http://127.0.0.1"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, p1, p2, req string) {
		var ps []Pattern
		for _, s := range []string{p1, p2} {
			p, err := ParsePattern(s)
			if err != nil {
				continue
			}
			checkPattern(t, s, p)
			ps = append(ps, p)
		}
		o, ok := Parse(req)
		m := NewMatcher(ps)
		// Check, the request path, must say what Parse and Match say.
		if valid, allowed := m.Check(req); valid != ok || allowed != (ok && m.Match(o)) {
			t.Fatalf("patterns %q, origin %q: Check = %v, %v; Parse ok %v", []string{p1, p2}, req, valid, allowed, ok)
		}
		if !ok {
			return
		}
		if got, want := m.Match(o), naiveMatch(ps, req); got != want {
			t.Fatalf("patterns %q, origin %q: Match = %v, naive = %v", []string{p1, p2}, req, got, want)
		}
		// The raw fast path, then MatchParsed on a miss, must say what
		// Match says.
		if got, want := m.MatchRaw(req) || m.MatchParsed(o), m.Match(o); got != want {
			t.Fatalf("patterns %q, origin %q: MatchRaw/MatchParsed = %v, Match = %v", []string{p1, p2}, req, got, want)
		}
	})
}

// checkPattern asserts the invariants of one parsed pattern.
func checkPattern(t *testing.T, s string, p Pattern) {
	t.Helper()
	canon := p.String()
	q, err := ParsePattern(canon)
	if err != nil || q.String() != canon || q.Rewritten || q.DroppedPath != "" {
		t.Fatalf("canonical form %q of %q does not re-parse to itself: %+v, %v", canon, s, q, err)
	}
	if p.Kind != Exact {
		return
	}
	// A pattern without wildcard is an origin, and matches itself.
	o, ok := Parse(canon)
	if !ok {
		t.Fatalf("exact pattern %q (from %q) does not parse as an origin", canon, s)
	}
	if !NewMatcher([]Pattern{p}).Match(o) {
		t.Fatalf("exact pattern %q does not match itself", canon)
	}
	// The text as written matches too, except for IPv6 literals: the
	// request side compares them in the canonical form browsers send.
	if p.DroppedPath == "" && !strings.HasPrefix(p.Host, "[") {
		if o, ok := Parse(s); !ok || !NewMatcher([]Pattern{p}).Match(o) {
			t.Fatalf("pattern %q does not match the same text as an origin", s)
		}
	}
}

func naiveMatch(ps []Pattern, req string) bool {
	for _, p := range ps {
		if naiveMatchOne(p, req) {
			return true
		}
	}
	return false
}

func naiveMatchOne(p Pattern, req string) bool {
	if p.Kind == Any {
		return true
	}
	if req == "null" {
		return false
	}
	scheme, rest, _ := strings.Cut(strings.ToLower(req), "://")
	def := map[string]string{"http": "80", "https": "443"}[scheme]
	if scheme != p.Scheme || def == "" {
		return false
	}
	host, port := rest, def
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
	}
	wantPort := p.Port
	if wantPort == "" {
		wantPort = def
	}
	if port != wantPort {
		return false
	}
	switch p.Kind {
	case Exact:
		return host == p.Host
	case AnyHost:
		return true
	case Subdomains:
		return !strings.HasPrefix(host, "[") && strings.HasSuffix(host, "."+p.Host)
	}
	return false
}
