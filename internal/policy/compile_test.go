package policy

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// fieldErrors unpacks the joined error Compile returns.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v is not a joined error", err)
	}
	var out []*FieldError
	for _, e := range j.Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not a *FieldError", e)
		}
		out = append(out, fe)
	}
	return out
}

// problem is the part of a FieldError or Warning a test pins.
type problem struct{ field, value string }

func problems(fes []*FieldError) []problem {
	var out []problem
	for _, fe := range fes {
		out = append(out, problem{fe.Field, fe.Value})
	}
	return out
}

func TestCompileOriginVectors(t *testing.T) {
	// Gateway API CEL vectors (tests/cel/httproute_test.go, TestHTTPRouteCORS).
	valid := []string{
		"https://xpto.com", "http://*.abcd.com", "http://*.abcd.com:12345", "https://*:443",
		"https://*", "https://*.com", "*",
		// corsgate extensions of the Gateway API grammar.
		"https://example.com/", "https://example.com/foo", "HTTPS://Example.COM:443", "http://[::1]:8080",
		"http://127.0.0.1:3000",
	}
	for _, v := range valid {
		if _, _, err := Compile(Spec{AllowOrigins: []string{v}}); err != nil {
			t.Errorf("Compile(allowOrigins [%q]): %v", v, err)
		}
	}
	invalid := []string{
		"xpto.com", "https://xpto.com:notaport", "xpto/https://xpto.com", "http://www.example.com:111111",
		"http://www.example.com:", "spiffe://www.example.com", "http://*bar.com", "http://bar*.com",
		"http://bar.*.com", "http://*bar", "http://bar*", "http://*.bar.*.dev",
		"https://*example.com", "https://a.*.com", "https://*.a.*.dev", "https://x:99999",
		"https://user@x.com", "https://x.com?q=1", "https://x.com#f", "ftp://x.com", "null", "",
		"chrome-extension://abc",
	}
	for _, v := range invalid {
		p, _, err := Compile(Spec{AllowOrigins: []string{v}})
		got := problems(fieldErrors(t, err))
		if p != nil || !reflect.DeepEqual(got, []problem{{"allowOrigins[0]", v}}) {
			t.Errorf("Compile(allowOrigins [%q]) = %v, errors %v; want one error on allowOrigins[0]", v, p, got)
		}
	}
	// The list-level CEL vector.
	_, _, err := Compile(Spec{AllowOrigins: []string{"*", "https://xpto.com"}})
	if got := problems(fieldErrors(t, err)); !reflect.DeepEqual(got, []problem{{"allowOrigins[0]", "*"}}) {
		t.Errorf(`["*","https://xpto.com"]: errors %v`, got)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want []problem
	}{
		{"star after others", Spec{AllowOrigins: []string{"https://a.com", "*", "*"}}, []problem{{"allowOrigins[1]", "*"}}},
		{"star twice is star", Spec{AllowOrigins: []string{"*", "*"}}, nil},
		{"too many origins", Spec{AllowOrigins: manyOrigins(65)}, []problem{{"allowOrigins", ""}}},
		{"64 origins", Spec{AllowOrigins: manyOrigins(64)}, nil},
		{"empty method", Spec{AllowMethods: []string{"GET", ""}}, []problem{{"allowMethods[1]", ""}}},
		{"method list in one entry", Spec{AllowMethods: []string{"GET, POST"}}, []problem{{"allowMethods[0]", "GET, POST"}}},
		{"method star with others", Spec{AllowMethods: []string{"GET", "*"}}, []problem{{"allowMethods[1]", "*"}}},
		{"method star alone", Spec{AllowMethods: []string{"*"}}, nil},
		{"extension methods", Spec{AllowMethods: []string{"PROPFIND", "patch", "M-SEARCH"}}, nil},
		{"too many methods", Spec{AllowMethods: manyTokens("M", 65)}, []problem{{"allowMethods", ""}}},
		{"header not a token", Spec{AllowHeaders: []string{"X-Ok", "X Bad", "X:Bad"}}, []problem{{"allowHeaders[1]", "X Bad"}, {"allowHeaders[2]", "X:Bad"}}},
		{"header star with others", Spec{AllowHeaders: []string{"*", "X-A"}}, []problem{{"allowHeaders[0]", "*"}}},
		{"empty header", Spec{AllowHeaders: []string{""}}, []problem{{"allowHeaders[0]", ""}}},
		{"too many headers", Spec{AllowHeaders: manyTokens("X-", 65)}, []problem{{"allowHeaders", ""}}},
		{"expose star with credentials", Spec{ExposeHeaders: []string{"X-A", "*"}, AllowCredentials: true}, []problem{{"exposeHeaders[1]", "*"}}},
		{"expose star without credentials", Spec{ExposeHeaders: []string{"X-A", "*"}}, nil},
		{"expose set-cookie", Spec{ExposeHeaders: []string{"set-cookie", "Set-Cookie2"}}, []problem{{"exposeHeaders[0]", "set-cookie"}, {"exposeHeaders[1]", "Set-Cookie2"}}},
		{"expose not a token", Spec{ExposeHeaders: []string{"a/b"}}, []problem{{"exposeHeaders[0]", "a/b"}}},
		{"too many exposed", Spec{ExposeHeaders: manyTokens("X-", 65)}, []problem{{"exposeHeaders", ""}}},
		{"negative max age", Spec{MaxAge: -1}, []problem{{"maxAge", "-1"}}},
		{
			name: "every problem at once, in field order",
			spec: Spec{
				AllowOrigins:     []string{"https://ok.com", "xpto.com", "*", "http://bar*.com", "null"},
				AllowMethods:     []string{"GET", "", "*"},
				AllowHeaders:     []string{"X Bad"},
				ExposeHeaders:    []string{"*", "Set-Cookie"},
				AllowCredentials: true,
				MaxAge:           -5,
			},
			want: []problem{
				{"allowOrigins[1]", "xpto.com"},
				{"allowOrigins[2]", "*"},
				{"allowOrigins[3]", "http://bar*.com"},
				{"allowOrigins[4]", "null"},
				{"allowMethods[1]", ""},
				{"allowMethods[2]", "*"},
				{"allowHeaders[0]", "X Bad"},
				{"exposeHeaders[0]", "*"},
				{"exposeHeaders[1]", "Set-Cookie"},
				{"maxAge", "-5"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := Compile(tt.spec)
			fes := fieldErrors(t, err)
			if got := problems(fes); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("errors %v, want %v (error: %v)", got, tt.want, err)
			}
			if (p == nil) != (len(tt.want) > 0) {
				t.Fatalf("policy %v with %d errors", p, len(tt.want))
			}
			for _, fe := range fes {
				checkMessage(t, fe.Reason)
				if fe.Fix == "" {
					t.Errorf("%s: no fix", fe.Field)
				}
			}
		})
	}
}

