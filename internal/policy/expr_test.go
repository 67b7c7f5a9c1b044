package policy

import (
	"reflect"
	"strings"
	"testing"
)

// exprSpec mixes every origin form; the exact one must stay on the
// allocation-free path.
var exprSpec = Spec{
	AllowOrigins:   []string{"https://example.com"},
	OriginPrefixes: []string{"https://app.example.net"},
	OriginRegexes:  []string{`https://[a-z0-9-]+\.example\.org`},
	AllowMethods:   []string{"PUT"},
}

func TestEvaluateOriginExprs(t *testing.T) {
	p := mustCompile(t, exprSpec)
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://example.com", true},
		{"https://app.example.net", true},
		{"https://app.example.net.evil.net", true}, // a prefix is a prefix
		{"https://APP.example.net", false},         // compared byte for byte, as Istio does
		{"https://api.example.org", true},
		{"https://api.example.org.evil.net", false}, // regexes are anchored
		{"https://x.api.example.org", false},
		{"null", false},
		{"https://api.example.org, https://a.com", false}, // not a single valid origin
	}
	for _, tt := range tests {
		d := p.Evaluate(preflight(tt.origin, "PUT"))
		if d.Allowed != tt.want || (d.Status == 204) != tt.want {
			t.Errorf("preflight from %q: allowed %v status %d, want allowed %v", tt.origin, d.Allowed, d.Status, tt.want)
		}
		if a := p.Evaluate(get(tt.origin)); a.Allowed != tt.want || tt.want && a.AllowOrigin[0] != tt.origin {
			t.Errorf("GET from %q: %+v", tt.origin, a)
		}
	}
}

func TestEvaluateForwardUnmatchedPreflights(t *testing.T) {
	s := exprSpec
	s.ForwardUnmatchedPreflights = true
	p := mustCompile(t, s)
	for _, o := range []string{"https://evil.example", "not an origin", "null"} {
		d := p.Evaluate(preflight(o, "PUT"))
		want := Decision{Preflight: true, Forward: true, Reason: d.Reason, Vary: v(varyPF)}
		if !reflect.DeepEqual(d, want) || d.Reason == ReasonAllowed {
			t.Errorf("preflight from %q = %+v, want %+v", o, d, want)
		}
	}
	// An allowed origin is answered locally, and so is a malformed request
	// method from an allowed origin: only unmatched origins are forwarded.
	if d := p.Evaluate(preflight("https://example.com", "PUT")); d.Forward || d.Status != 204 {
		t.Errorf("allowed preflight = %+v", d)
	}
	if d := p.Evaluate(preflight("https://example.com", "P U T")); d.Forward || d.Status != 403 {
		t.Errorf("bad method preflight = %+v", d)
	}
	if d := p.Evaluate(get("https://evil.example")); d.Forward || d.Preflight {
		t.Errorf("actual request = %+v", d)
	}
	if !p.Spec().ForwardUnmatchedPreflights {
		t.Error("Spec() lost ForwardUnmatchedPreflights")
	}
	if d := mustCompile(t, exprSpec).Evaluate(preflight("https://evil.example", "PUT")); d.Forward || d.Status != 403 {
		t.Errorf("without the option = %+v", d)
	}
}

