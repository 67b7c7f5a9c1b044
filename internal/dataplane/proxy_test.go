package dataplane

import (
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

func TestRoutingThroughGateway(t *testing.T) {
	exact := newTestBackend(t, "exact", nil)
	wild := newTestBackend(t, "wild", nil)
	only := newTestBackend(t, "only", nil)
	catch := newTestBackend(t, "catch", nil)
	regex := newTestBackend(t, "regex", nil)
	post := newTestBackend(t, "post", nil)

	reRoute := newRoute("regex", ir.Match{PathType: ir.PathRegex, Path: `^/items/[0-9]+$`,
		PathRegex: mustRegexp(`^/items/[0-9]+$`)}, weighted(regex.irBackend(), 1))
	postRoute := newRoute("post", ir.Match{PathType: ir.PathPrefix, Path: "/items", Method: "POST"},
		weighted(post.irBackend(), 1))
	snap := newSnapshot(1, httpListener(1,
		vhost("api.example.com", newRoute("exact", prefixMatch("/v1"), weighted(exact.irBackend(), 1))),
		vhost("only.test", newRoute("only", ir.Match{PathType: ir.PathExact, Path: "/x"}, weighted(only.irBackend(), 1))),
		vhost("*.example.com", newRoute("wild", prefixMatch("/"), weighted(wild.irBackend(), 1))),
		vhost("", reRoute, postRoute, newRoute("catch", prefixMatch("/"), weighted(catch.irBackend(), 1))),
	))
	g := startGateway(t, snap, Options{})
	c := newClient(t)
	base := baseURL(t, g, 1)

	tests := []struct {
		method, host, path string
		want               string
	}{
		{"GET", "api.example.com", "/v1/users", "exact"},
		{"GET", "API.EXAMPLE.COM:8080", "/v1", "exact"},
		{"GET", "api.example.com.", "/v1", "exact"},
		{"GET", "api.example.com", "/v1x", "wild"}, // segment semantics, then fall through
		{"GET", "api.example.com", "/v2", "wild"},
		{"GET", "a.b.example.com", "/", "wild"},
		{"GET", "example.com", "/", "catch"},
		{"GET", "only.test", "/x", "only"},
		{"GET", "only.test", "/x/y", "catch"},
		{"GET", "other.test", "/items/42", "regex"},
		{"GET", "other.test", "/items/42/x", "catch"},
		{"POST", "other.test", "/items/new", "post"},
		{"GET", "other.test", "/items/new", "catch"},
	}
	for _, tt := range tests {
		res := do(t, c, tt.method, base+tt.path, map[string]string{"Host": tt.host})
		if res.status != 200 || res.body != tt.want {
			t.Errorf("%s %s%s: %d %q, want 200 %q", tt.method, tt.host, tt.path, res.status, res.body, tt.want)
		}
	}
}

func TestNoRoute(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	snap := newSnapshot(1, httpListener(1, vhost("api.test", newRoute("r", prefixMatch("/api"), weighted(b.irBackend(), 1)))))
	g := startGateway(t, snap, Options{})
	c := newClient(t)
	for _, tc := range []struct{ host, path string }{{"api.test", "/other"}, {"nope.test", "/api"}} {
		res := do(t, c, "GET", baseURL(t, g, 1)+tc.path, map[string]string{"Host": tc.host, "Origin": "https://app.test"})
		// The body never echoes the client's host or path.
		if res.status != 404 || res.body != noRouteBody+"\n" {
			t.Errorf("%s%s: %d %q, want 404 %q", tc.host, tc.path, res.status, res.body, noRouteBody)
		}
		if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		checkVary(t, res.header, "Origin")
		checkCORSHeaders(t, res.header, nil)
	}
	if b.hits.Load() != 0 {
		t.Errorf("backend reached %d times, want 0", b.hits.Load())
	}
}

func TestWeightedBackends(t *testing.T) {
	a := newTestBackend(t, "a", nil)
	b := newTestBackend(t, "b", nil)
	tests := []struct {
		name           string
		wa, wb         int
		requests       int
		minA, maxA     int64
		wantBReachable bool
	}{
		{"weight 1:0 sends all to the first", 1, 0, 50, 50, 50, false},
		{"weight 3:1 splits about 3 to 1", 3, 1, 400, 200, 380, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.hits.Store(0)
			b.hits.Store(0)
			snap := simpleSnapshotWith(newRoute("r", prefixMatch("/"),
				weighted(a.irBackend(), tt.wa), weighted(b.irBackend(), tt.wb)))
			g := startGateway(t, snap, Options{})
			c := newClient(t)
			for range tt.requests {
				if res := do(t, c, "GET", baseURL(t, g, 1)+"/", nil); res.status != 200 {
					t.Fatalf("status %d", res.status)
				}
			}
			ha, hb := a.hits.Load(), b.hits.Load()
			if ha+hb != int64(tt.requests) || ha < tt.minA || ha > tt.maxA {
				t.Errorf("a got %d, b got %d of %d; want a in [%d, %d]", ha, hb, tt.requests, tt.minA, tt.maxA)
			}
			if !tt.wantBReachable && hb != 0 {
				t.Errorf("weight 0 backend reached %d times", hb)
			}
		})
	}
}

