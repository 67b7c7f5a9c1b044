package dataplane

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// fuzzGateway is the fixed configuration FuzzServe sends requests through:
// one route per kind of policy, all to an upstream that sends its own,
// hostile, Access-Control-* headers.
func fuzzGateway(f *testing.F) (*Gateway, *ir.Listener) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "https://upstream.evil")
		h.Add("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Vary", "Accept-Encoding")
		_, _ = w.Write([]byte("ok"))
	}))
	f.Cleanup(up.Close)
	addr := up.Listener.Addr().String()
	be := irBackend("up", ir.Endpoint{Network: "tcp", Address: addr, Host: addr})
	route := func(path string, s *policy.Spec) *ir.Route {
		r := newRoute(strings.TrimPrefix(path, "/"), prefixMatch(path), weighted(be, 1))
		if s != nil {
			r.CORS = compileCORS(f, *s)
		}
		return r
	}
	l := httpListener(1, vhost("",
		route("/strict", &strictSpec),
		route("/wild", &policy.Spec{AllowOrigins: []string{"https://*.example.com"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}, AllowCredentials: true}),
		route("/star", &policy.Spec{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}}),
		route("/reflect", &policy.Spec{AllowOrigins: []string{"*"}, AllowCredentials: true}),
		route("/plain", nil),
	))
	g := New(Options{Logger: quietLogger(), UpstreamTimeout: 2 * time.Second})
	rt, _, err := g.buildRuntime(newSnapshot(1, l))
	if err != nil {
		f.Fatal(err)
	}
	g.active.Store(rt)
	return g, l
}

// FuzzServe sends a fuzzed request (method, target, Origin, preflight
// headers and one more header, parsed by net/http as a server would) through
// the data plane with a fixed configuration. Invariants: no panic; no
// response header name or value with CR, LF or NUL; at most one
// Access-Control-Allow-Origin, and only "*" from the static policy or the
// request's own single, well-formed Origin when that route's policy admits
// it; never a value from the upstream. (A route without a policy is a plain
// proxy and passes the upstream's headers through: only the CR/LF/NUL
// invariant applies there.)
func FuzzServe(f *testing.F) {
	seeds := [][7]string{
		{"OPTIONS", "/strict", appOrigin, "PUT", "x-token", "", ""},
		{"OPTIONS", "/strict", "https://evil.example", "PUT", "", "", ""},
		{"GET", "/strict/a", appOrigin, "", "", "Cookie", "a=b"},
		{"GET", "/strict/../plain", appOrigin, "", "", "", ""},
		{"GET", "/strict/%2e%2e/plain", appOrigin, "", "", "", ""},
		{"GET", "http://other.test/strict", appOrigin, "", "", "", ""},
		{"OPTIONS", "/wild", "https://a.b.example.com", "DELETE", "authorization, x-a", "", ""},
		{"OPTIONS", "/wild", "https://example.com", "GET", "", "", ""},
		{"OPTIONS", "/wild", "https://evil.com.example.com.evil", "GET", "", "", ""},
		{"GET", "/wild", "HTTPS://A.EXAMPLE.COM:443", "", "", "", ""},
		{"OPTIONS", "/star", "null", "GET", "x-a", "", ""},
		{"GET", "/star", "https://x.test, https://y.test", "", "", "", ""},
		{"OPTIONS", "/reflect", "https://any.test", "PATCH", "", "Access-Control-Request-Private-Network", "true"},
		{"OPTIONS", "/reflect", "https://any.test\r\nX-Injected: 1", "GET", "", "", ""},
		{"GET", "/reflect", "https://a.test", "", "", "Origin", "https://b.test"},
		{"OPTIONS", "/plain", appOrigin, "GET", "", "", ""},
		{"CONNECT", "evil.test:443", "", "", "", "", ""},
		{"OPTIONS", "*", appOrigin, "GET", "", "", ""},
		{"OPTIONS", "/strict", appOrigin, "PUT", strings.Repeat("a,", 600), "", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6])
	}
	g, l := fuzzGateway(f)
	h := g.HandlerFor(1)
	f.Fuzz(func(t *testing.T, method, target, origin, acrm, acrh, name, value string) {
		req := parseFuzzRequest(method, target, []string{
			policy.HeaderOrigin, origin, policy.HeaderRequestMethod, acrm, policy.HeaderRequestHeaders, acrh, name, value})
		if req == nil {
			return // net/http would answer 400 before any handler
		}
		route := findRoute(l, normalizeHost(req.Host), req)
		rec := httptest.NewRecorder()
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic: %v\nrequest %q %q", p, method, target)
				}
			}()
			h.ServeHTTP(rec, req)
		}()
		checkFuzzResponse(t, rec.Header(), req, route)
	})
}

