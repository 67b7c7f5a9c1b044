package policy

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func v(s ...string) []string { return s }

const (
	varyPF    = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	varyPFPNA = varyPF + ", Access-Control-Request-Private-Network"
)

// Policies the tables run against.
var (
	// listSpec lists everything, with credentials.
	listSpec = Spec{
		AllowOrigins:     []string{"https://example.com", "https://*.example.org", "http://localhost:8080", "http://[::1]:8080"},
		AllowMethods:     []string{"GET", "PUT", "PATCH"},
		AllowHeaders:     []string{"X-Custom", "Authorization"},
		ExposeHeaders:    []string{"X-Request-Id"},
		AllowCredentials: true,
		MaxAge:           600,
	}
	// staticSpec is "*" without credentials: the same headers for everyone.
	staticSpec = Spec{
		AllowOrigins:  []string{"*"},
		AllowMethods:  []string{"GET", "POST"},
		AllowHeaders:  []string{"*"},
		ExposeHeaders: []string{"X-Request-Id"},
	}
	// reflectSpec is "*" with credentials: the Gateway API's origin
	// reflection, with method and header echo.
	reflectSpec = Spec{
		AllowOrigins:     []string{"*"},
		AllowMethods:     []string{"*"},
		AllowHeaders:     []string{"*"},
		AllowCredentials: true,
	}
	pnaSpec  = Spec{AllowOrigins: []string{"https://example.com"}, AllowPrivateNetwork: true}
	bareSpec = Spec{AllowOrigins: []string{"https://example.com"}}
)