func simpleSnapshotWith(r *ir.Route) *ir.Snapshot {
	return newSnapshot(1, httpListener(1, vhost("", r)))
}

func TestRoundRobinEndpoints(t *testing.T) {
	e1 := newTestBackend(t, "e1", nil)
	e2 := newTestBackend(t, "e2", nil)
	be := irBackend("svc", e1.endpoint(), e2.endpoint())
	g := startGateway(t, simpleSnapshotWith(newRoute("r", prefixMatch("/"), weighted(be, 1))), Options{})
	c := newClient(t)
	var order []string
	for range 6 {
		order = append(order, do(t, c, "GET", baseURL(t, g, 1)+"/", nil).body)
	}
	for i := 1; i < len(order); i++ {
		if order[i] == order[i-1] {
			t.Fatalf("endpoints not alternating: %q", order)
		}
	}
	if e1.hits.Load() != 3 || e2.hits.Load() != 3 {
		t.Errorf("hits e1=%d e2=%d, want 3 and 3", e1.hits.Load(), e2.hits.Load())
	}
}

func TestHeaderModifiersAndForwarding(t *testing.T) {
	b := newTestBackend(t, "b", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Upstream-Secret", "s")
		w.Header().Set("X-Resp-Set", "upstream")
		_, _ = w.Write([]byte("ok"))
	})
	r := newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1))
	r.RequestHeaders = &ir.HeaderModifier{
		Set:    []ir.HeaderValue{{Name: "X-Route", Value: "route"}, {Name: "X-Both", Value: "route"}},
		Add:    []ir.HeaderValue{{Name: "X-Added", Value: "route"}},
		Remove: []string{"X-Client-Junk"},
	}
	r.Backends[0].RequestHeaders = &ir.HeaderModifier{
		Set: []ir.HeaderValue{{Name: "X-Both", Value: "backend"}},
		Add: []ir.HeaderValue{{Name: "X-Added", Value: "backend"}},
	}
	r.ResponseHeaders = &ir.HeaderModifier{
		Set:    []ir.HeaderValue{{Name: "X-Resp-Set", Value: "route"}},
		Remove: []string{"X-Upstream-Secret"},
	}
	r.Backends[0].ResponseHeaders = &ir.HeaderModifier{Add: []ir.HeaderValue{{Name: "X-Resp-Add", Value: "backend"}}}
	g := startGateway(t, simpleSnapshotWith(r), Options{})
	c := newClient(t)

	res := do(t, c, "GET", baseURL(t, g, 1)+"/p?q=1", map[string]string{
		"Host": "front.test", "X-Client-Junk": "x", "X-Forwarded-For": "203.0.113.9",
	})
	if res.status != 200 || res.body != "ok" {
		t.Fatalf("got %d %q", res.status, res.body)
	}
	in := b.lastRequest(t)
	checks := map[string][]string{
		"X-Route":           {"route"},
		"X-Both":            {"backend"},
		"X-Added":           {"route", "backend"},
		"X-Client-Junk":     nil,
		"X-Forwarded-For":   {"127.0.0.1"}, // a client's own X-Forwarded-For is not trusted
		"X-Forwarded-Host":  {"front.test"},
		"X-Forwarded-Proto": {"http"},
	}
	for name, want := range checks {
		if got := in.Header.Values(name); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("backend saw %s = %q, want %q", name, got, want)
		}
	}
	if in.Host != "front.test" || in.URL.Path != "/p" || in.URL.RawQuery != "q=1" {
		t.Errorf("backend saw Host %q path %q query %q; want the inbound ones", in.Host, in.URL.Path, in.URL.RawQuery)
	}
	if got := res.header.Values("X-Resp-Set"); len(got) != 1 || got[0] != "route" {
		t.Errorf("X-Resp-Set = %q, want [route]", got)
	}
	if got := res.header.Values("X-Resp-Add"); len(got) != 1 || got[0] != "backend" {
		t.Errorf("X-Resp-Add = %q, want [backend]", got)
	}
	if got := res.header.Values("X-Upstream-Secret"); got != nil {
		t.Errorf("X-Upstream-Secret = %q, want removed", got)
	}
}