// parseFuzzRequest builds the raw request and parses it the way the server
// does, or returns nil when the server would refuse it before routing.
func parseFuzzRequest(method, target string, headers []string) *http.Request {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: api.example.com\r\n")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] != "" && headers[i+1] != "" {
			b.WriteString(headers[i] + ": " + headers[i+1] + "\r\n")
		}
	}
	b.WriteString("\r\n")
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil || req.ContentLength != 0 || len(req.TransferEncoding) > 0 {
		return nil // a body would wait for bytes that never come
	}
	// The checks net/http's server adds to ReadRequest.
	for k, vs := range req.Header {
		if !validToken(k) {
			return nil
		}
		for _, v := range vs {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return nil
			}
		}
	}
	delete(req.Header, "Host")
	req.RemoteAddr = "192.0.2.1:1234"
	return req
}

func validToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
	})
}

func checkFuzzResponse(t *testing.T, h http.Header, req *http.Request, route *ir.Route) {
	t.Helper()
	for k, vs := range h {
		for _, v := range append(vs, k) {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("response header %q has CR, LF or NUL: %q", k, v)
			}
		}
	}
	if route != nil && route.CORS == nil {
		return // a plain proxy route passes the upstream's headers as they are (doc.go)
	}
	acao := h.Values(policy.HeaderAllowOrigin)
	if len(acao) == 0 {
		return
	}
	if len(acao) > 1 {
		t.Fatalf("%d Access-Control-Allow-Origin lines: %q", len(acao), acao)
	}
	if err := admitted(acao[0], req.Header.Values(policy.HeaderOrigin), route); err != nil {
		t.Fatalf("Access-Control-Allow-Origin %q: %v (route %v, Origin %q)", acao[0], err, routeID(route), req.Header.Values(policy.HeaderOrigin))
	}
}

func routeID(r *ir.Route) string {
	if r == nil {
		return "<none>"
	}
	return r.ID
}

// admitted checks an Access-Control-Allow-Origin value independently of the
// engine's matcher.
func admitted(acao string, origins []string, route *ir.Route) error {
	if route == nil || route.CORS == nil {
		return fmt.Errorf("sent on a route without a CORS policy")
	}
	if acao == "*" {
		if route.ID != "star" {
			return fmt.Errorf(`"*" from a policy that is not a static "*"`)
		}
		return nil
	}
	if len(origins) != 1 || origins[0] != acao {
		return fmt.Errorf("not the request's single Origin")
	}
	if !wellFormedOrigin(acao) {
		return fmt.Errorf("echoes a malformed origin")
	}
	lower := strings.ToLower(acao)
	switch route.ID {
	case "strict":
		if lower != appOrigin && lower != appOrigin+":443" {
			return fmt.Errorf("not the configured origin %q", appOrigin)
		}
	case "wild":
		host := strings.TrimSuffix(strings.TrimPrefix(lower, "https://"), ":443")
		if !strings.HasPrefix(lower, "https://") || !strings.HasSuffix(host, ".example.com") || strings.HasPrefix(host, ".") {
			return fmt.Errorf("not under https://*.example.com")
		}
	case "reflect":
		// "*" with credentials reflects any well-formed origin.
	default:
		return fmt.Errorf("echoed on route %s", route.ID)
	}
	return nil
}

// wellFormedOrigin is a deliberately simple check of scheme "://" host
// [":" port]: an RFC 3986 scheme, then only the bytes a host and port may
// use. Browsers send other schemes than http(s) too (extensions), so a
// reflecting policy may echo them.
func wellFormedOrigin(s string) bool {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || rest == "" || !isLetter(scheme[0]) {
		return false
	}
	for i := range len(scheme) {
		if c := scheme[i]; !isLetter(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	for i := range len(rest) {
		if c := rest[i]; !isLetter(c) && !isDigit(c) && !strings.ContainsRune(".-_:[]", rune(c)) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
