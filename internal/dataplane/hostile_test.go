package dataplane

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/policy"
)

// syncBuffer collects log output written concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rawResponse is what came back for a raw request: the parsed response (nil
// when the connection closed first) and every byte read.
type rawResponse struct {
	res  *http.Response
	body string
	raw  string
}

// sendRaw writes raw to a new connection to addr and reads one response.
func sendRaw(t *testing.T, addr, raw string) rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	var seen bytes.Buffer
	res, err := http.ReadResponse(bufio.NewReader(io.TeeReader(conn, &seen)), nil)
	if err != nil {
		return rawResponse{raw: seen.String()}
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return rawResponse{res: res, body: string(body), raw: seen.String()}
}

const marker = "zz-hostile-zz"

// TestHostileInput sends malformed and malicious requests over a real
// connection. Each gets a clear 4xx (from net/http or the gateway) or the
// documented CORS denial; none panics, none echoes the bad value, none
// reaches a host the configuration does not name.
func TestHostileInput(t *testing.T) {
	public := newTestBackend(t, "public", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got-CL", r.Header.Get("Content-Length"))
		w.Header().Set("X-Got-TE", strings.Join(r.TransferEncoding, ","))
		_, _ = io.WriteString(w, "public:"+string(body))
	})
	admin := newTestBackend(t, "admin", nil)
	canary := newTestBackend(t, "canary", nil) // never in the config
	pub := newRoute("public", prefixMatch("/public"), weighted(public.irBackend(), 1))
	pub.CORS = compileCORS(t, strictSpec)
	adm := newRoute("admin", prefixMatch("/admin"), weighted(admin.irBackend(), 1))
	var logs syncBuffer
	g := startGateway(t, newSnapshot(1, httpListener(1, vhost("api.test", pub, adm))),
		Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			MaxHeaderBytes: 64 << 10})
	addr := g.Addr(1)
	canaryAddr := canary.Listener.Addr().String()

	for _, tt := range hostileCases(canaryAddr) {
		t.Run(tt.name, func(t *testing.T) {
			got := sendRaw(t, addr, tt.raw)
			if got.res == nil {
				t.Fatalf("no response (connection closed); read %q", clip(got.raw))
			}
			if got.res.StatusCode != tt.status || !strings.Contains(got.body, tt.body) {
				t.Errorf("%d %q, want %d containing %q", got.res.StatusCode, clip(got.body), tt.status, tt.body)
			}
			if strings.Contains(got.raw, marker) {
				t.Errorf("response echoes the hostile value: %q", clip(got.raw))
			}
			if acao := got.res.Header.Values(policy.HeaderAllowOrigin); tt.acao != (len(acao) == 1) || len(acao) > 1 {
				t.Errorf("Access-Control-Allow-Origin = %q, want present=%v", acao, tt.acao)
			}
		})
	}
	if n := admin.hits.Load(); n != 0 {
		t.Errorf("the admin backend was reached %d times through /public", n)
	}
	if n := canary.hits.Load(); n != 0 {
		t.Errorf("a host outside the configuration was reached %d times: open proxy", n)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the gateway panicked:\n%s", logs.String())
	}
}

// hostileCase is a raw request and what must come back.
type hostileCase struct {
	name   string
	raw    string
	status int
	body   string // substring of the body
	acao   bool   // Access-Control-Allow-Origin expected
}

