package origin

import (
	"regexp"
	"strings"
	"testing"
)

func TestExprsMatch(t *testing.T) {
	re := func(s string) *regexp.Regexp {
		r, err := CompileRegex(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	e := NewExprs([]string{"https://app.example.com"}, []*regexp.Regexp{re(`https://[a-z]+\.example\.org`), re(`(?i)http://LOCALHOST:\d+`)})
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		{"https://app.example.com:8443", true},
		{"https://app.example.community", true}, // a literal prefix: compatibility
		{"https://APP.example.com", false},      // byte for byte
		{"https://api.example.org", true},
		{"https://api.example.org.evil.net", false}, // anchored
		{"https://a.b.example.org", false},
		{"http://localhost:3000", true},
		{"http://localhost", false},
		{"null", false},
	}
	for _, tt := range tests {
		if got := e.Match(tt.origin); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	if (*Exprs)(nil).Match("https://x") || NewExprs(nil, nil) != nil {
		t.Error("an empty Exprs must be nil and match nothing")
	}
	if NewExprs([]string{"n"}, nil).Match("null") {
		t.Error(`a prefix matched "null"`)
	}
}

func TestCompileRegexErrors(t *testing.T) {
	for _, s := range []string{"", "(", "a{2,1}", strings.Repeat("a", MaxRegexLen+1), `(?<=x)a`} {
		if _, err := CompileRegex(s); err == nil {
			t.Errorf("CompileRegex(%q) succeeded", s)
		} else if e, ok := err.(*Error); !ok || e.Fix == "" {
			t.Errorf("CompileRegex(%q): %v is not an *Error with a fix", s, err)
		}
	}
	for _, s := range []string{"", "https://a b", "https://a,https://b", "https://é"} {
		if CheckPrefix(s) == nil {
			t.Errorf("CheckPrefix(%q) accepted it", s)
		}
	}
}

func TestPrefixRisk(t *testing.T) {
	tests := []struct {
		prefix    string
		anyHost   bool
		lookalike string
		never     bool
		insecure  bool
	}{
		{prefix: "https://", anyHost: true},
		{prefix: "http", anyHost: true, insecure: true},
		{prefix: "h", anyHost: true, insecure: true},
		{prefix: "https://e", anyHost: true},
		{prefix: "https://example.com", lookalike: "https://example.com.evil.net"},
		{prefix: "https://app.", lookalike: "https://app.evil.net"},
		{prefix: "http://localhost", lookalike: "http://localhost.evil.net", insecure: true},
		{prefix: "https://example.com:"},
		{prefix: "https://example.com:84"},
		{prefix: "https://example.com/", never: true},
		{prefix: "https://Example.com", never: true},
	}
	for _, tt := range tests {
		r := PrefixRisk(tt.prefix)
		if r.AnyHost != tt.anyHost || r.Lookalike != tt.lookalike || (r.Never != "") != tt.never || r.Insecure != tt.insecure {
			t.Errorf("PrefixRisk(%q) = %+v, want anyHost %v lookalike %q never %v insecure %v",
				tt.prefix, r, tt.anyHost, tt.lookalike, tt.never, tt.insecure)
		}
		if (r.AnyHost || r.Lookalike != "") && !strings.HasPrefix(r.Example, tt.prefix) {
			t.Errorf("PrefixRisk(%q).Example = %q does not start with the prefix", tt.prefix, r.Example)
		}
	}
}

func TestRegexRisk(t *testing.T) {
	tests := []struct {
		regex     string
		anyHost   bool
		lookalike string
	}{
		{regex: ".*", anyHost: true},
		{regex: "https://.*", anyHost: true},
		{regex: "https?://.+", anyHost: true},
		{regex: `https://[a-z]+\.com`, anyHost: true},
		{regex: `https://.*\.example\.com`},
		{regex: `https://([a-z0-9-]+\.)*example\.com`},
		{regex: `https://(www|app)\.example\.com(:\d+)?`},
		{regex: `https://example.com`, lookalike: "https://examplexcom"},
		{regex: `https://.*example\.com`, lookalike: "https://evilexample.com"},
		{regex: `https://example\.com.*`, lookalike: "https://example.com.evil.net"},
		{regex: `https://app\.example\.com|https://other\.example\.com`},
	}
	for _, tt := range tests {
		re, err := CompileRegex(tt.regex)
		if err != nil {
			t.Fatal(err)
		}
		r := RegexRisk(re)
		if r.AnyHost != tt.anyHost || r.Lookalike != tt.lookalike {
			t.Errorf("RegexRisk(%q) = %+v, want anyHost %v lookalike %q", tt.regex, r, tt.anyHost, tt.lookalike)
		}
		if r.Example != "" && !re.MatchString(r.Example) {
			t.Errorf("RegexRisk(%q).Example = %q, which it does not match", tt.regex, r.Example)
		}
	}
}

// FuzzExprs: Exprs.Match agrees with the obvious definition (HasPrefix, or
// the whole value matching the regex) for every valid Origin, never
// matches "null", and a reported risk example is always admitted.
func FuzzExprs(f *testing.F) {
	seeds := [][3]string{
		{"https://example.com", `https://[a-z]+\.example\.com`, "https://example.com.evil.net"},
		{"http", ".*", "http://localhost:8080"},
		{"https://", `https://.*`, "null"},
		{"n", `n.*`, "null"},
		{"https://a.", `(?i)HTTPS://A\.B`, "https://a.b"},
		{"https://x:8", `https://x(:\d+)?`, "https://x:8080"},
		{"https://[::1]", `http://\[::1\]:\d+`, "http://[::1]:3000"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, prefix, expr, req string) {
		var prefixes []string
		if CheckPrefix(prefix) == nil {
			prefixes = append(prefixes, prefix)
			if r := PrefixRisk(prefix); r.Example != "" && !strings.HasPrefix(r.Example, prefix) {
				t.Fatalf("PrefixRisk(%q) example %q not admitted", prefix, r.Example)
			}
		}
		var regexes []*regexp.Regexp
		re, err := CompileRegex(expr)
		if err == nil {
			regexes = append(regexes, re)
			if r := RegexRisk(re); r.Example != "" && !re.MatchString(r.Example) {
				t.Fatalf("RegexRisk(%q) example %q not admitted", expr, r.Example)
			}
		}
		o, ok := Parse(req)
		if !ok {
			return
		}
		want := false
		if !o.Null {
			want = len(prefixes) > 0 && strings.HasPrefix(req, prefix) ||
				re != nil && err == nil && regexp.MustCompile("^(?:"+expr+")$").MatchString(req)
		}
		if got := NewExprs(prefixes, regexes).Match(req); got != want {
			t.Fatalf("prefix %q, regex %q, origin %q: Match = %v, want %v", prefix, expr, req, got, want)
		}
	})
}