func TestUnixSocketEndpoint(t *testing.T) {
	dir, err := shortTempDir(t)
	if err != nil {
		t.Skipf("no short temp dir for a unix socket: %v", err)
	}
	sock := filepath.Join(dir, "b.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("unix " + r.Host + " " + r.URL.Path))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	be := irBackend("unix", ir.Endpoint{Network: "unix", Address: sock, Host: "localhost"})
	g := startGateway(t, simpleSnapshotWith(newRoute("r", prefixMatch("/"), weighted(be, 1))), Options{})
	res := do(t, newClient(t), "GET", baseURL(t, g, 1)+"/hello", map[string]string{"Host": "front.test"})
	if res.status != 200 || res.body != "unix front.test /hello" {
		t.Errorf("got %d %q, want 200 %q", res.status, res.body, "unix front.test /hello")
	}
}

// shortTempDir returns a temporary directory with a path short enough for a
// unix socket (about 100 bytes on Linux and macOS).
func shortTempDir(t *testing.T) (string, error) {
	d := t.TempDir()
	if len(d) < 90 {
		return d, nil
	}
	return "", errors.New("temp dir path too long: " + d)
}

func TestUpstreamErrors(t *testing.T) {
	// A port with nothing listening: bind then close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	_ = ln.Close()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newTestBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})

	closed := irBackend("closed", ir.Endpoint{Network: "tcp", Address: closedAddr, Host: closedAddr})
	empty := irBackend("empty")
	invalid := newRoute("invalid", prefixMatch("/invalid"))
	invalid.Invalid = "backendRef test/missing not found: create the Service or fix the reference"
	snap := newSnapshot(1, httpListener(1, vhost("",
		newRoute("closed", prefixMatch("/closed"), weighted(closed, 1)),
		newRoute("empty", prefixMatch("/empty"), weighted(empty, 1)),
		newRoute("slow", prefixMatch("/slow"), weighted(slow.irBackend(), 1)),
		newRoute("zero", prefixMatch("/zero"), weighted(empty, 0)),
		invalid,
	)))
	g := startGateway(t, snap, Options{UpstreamResponseHeaderTimeout: 200 * time.Millisecond})
	c := newClient(t)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/closed", 502, "bad gateway: cannot connect to backend test/closed\n"},
		{"/empty", 503, "service unavailable: backend test/empty has no endpoints\n"},
		{"/slow", 504, "gateway timeout: backend test/slow did not answer in time\n"},
		{"/zero", 500, "internal server error: route zero has no backend with a positive weight\n"},
		{"/invalid", 500, invalid.Invalid + "\n"},
	}
	for _, tt := range tests {
		res := do(t, c, "GET", baseURL(t, g, 1)+tt.path, nil)
		if res.status != tt.status || res.body != tt.body {
			t.Errorf("GET %s: %d %q, want %d %q", tt.path, res.status, res.body, tt.status, tt.body)
		}
		if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", tt.path, ct)
		}
		checkCORSHeaders(t, res.header, nil) // no policy on these routes
	}
}