func TestCompileExprWarnings(t *testing.T) {
	type w struct {
		code  WarningCode
		field string
	}
	tests := []struct {
		name        string
		spec        Spec
		want        []w
		reflectsAny bool
		mentions    string
	}{
		{"prefix admits look-alikes", Spec{OriginPrefixes: v("https://example.com")},
			[]w{{WarnLookalikeOrigin, "originPrefixes[0]"}}, false, `"https://example.com.evil.net"`},
		{"port prefix is tight", Spec{OriginPrefixes: v("https://example.com:")}, nil, false, ""},
		{"scheme prefix without credentials", Spec{OriginPrefixes: v("https://")}, nil, false, ""},
		{"scheme prefix with credentials", Spec{OriginPrefixes: v("https://"), AllowCredentials: true},
			[]w{{WarnReflectAnyOriginWithCredentials, "originPrefixes[0]"}}, true, `"https://evil.example"`},
		{"http prefix with credentials", Spec{OriginPrefixes: v("http"), AllowCredentials: true},
			[]w{{WarnReflectAnyOriginWithCredentials, "originPrefixes[0]"}}, true, ""},
		{"http look-alike with credentials", Spec{OriginPrefixes: v("http://localhost"), AllowCredentials: true},
			[]w{{WarnLookalikeOrigin, "originPrefixes[0]"}, {WarnInsecureOriginWithCredentials, "originPrefixes[0]"}}, false, ""},
		{"trailing slash prefix never matches", Spec{OriginPrefixes: v("https://example.com/")},
			[]w{{WarnOriginNeverMatches, "originPrefixes[0]"}}, false, `write "https://example.com"`},
		{"upper-case prefix never matches", Spec{OriginPrefixes: v("https://Example.com")},
			[]w{{WarnOriginNeverMatches, "originPrefixes[0]"}}, false, `write "https://example.com"`},
		{"dot-star regex with credentials", Spec{OriginRegexes: v(".*"), AllowCredentials: true},
			[]w{{WarnReflectAnyOriginWithCredentials, "originRegexes[0]"}}, true, ""},
		{"https dot-star regex with credentials", Spec{OriginRegexes: v("https://.*"), AllowCredentials: true},
			[]w{{WarnReflectAnyOriginWithCredentials, "originRegexes[0]"}}, true, ""},
		{"unescaped dots", Spec{OriginRegexes: v("https://app.example.com")},
			[]w{{WarnLookalikeOrigin, "originRegexes[0]"}}, false, `"https://appxexample.com"`},
		{"tight regex", Spec{OriginRegexes: v(`https://[a-z]+\.example\.com`), AllowCredentials: true}, nil, false, ""},
		{"duplicates compile once", Spec{OriginPrefixes: v("https://a.com:", "https://a.com:"), OriginRegexes: v("https://b\\.com", "https://b\\.com")}, nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warns, err := Compile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var got []w
			all := ""
			for _, x := range warns {
				got = append(got, w{x.Code, x.Field})
				checkMessage(t, x.Message)
				all += x.Message
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("warnings %v, want %v", got, tt.want)
			}
			if !strings.Contains(all, tt.mentions) {
				t.Errorf("warnings %q do not mention %s", all, tt.mentions)
			}
			if p.ReflectsAnyOriginWithCredentials() != tt.reflectsAny {
				t.Errorf("ReflectsAnyOriginWithCredentials() = %v", !tt.reflectsAny)
			}
			sp := p.Spec()
			if len(sp.OriginPrefixes) > 1 || len(sp.OriginRegexes) > 1 {
				t.Errorf("duplicates kept: %+v", sp)
			}
		})
	}
}

func TestCompileExprErrors(t *testing.T) {
	_, _, err := Compile(Spec{
		AllowOrigins:   v("*"),
		OriginPrefixes: v("", "https://a b", "https://ok."),
		OriginRegexes:  v("(", ""),
	})
	got := problems(fieldErrors(t, err))
	want := []problem{
		{"allowOrigins[0]", "*"},
		{"originPrefixes[0]", ""}, {"originPrefixes[1]", "https://a b"},
		{"originRegexes[0]", "("}, {"originRegexes[1]", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("errors %v, want %v", got, want)
	}
	for _, fe := range fieldErrors(t, err) {
		checkMessage(t, fe.Error())
	}
}

func TestEvaluateExprsNoAllocOnExactPath(t *testing.T) {
	p := mustCompile(t, exprSpec)
	for _, r := range []*Request{preflight("https://example.com", "PUT"), get("https://example.com"), get("https://app.example.net"), get("null")} {
		if n := testing.AllocsPerRun(200, func() { p.Evaluate(r) }); n != 0 {
			t.Errorf("Evaluate(%q) allocated %v times per run", r.Origin, n)
		}
	}
}

func BenchmarkEvaluateRegexOrigin(b *testing.B) {
	p := mustCompile(b, exprSpec)
	r := get("https://api.example.org")
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}