func mustCompile(t testing.TB, s Spec) *Policy {
	t.Helper()
	p, _, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func preflight(origin string, method string, headers ...string) *Request {
	r := &Request{Method: "OPTIONS", Origin: v(origin), RequestMethod: v(method)}
	if len(headers) > 0 {
		r.RequestHeaders = headers
	}
	return r
}

func get(origin ...string) *Request { return &Request{Method: "GET", Origin: origin} }

// hostileACRH is 16 KiB of commas and spaces (the rs/cors#170 shape).
var hostileACRH = strings.Repeat(", ", 8<<10)

type evalCase struct {
	name string
	spec Spec
	req  *Request
	want Decision
}

func preflightCases() []evalCase {
	listOK := func(origin string) Decision {
		return Decision{
			Preflight: true, Allowed: true, Reason: ReasonAllowed, Status: 204,
			AllowOrigin: v(origin), AllowCredentials: v("true"),
			AllowMethods: v("GET, PUT, PATCH"), AllowHeaders: v("X-Custom, Authorization"),
			ExposeHeaders: v("X-Request-Id"), MaxAge: v("600"), Vary: v(varyPF),
		}
	}
	denied := func(r Reason, vary string) Decision {
		return Decision{Preflight: true, Reason: r, Status: 403, Vary: v(vary)}
	}
	return []evalCase{
		{"allowed", listSpec, preflight("https://example.com", "PUT", "x-custom"), listOK("https://example.com")},
		{"allowed without ACRH", listSpec, preflight("https://example.com", "PUT"), listOK("https://example.com")},
		{"method not listed still 204 with the lists", listSpec, preflight("https://example.com", "DELETE"), listOK("https://example.com")},
		{"header not listed still 204 with the lists", listSpec, preflight("https://example.com", "PUT", "x-other"), listOK("https://example.com")},
		{"wildcard subdomain", listSpec, preflight("https://a.b.example.org", "PUT"), listOK("https://a.b.example.org")},
		{"upper-case origin echoed verbatim", listSpec, preflight("HTTPS://EXAMPLE.COM", "PUT"), listOK("HTTPS://EXAMPLE.COM")},
		{"explicit default port", listSpec, preflight("https://example.com:443", "PUT"), listOK("https://example.com:443")},
		{"IPv6 origin", listSpec, preflight("http://[::1]:8080", "PUT"), listOK("http://[::1]:8080")},
		{"empty ACRH line", listSpec, preflight("https://example.com", "PUT", ""), listOK("https://example.com")},
		{"ACRH over several lines", listSpec, preflight("https://example.com", "PUT", "a", "b, c"), listOK("https://example.com")},
		{"disallowed origin", listSpec, preflight("https://evil.com", "PUT"), denied(ReasonOriginNotAllowed, varyPF)},
		{"bare parent of wildcard", listSpec, preflight("https://example.org", "PUT"), denied(ReasonOriginNotAllowed, varyPF)},
		{"suffix trick", listSpec, preflight("https://example.com.evil.net", "PUT"), denied(ReasonOriginNotAllowed, varyPF)},
		{"null not matched by a list", listSpec, preflight("null", "PUT"), denied(ReasonOriginNotAllowed, varyPF)},
		{"other scheme not matched by a list", listSpec, preflight("chrome-extension://abc", "PUT"), denied(ReasonOriginNotAllowed, varyPF)},
		{"origin with path", listSpec, preflight("https://example.com/", "PUT"), denied(ReasonInvalidOrigin, varyPF)},
		{"origin with CRLF", listSpec, preflight("https://example.com\r\nX: y", "PUT"), denied(ReasonInvalidOrigin, varyPF)},
		{"two origins", listSpec, &Request{Method: "OPTIONS", Origin: v("https://example.com", "https://example.com"), RequestMethod: v("PUT")}, denied(ReasonInvalidOrigin, varyPF)},
		{"two methods in one value", listSpec, preflight("https://example.com", "GET, PUT"), denied(ReasonInvalidRequestMethod, varyPF)},
		{"two method lines", listSpec, &Request{Method: "OPTIONS", Origin: v("https://example.com"), RequestMethod: v("GET", "PUT")}, denied(ReasonInvalidRequestMethod, varyPF)},
		{"malformed ACRH", listSpec, preflight("https://example.com", "PUT", "x a"), denied(ReasonInvalidRequestHeaders, varyPF)},
		{"hostile 16 KiB ACRH", listSpec, preflight("https://example.com", "PUT", hostileACRH), denied(ReasonInvalidRequestHeaders, varyPF)},
		{"too many ACRH lines", listSpec, preflight("https://example.com", "PUT", "a", "b", "c", "d", "e", "f", "g", "h", "i"), denied(ReasonInvalidRequestHeaders, varyPF)},
		{"too many ACRH names", listSpec, preflight("https://example.com", "PUT", strings.Repeat("a,", 64)+"a"), denied(ReasonInvalidRequestHeaders, varyPF)},
		{"disallowed origin wins over bad ACRH", listSpec, preflight("https://evil.com", "PUT", hostileACRH), denied(ReasonOriginNotAllowed, varyPF)},
	}
}

// preflightWildcardCases cover "*" origins, echo and Private Network Access.
func preflightWildcardCases() []evalCase {
	denied := func(r Reason, vary string) Decision {
		return Decision{Preflight: true, Reason: r, Status: 403, Vary: v(vary)}
	}
	staticOK := Decision{
		Preflight: true, Allowed: true, Reason: ReasonAllowed, Status: 204,
		AllowOrigin: v("*"), AllowMethods: v("GET, POST"), AllowHeaders: v("x-custom,authorization"),
		ExposeHeaders: v("X-Request-Id"), MaxAge: v("5"), Vary: v(varyPF),
	}
	staticNoACRH := staticOK
	staticNoACRH.AllowHeaders = nil
	reflectOK := func(origin, method string, headers ...string) Decision {
		return Decision{
			Preflight: true, Allowed: true, Reason: ReasonAllowed, Status: 204,
			AllowOrigin: v(origin), AllowCredentials: v("true"), AllowMethods: v(method),
			AllowHeaders: headers, MaxAge: v("5"), Vary: v(varyPF),
		}
	}
	pnaOK := func(allow []string) Decision {
		return Decision{
			Preflight: true, Allowed: true, Reason: ReasonAllowed, Status: 204,
			AllowOrigin: v("https://example.com"), MaxAge: v("5"), AllowPrivateNetwork: allow, Vary: v(varyPFPNA),
		}
	}
	withPNA := func(r *Request, vals ...string) *Request { r.RequestPrivateNetwork = vals; return r }
	return []evalCase{
		{"static", staticSpec, preflight("https://any.site", "POST", "x-custom,authorization"), staticOK},
		{"static without ACRH omits ACAH", staticSpec, preflight("https://any.site", "POST"), staticNoACRH},
		{"static with only empty ACRH omits ACAH", staticSpec, preflight("https://any.site", "POST", ","), staticNoACRH},
		{"static null origin", staticSpec, preflight("null", "POST"), staticNoACRH},
		{"static malformed origin gets * and no echo", staticSpec, preflight("https://a b", "POST"), staticNoACRH},
		{"static hostile ACRH", staticSpec, preflight("https://any.site", "POST", hostileACRH), denied(ReasonInvalidRequestHeaders, varyPF)},

		{"reflect echoes origin, method and header lines", reflectSpec, preflight("https://any.site", "PATCH", "x-a", "authorization"), reflectOK("https://any.site", "PATCH", "x-a", "authorization")},
		{"reflect null", reflectSpec, preflight("null", "GET"), reflectOK("null", "GET")},
		{"reflect other scheme", reflectSpec, preflight("chrome-extension://abc", "GET"), reflectOK("chrome-extension://abc", "GET")},
		{"reflect lower-case method kept", reflectSpec, preflight("https://any.site", "patch"), reflectOK("https://any.site", "patch")},
		{"reflect invalid method", reflectSpec, preflight("https://any.site", "GET\r\nX: y"), denied(ReasonInvalidRequestMethod, varyPF)},
		{"reflect invalid origin", reflectSpec, preflight("https://any.site/x", "GET"), denied(ReasonInvalidOrigin, varyPF)},
		{"reflect malformed ACRH", reflectSpec, preflight("https://any.site", "GET", "a;b"), denied(ReasonInvalidRequestHeaders, varyPF)},

		{"PNA requested", pnaSpec, withPNA(preflight("https://example.com", "GET"), "true"), pnaOK(v("true"))},
		{"PNA wrong case", pnaSpec, withPNA(preflight("https://example.com", "GET"), "True"), pnaOK(nil)},
		{"PNA two lines", pnaSpec, withPNA(preflight("https://example.com", "GET"), "true", "true"), pnaOK(nil)},
		{"PNA not requested", pnaSpec, preflight("https://example.com", "GET"), pnaOK(nil)},
		{"PNA denied origin", pnaSpec, withPNA(preflight("https://evil.com", "GET"), "true"), denied(ReasonOriginNotAllowed, varyPFPNA)},
		{
			"PNA requested but not enabled", bareSpec, withPNA(preflight("https://example.com", "GET"), "true"),
			Decision{Preflight: true, Allowed: true, Reason: ReasonAllowed, Status: 204, AllowOrigin: v("https://example.com"), MaxAge: v("5"), Vary: v(varyPF)},
		},
	}
}

func actualCases() []evalCase {
	listOK := func(origin string) Decision {
		return Decision{
			Allowed: true, Reason: ReasonAllowed, AllowOrigin: v(origin), AllowCredentials: v("true"),
			ExposeHeaders: v("X-Request-Id"), Vary: v("Origin"),
		}
	}
	denied := func(r Reason) Decision { return Decision{Reason: r, Vary: v("Origin")} }
	static := func(r Reason) Decision {
		return Decision{Allowed: r == ReasonAllowed, Reason: r, AllowOrigin: v("*"), ExposeHeaders: v("X-Request-Id")}
	}
	reflectOK := func(origin string) Decision {
		return Decision{Allowed: true, Reason: ReasonAllowed, AllowOrigin: v(origin), AllowCredentials: v("true"), Vary: v("Origin")}
	}
	return []evalCase{
		{"no origin", listSpec, get(), denied(ReasonNoOrigin)},
		{"empty origin", listSpec, get(""), denied(ReasonNoOrigin)},
		{"nil request", listSpec, nil, denied(ReasonNoOrigin)},
		{"allowed", listSpec, get("https://example.com"), listOK("https://example.com")},
		{"allowed POST", listSpec, &Request{Method: "POST", Origin: v("https://example.com")}, listOK("https://example.com")},
		{"wildcard subdomain", listSpec, get("https://x.example.org"), listOK("https://x.example.org")},
		{"upper-case origin", listSpec, get("HTTPS://X.EXAMPLE.ORG:443"), listOK("HTTPS://X.EXAMPLE.ORG:443")},
		{"OPTIONS without ACRM is actual", listSpec, &Request{Method: "OPTIONS", Origin: v("https://example.com")}, listOK("https://example.com")},
		{"OPTIONS with empty ACRM is actual", listSpec, &Request{Method: "OPTIONS", Origin: v("https://example.com"), RequestMethod: v("")}, listOK("https://example.com")},
		{"OPTIONS lower case is actual", listSpec, &Request{Method: "options", Origin: v("https://example.com"), RequestMethod: v("PUT")}, listOK("https://example.com")},
		{"disallowed", listSpec, get("https://evil.com"), denied(ReasonOriginNotAllowed)},
		{"wrong port", listSpec, get("http://localhost:8081"), denied(ReasonOriginNotAllowed)},
		{"wrong scheme", listSpec, get("http://example.com"), denied(ReasonOriginNotAllowed)},
		{"badexample", listSpec, get("https://badexample.org"), denied(ReasonOriginNotAllowed)},
		{"null", listSpec, get("null"), denied(ReasonOriginNotAllowed)},
		{"invalid origin", listSpec, get("https://example.com, https://evil.com"), denied(ReasonInvalidOrigin)},
		{"userinfo", listSpec, get("https://evil.com@example.com"), denied(ReasonInvalidOrigin)},
		{"two origins", listSpec, get("https://example.com", "https://example.com"), denied(ReasonInvalidOrigin)},

		{"static no origin", staticSpec, get(), static(ReasonNoOrigin)},
		{"static any origin", staticSpec, get("https://any.site"), static(ReasonAllowed)},
		{"static null", staticSpec, get("null"), static(ReasonAllowed)},
		{"static invalid origin", staticSpec, get("not an origin"), static(ReasonAllowed)},
		{"static two origins", staticSpec, get("https://a.com", "https://b.com"), static(ReasonAllowed)},

		{"reflect", reflectSpec, get("https://any.site"), reflectOK("https://any.site")},
		{"reflect null", reflectSpec, get("null"), reflectOK("null")},
		{"reflect other scheme", reflectSpec, get("moz-extension://1234"), reflectOK("moz-extension://1234")},
		{"reflect invalid", reflectSpec, get("https://any.site/"), denied(ReasonInvalidOrigin)},
		{"reflect no origin", reflectSpec, get(), denied(ReasonNoOrigin)},

		{"bare allowed", bareSpec, get("https://example.com"), Decision{Allowed: true, Reason: ReasonAllowed, AllowOrigin: v("https://example.com"), Vary: v("Origin")}},
		{"no allowed origins", Spec{}, get("https://example.com"), denied(ReasonOriginNotAllowed)},
	}
}

func TestEvaluate(t *testing.T) {
	for _, group := range [][]evalCase{preflightCases(), preflightWildcardCases(), actualCases()} {
		for _, tt := range group {
			t.Run(tt.name, func(t *testing.T) {
				p := mustCompile(t, tt.spec)
				got := p.Evaluate(tt.req)
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("Evaluate:\n got %+v\nwant %+v", got, tt.want)
				}
				checkLenIsCap(t, got)
				var into, fromHeader Decision
				into.Vary = v("stale") // EvaluateInto overwrites everything
				p.EvaluateInto(tt.req, &into)
				if !reflect.DeepEqual(into, tt.want) {
					t.Fatalf("EvaluateInto:\n got %+v\nwant %+v", into, tt.want)
				}
				fromHeader.AllowOrigin = v("stale")
				method := ""
				if tt.req != nil {
					method = tt.req.Method
				}
				p.EvaluateHeader(method, requestHeader(tt.req), &fromHeader)
				if !reflect.DeepEqual(fromHeader, tt.want) {
					t.Fatalf("EvaluateHeader:\n got %+v\nwant %+v", fromHeader, tt.want)
				}
			})
		}
	}
}