// hostileCases are sent to a listener with routes /public (CORS policy
// strictSpec) and /admin on host api.test; canaryAddr is a server the
// configuration does not name.
func hostileCases(canaryAddr string) []hostileCase {
	get := func(target string, hdr ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: api.test\r\n" + strings.Join(hdr, "") + "Connection: close\r\n\r\n"
	}
	preflight := func(hdr ...string) string {
		return "OPTIONS /public HTTP/1.1\r\nHost: api.test\r\nAccess-Control-Request-Method: PUT\r\n" +
			strings.Join(hdr, "") + "Connection: close\r\n\r\n"
	}
	manyNames := make([]string, 4000)
	for i := range manyNames {
		manyNames[i] = "x-h" + strconv.Itoa(i)
	}
	return []hostileCase{
		{"origin with CR", get("/public", "Origin: https://app.example.com\r"+marker+"\r\n"), 400, "", false},
		// net/http joins an obs-fold line to the value with a space: no longer
		// a valid origin, so no CORS headers, and the value is never echoed.
		{"origin with obs-fold line", get("/public", "Origin: https://app.example.com\r\n "+marker+"\r\n"), 200, "public:", false},
		{"origin with NUL", get("/public", "Origin: https://app.example.com\x00"+marker+"\r\n"), 400, "", false},
		{"origin with space, actual", get("/public", "Origin: https://app.example.com "+marker+"\r\n"), 200, "public:", false},
		{"origin with space, preflight", preflight("Origin: https://app.example.com " + marker + "\r\n"), 403, "not a valid origin", false},
		{"origin with comma", preflight("Origin: https://app.example.com,https://" + marker + ".test\r\n"), 403, "not a valid origin", false},
		{"two origins", preflight("Origin: https://app.example.com\r\nOrigin: https://" + marker + ".test\r\n"), 403, "not a valid origin", false},
		{"non-ASCII origin", preflight("Origin: https://äpp.test" + marker + "\r\n"), 403, "not a valid origin", false},
		{"8 KiB origin", preflight("Origin: https://" + strings.Repeat("a", 8<<10) + marker + ".test\r\n"), 403, "not a valid origin", false},
		{"header block over the limit", get("/public", "Origin: https://"+strings.Repeat("a", 70<<10)+marker+"\r\n"), 431, "", false},
		{"4000 request header names", preflight("Origin: https://app.example.com\r\n", "Access-Control-Request-Headers: "+strings.Join(manyNames, ",")+","+marker+"\r\n"), 403, "Request-Headers is malformed or too long", false},
		{"huge whitespace in ACRH", preflight("Origin: https://app.example.com\r\n", "Access-Control-Request-Headers: x-a,"+strings.Repeat(" ", 20000)+marker+"\r\n"), 403, "Request-Headers is malformed or too long", false},
		{"invalid ACRM", preflight("Origin: https://app.example.com\r\n", "Access-Control-Request-Method: P(T"+marker+"\r\n"), 403, "not a valid method", false},
		{"invalid method token", "G(T /public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n", 400, "", false},
		{"invalid header name", get("/public", "Orig in"+marker+": x\r\n"), 400, "", false},
		{"absolute-form for another host", "GET http://" + canaryAddr + "/public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n", 404, "no route", false},
		{"absolute-form for our host", "GET http://api.test/public HTTP/1.1\r\nHost: " + canaryAddr + "\r\nConnection: close\r\n\r\n", 200, "public:", false},
		{"absolute-form other scheme", "GET ftp://api.test/public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n", 400, "http or https", false},
		{"CONNECT", "CONNECT " + canaryAddr + " HTTP/1.1\r\nHost: " + canaryAddr + "\r\n\r\n", 405, "not a tunnel", false},
		{"two different Content-Lengths", "POST /public HTTP/1.1\r\nHost: api.test\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello!", 400, "", false},
		{"unsupported Transfer-Encoding", "POST /public HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: gzip, chunked" + "\r\nConnection: close\r\n\r\n0\r\n\r\n", 501, "", false},
		{"dot-dot segment", get("/public/../admin"), 400, "segment", false},
		{"encoded dot-dot segment", get("/public/%2e%2E/admin"), 400, "segment", false},
		{"encoded slash and dots", get("/public/..%2Fadmin"), 400, "segment", false},
		{"backslash dot-dot", get("/public/..\\admin"), 400, "segment", false},
		{"trailing dot segment", get("/public/."), 400, "segment", false},
		{"allowed origin still works", get("/public/a.b/..c", "Origin: https://app.example.com\r\n"), 200, "public:", true},
	}
}

// TestConflictingLengthIsReframed: Content-Length together with
// Transfer-Encoding: chunked is read as chunked (RFC 9112 section 6.3); the
// backend gets one request with the chunked body and no Content-Length, so
// the two can never disagree about where the request ends.
func TestConflictingLengthIsReframed(t *testing.T) {
	var mu sync.Mutex
	var got []string
	b := newTestBackend(t, "b", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" cl="+r.Header.Get("Content-Length")+" body="+string(body))
		mu.Unlock()
	})
	g := startGateway(t, simpleSnapshot(b.irBackend(), nil), Options{})
	raw := "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		"5\r\nhello\r\n0\r\n\r\n"
	res := sendRaw(t, g.Addr(1), raw)
	if res.res == nil || res.res.StatusCode != 200 {
		t.Fatalf("response %q", res.raw)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "POST /a cl= body=hello" {
		t.Errorf("backend saw %q, want one POST with the chunked body and no Content-Length", got)
	}
}

func TestHasDotSegment(t *testing.T) {
	for p, want := range map[string]bool{
		"/": false, "": false, "/a/b": false, "/a.b/c..d": false, "/...": false, "/.well-known/x": false,
		"/.": true, "/..": true, "/a/./b": true, "/a/../b": true, "/a/..": true, "/a\\..\\b": true, "..": true,
	} {
		if got := hasDotSegment(p); got != want {
			t.Errorf("hasDotSegment(%q) = %v, want %v", p, got, want)
		}
	}
}