func TestUpstreamOverallTimeout(t *testing.T) {
	b := newTestBackend(t, "b", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	g := startGateway(t, simpleSnapshot(b.irBackend(), nil), Options{UpstreamTimeout: 200 * time.Millisecond})
	res := do(t, newClient(t), "GET", baseURL(t, g, 1)+"/", nil)
	if res.status != 504 {
		t.Errorf("status %d %q, want 504", res.status, res.body)
	}
}

// TestTruncatedUpstreamBodyAborts: the backend promises more bytes than it
// sends and closes. The client must see an error, never a complete-looking
// response: before the headers when little was sent, while reading the body
// when enough was sent for the gateway to flush the headers.
func TestTruncatedUpstreamBodyAborts(t *testing.T) {
	tests := []struct {
		name           string
		promise, send  int
		wantHeadersOut bool
	}{
		{"small part sent", 100, 7, false},
		{"large part sent", 1 << 20, 256 << 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBackend(t, "b", func(w http.ResponseWriter, _ *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(tt.promise) +
					"\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("x", tt.send))
				_ = buf.Flush()
				_ = conn.Close()
			})
			g := startGateway(t, simpleSnapshot(b.irBackend(), nil), Options{})
			res, err := newClient(t).Get(baseURL(t, g, 1) + "/")
			if err != nil {
				if tt.wantHeadersOut {
					t.Fatalf("request failed before the headers: %v", err)
				}
				return
			}
			defer res.Body.Close()
			if !tt.wantHeadersOut {
				t.Errorf("got headers %d; want the connection aborted before them", res.StatusCode)
			}
			body, err := io.ReadAll(res.Body)
			if err == nil {
				t.Errorf("read %d bytes without error; want the connection aborted", len(body))
			}
			if res.StatusCode != 200 || res.ContentLength != int64(tt.promise) || len(body) >= tt.promise {
				t.Errorf("status %d, Content-Length %d, read %d bytes", res.StatusCode, res.ContentLength, len(body))
			}
		})
	}
}

func mustRegexp(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// A backendRef that could not be resolved keeps its share of the weight:
// requests picked for it get 500 (Gateway API), the rest reach the valid
// backend, and an allowed origin still gets its CORS headers on the 500.
func TestInvalidBackendShare(t *testing.T) {
	a := newTestBackend(t, "a", nil)
	bad := &ir.WeightedBackend{BackendID: "test/missing", Weight: 1, Invalid: "internal server error: backendRef test/missing could not be resolved"}
	r := newRoute("r", prefixMatch("/"), weighted(a.irBackend(), 1), bad)
	r.CORS = compileCORS(t, policy.Spec{AllowOrigins: []string{"https://app.example.com"}})
	g := startGateway(t, simpleSnapshotWith(r), Options{})
	c := newClient(t)
	const n = 400
	var ok, failed int
	for range n {
		res := do(t, c, "GET", baseURL(t, g, 1)+"/", map[string]string{"Origin": "https://app.example.com"})
		switch res.status {
		case 200:
			ok++
		case 500:
			failed++
			if !strings.Contains(res.body, "test/missing") {
				t.Fatalf("500 body %q does not name the backendRef", res.body)
			}
			if res.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
				t.Fatalf("500 without CORS headers for an allowed origin: %v", res.header)
			}
		default:
			t.Fatalf("status %d", res.status)
		}
	}
	if failed < n*3/10 || failed > n*7/10 || int64(ok) != a.hits.Load() {
		t.Errorf("%d of %d requests got 500 (want about half), %d reached the valid backend (hits %d)", failed, n, ok, a.hits.Load())
	}
}