// checkLenIsCap: an append by a later handler must copy, never write into
// memory shared with the policy or the request.
func checkLenIsCap(t *testing.T, d Decision) {
	t.Helper()
	for name, f := range map[string][]string{
		"AllowOrigin": d.AllowOrigin, "AllowCredentials": d.AllowCredentials, "AllowMethods": d.AllowMethods,
		"AllowHeaders": d.AllowHeaders, "ExposeHeaders": d.ExposeHeaders, "MaxAge": d.MaxAge,
		"AllowPrivateNetwork": d.AllowPrivateNetwork, "Vary": d.Vary,
	} {
		if len(f) != cap(f) {
			t.Errorf("%s has len %d, cap %d", name, len(f), cap(f))
		}
	}
}

func TestEvaluateEchoesRequestMemory(t *testing.T) {
	p := mustCompile(t, reflectSpec)
	// Request slices with spare capacity, as http.Header values can have.
	origin := make([]string, 1, 4)
	origin[0] = "https://any.site"
	method := make([]string, 1, 4)
	method[0] = "PUT"
	headers := make([]string, 2, 8)
	headers[0], headers[1] = "x-a", "x-b"
	r := &Request{Method: "OPTIONS", Origin: origin, RequestMethod: method, RequestHeaders: headers}
	d := p.Evaluate(r)
	if &d.AllowOrigin[0] != &origin[0] || &d.AllowMethods[0] != &method[0] || &d.AllowHeaders[0] != &headers[0] {
		t.Fatal("echoed values are not the request's own slices")
	}
	checkLenIsCap(t, d)
	_ = append(d.AllowOrigin, "x")
	_ = append(d.AllowHeaders, "x")
	if origin[:2][1] != "" || headers[:3][2] != "" {
		t.Fatal("an append to the decision wrote into the request's memory")
	}
}