// checkMessage enforces the style: messages start in lower case (or with a
// quoted value) and do not end with a period.
func checkMessage(t *testing.T, msg string) {
	t.Helper()
	if msg == "" || msg[0] >= 'A' && msg[0] <= 'Z' || strings.HasSuffix(msg, ".") {
		t.Errorf("message %q: want lower case, no final period", msg)
	}
}

func manyOrigins(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "https://o" + strconv.Itoa(i) + ".example.com"
	}
	return out
}

func manyTokens(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func TestFieldErrorMessage(t *testing.T) {
	_, _, err := Compile(Spec{AllowOrigins: []string{"https://example.com", "example.com"}})
	want := `allowOrigins[1] "example.com": has no scheme; write it as scheme://host[:port], e.g. "https://example.com"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %q\nwant  %q", err, want)
	}
	_, _, err = Compile(Spec{AllowOrigins: []string{"null"}})
	if err == nil || !strings.Contains(err.Error(), `only "*" matches the null origin`) || !strings.Contains(err.Error(), "unsafe") {
		t.Fatalf("null origin: %v", err)
	}
}

func TestCompileWarnings(t *testing.T) {
	type w struct {
		code  WarningCode
		field string
		value string
	}
	tests := []struct {
		name        string
		spec        Spec
		want        []w
		reflectsAny bool
	}{
		{"clean", Spec{AllowOrigins: []string{"https://example.com"}, AllowCredentials: true}, nil, false},
		{"trailing slash", Spec{AllowOrigins: []string{"https://example.com/"}}, []w{{WarnOriginNormalized, "allowOrigins[0]", "https://example.com/"}}, false},
		{"path", Spec{AllowOrigins: []string{"https://example.com/foo"}}, []w{{WarnOriginNormalized, "allowOrigins[0]", "https://example.com/foo"}}, false},
		{"case and default port", Spec{AllowOrigins: []string{"HTTPS://Example.COM:443"}}, []w{{WarnOriginNormalized, "allowOrigins[0]", "HTTPS://Example.COM:443"}}, false},
		{
			name: "star with credentials",
			spec: Spec{AllowOrigins: []string{"*"}, AllowCredentials: true},
			want: []w{{WarnReflectAnyOriginWithCredentials, "allowOrigins[0]", "*"}}, reflectsAny: true,
		},
		{"star without credentials", Spec{AllowOrigins: []string{"*"}}, nil, false},
		{
			name: "any https host with credentials",
			spec: Spec{AllowOrigins: []string{"https://*"}, AllowCredentials: true},
			want: []w{{WarnReflectAnyOriginWithCredentials, "allowOrigins[0]", "https://*"}}, reflectsAny: true,
		},
		{
			name: "any http host with credentials",
			spec: Spec{AllowOrigins: []string{"http://*:8080"}, AllowCredentials: true},
			want: []w{
				{WarnReflectAnyOriginWithCredentials, "allowOrigins[0]", "http://*:8080"},
				{WarnInsecureOriginWithCredentials, "allowOrigins[0]", "http://*:8080"},
			},
			reflectsAny: true,
		},
		{
			name: "http origins with credentials",
			spec: Spec{AllowOrigins: []string{"https://a.com", "http://b.com", "http://*.c.com"}, AllowCredentials: true},
			want: []w{
				{WarnInsecureOriginWithCredentials, "allowOrigins[1]", "http://b.com"},
				{WarnInsecureOriginWithCredentials, "allowOrigins[2]", "http://*.c.com"},
			},
		},
		{"http origin without credentials", Spec{AllowOrigins: []string{"http://b.com"}}, nil, false},
		{
			name: "duplicates after normalisation warn once and compile once",
			spec: Spec{AllowOrigins: []string{"http://b.com", "HTTP://B.com:80/"}, AllowCredentials: true},
			want: []w{
				{WarnInsecureOriginWithCredentials, "allowOrigins[0]", "http://b.com"},
				{WarnOriginNormalized, "allowOrigins[1]", "HTTP://B.com:80/"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warns, err := Compile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var got []w
			for _, x := range warns {
				got = append(got, w{x.Code, x.Field, x.Value})
				checkMessage(t, x.Message)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("warnings %v, want %v", got, tt.want)
			}
			if p.ReflectsAnyOriginWithCredentials() != tt.reflectsAny {
				t.Fatalf("ReflectsAnyOriginWithCredentials() = %v", !tt.reflectsAny)
			}
		})
	}
}

func TestWarningMessages(t *testing.T) {
	_, warns, _ := Compile(Spec{AllowOrigins: []string{"*"}, AllowCredentials: true})
	want := `allowOrigins[0] "*": reflects every origin with credentials: any web site can read responses with the user's cookies; list the origins instead`
	if len(warns) != 1 || warns[0].String() != want {
		t.Fatalf("warnings %v\nwant %q", warns, want)
	}
	_, warns, _ = Compile(Spec{AllowOrigins: []string{"https://example.com/"}})
	if len(warns) != 1 || !strings.Contains(warns[0].Message, `read as "https://example.com"`) {
		t.Fatalf("warnings %v", warns)
	}
}

func TestCompileWarningsWithErrors(t *testing.T) {
	p, warns, err := Compile(Spec{AllowOrigins: []string{"https://a.com/", "bad"}})
	if p != nil || err == nil || len(warns) != 1 {
		t.Fatalf("Compile = %v, %v, %v; want no policy, an error and the warning", p, warns, err)
	}
}

func TestCompileNormalises(t *testing.T) {
	tests := []struct {
		name string
		in   Spec
		want Spec
	}{
		{"zero spec", Spec{}, Spec{MaxAge: 5}},
		{
			name: "everything",
			in: Spec{
				AllowOrigins:        []string{"HTTPS://Example.COM:443/", "https://example.com", "http://*.A.com:8080", "https://*:443", "http://[0::1]:80"},
				AllowMethods:        []string{"GET", "PUT", "GET", "put"},
				AllowHeaders:        []string{"X-A", "x-a", "Authorization"},
				ExposeHeaders:       []string{"X-Request-Id", "x-request-id"},
				AllowCredentials:    true,
				MaxAge:              600,
				AllowPrivateNetwork: true,
			},
			want: Spec{
				AllowOrigins:        []string{"https://example.com", "http://*.a.com:8080", "https://*", "http://[::1]"},
				AllowMethods:        []string{"GET", "PUT", "put"},
				AllowHeaders:        []string{"X-A", "Authorization"},
				ExposeHeaders:       []string{"X-Request-Id"},
				AllowCredentials:    true,
				MaxAge:              600,
				AllowPrivateNetwork: true,
			},
		},
		{"star", Spec{AllowOrigins: []string{"*", "*"}, AllowMethods: []string{"*"}}, Spec{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, MaxAge: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := Compile(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Spec(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Spec() = %+v\nwant     %+v", got, tt.want)
			}
		})
	}
}

func TestSpecReturnsCopies(t *testing.T) {
	in := Spec{AllowOrigins: []string{"https://a.com"}, AllowMethods: []string{"GET"}}
	p, _, err := Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	in.AllowOrigins[0] = "https://evil.com"
	s := p.Spec()
	s.AllowMethods[0] = "DELETE"
	if got := p.Spec(); got.AllowOrigins[0] != "https://a.com" || got.AllowMethods[0] != "GET" {
		t.Fatalf("policy changed through a caller's slice: %+v", got)
	}
	d := p.Evaluate(&Request{Method: "GET", Origin: []string{"https://evil.com"}})
	if d.Allowed {
		t.Fatal("policy changed through the input spec")
	}
}