func TestEvaluateAppendDoesNotCorruptPolicy(t *testing.T) {
	p := mustCompile(t, listSpec)
	r := preflight("https://example.com", "PUT")
	d := p.Evaluate(r)
	d.Vary = append(d.Vary, "Accept-Encoding")
	d.AllowMethods = append(d.AllowMethods, "DELETE")
	if again := p.Evaluate(r); !reflect.DeepEqual(again.Vary, v(varyPF)) || !reflect.DeepEqual(again.AllowMethods, v("GET, PUT, PATCH")) {
		t.Fatalf("policy corrupted: %+v", again)
	}
}

func TestEvaluateNilPolicy(t *testing.T) {
	var p *Policy
	if d := p.Evaluate(get("https://example.com")); !reflect.DeepEqual(d, Decision{}) {
		t.Fatalf("nil policy: %+v", d)
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	p := mustCompile(t, listSpec)
	cases := slices.Concat(preflightCases(), preflightWildcardCases(), actualCases())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p.Evaluate(cases[i%len(cases)].req)
			}
		}()
	}
	wg.Wait()
}

// allocCases are the workloads pinned at zero allocations and benchmarked.
func allocCases() []evalCase {
	return []evalCase{
		{"allowed preflight", listSpec, preflight("https://example.com", "PUT", "x-custom,authorization"), Decision{}},
		{"denied preflight", listSpec, preflight("https://evil.com", "PUT", "x-custom"), Decision{}},
		{"allowed actual", listSpec, get("https://example.com"), Decision{}},
		{"disallowed actual", listSpec, get("https://evil.com"), Decision{}},
		{"no origin", listSpec, get(), Decision{}},
		{"wildcard subdomain", listSpec, get("https://a.b.c.example.org"), Decision{}},
		{"upper-case origin", listSpec, preflight("HTTPS://A.EXAMPLE.ORG:443", "PUT"), Decision{}},
		{"star headers echo", reflectSpec, preflight("https://any.site", "PUT", "x-a,x-b", "authorization"), Decision{}},
		{"hostile ACRH", listSpec, preflight("https://example.com", "PUT", hostileACRH), Decision{}},
		{"static actual", staticSpec, get("https://any.site"), Decision{}},
	}
}

func TestEvaluateNoAlloc(t *testing.T) {
	for _, tt := range allocCases() {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.spec)
			if n := testing.AllocsPerRun(200, func() { p.Evaluate(tt.req) }); n != 0 {
				t.Fatalf("Evaluate allocated %v times per run", n)
			}
			h := requestHeader(tt.req)
			var d Decision
			if n := testing.AllocsPerRun(200, func() { p.EvaluateHeader(tt.req.Method, h, &d) }); n != 0 {
				t.Fatalf("EvaluateHeader allocated %v times per run", n)
			}
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	for _, tt := range allocCases() {
		p := mustCompile(b, tt.spec)
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Evaluate(tt.req)
			}
		})
	}
}

func BenchmarkEvaluateHeader(b *testing.B) {
	for _, tt := range allocCases() {
		p := mustCompile(b, tt.spec)
		h := requestHeader(tt.req)
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				p.EvaluateHeader(tt.req.Method, h, &d)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Compile(listSpec); err != nil {
			b.Fatal(err)
		}
	}
}
