package dataplane

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// scriptedUpstream accepts connections on loopback and answers every
// request read on a connection with the next of its raw responses; after
// the last one it closes the connection (unless hold is set).
type scriptedUpstream struct {
	ln    net.Listener
	conns atomic.Int32
	reqs  chan *http.Request
	wg    sync.WaitGroup
}

func newScriptedUpstream(t testing.TB, hold bool, responses ...string) *scriptedUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &scriptedUpstream{ln: ln, reqs: make(chan *http.Request, 64)}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.conns.Add(1)
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for _, raw := range responses {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					select {
					case u.reqs <- req:
					default:
					}
					if _, err := io.WriteString(c, raw); err != nil {
						return
					}
				}
				if hold {
					_, _ = io.Copy(io.Discard, br)
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); u.wg.Wait() })
	return u
}

func (u *scriptedUpstream) client(t testing.TB, rht time.Duration) (c *h1Client) {
	addr := u.ln.Addr().String()
	var d net.Dialer
	defer func() { t.Cleanup(c.closeIdle) }()
	c = newH1Client(func(ctx context.Context, a string) (net.Conn, error) {
		if a != addr {
			return nil, errors.New("unexpected address " + a)
		}
		return d.DialContext(ctx, "tcp", addr)
	}, 1, 4, rht)
	return c
}

func h1Get(t testing.TB, c *h1Client, ctx context.Context, method, addr string) (*http.Response, string, error) {
	t.Helper()
	req := (&http.Request{Method: method, URL: &url.URL{Scheme: "http", Host: addr, Path: "/x"},
		Header: http.Header{"User-Agent": noUA}, Host: "api.example", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(ctx)
	if !h1Eligible(req) {
		t.Fatalf("request not eligible")
	}
	res, err := c.roundTrip(req, 0, addr)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b), err
}

func TestH1ClientFraming(t *testing.T) {
	type want struct {
		status int
		body   string
		conns  int32 // connections for two requests
		trail  string
	}
	cases := []struct {
		name   string
		method string
		raw    string
		want   want
	}{
		{"content-length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", want{200, "hello", 1, ""}},
		{"chunked+trailer", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: v\r\n\r\n", want{200, "abcde", 1, "v"}},
		{"head", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", want{200, "", 1, ""}},
		{"204", "GET", "HTTP/1.1 204 No Content\r\n\r\n", want{204, "", 1, ""}},
		{"304", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", want{304, "", 1, ""}},
		{"connection-close", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", want{200, "ok", 2, ""}},
		{"http/1.0", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", want{200, "ok", 2, ""}},
		{"1xx-then-200", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", want{200, "z", 1, ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newScriptedUpstream(t, true, tc.raw, tc.raw)
			c := u.client(t, time.Second)
			addr := u.ln.Addr().String()
			var hints atomic.Int32
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				Got1xxResponse: func(int, textproto.MIMEHeader) error { hints.Add(1); return nil }})
			for i := range 2 {
				res, body, err := h1Get(t, c, ctx, tc.method, addr)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if res.StatusCode != tc.want.status || body != tc.want.body || res.Trailer.Get("X-T") != tc.want.trail {
					t.Fatalf("request %d: got %d %q trailer %q, want %+v", i, res.StatusCode, body, res.Trailer.Get("X-T"), tc.want)
				}
			}
			if got := u.conns.Load(); got != tc.want.conns {
				t.Errorf("connections = %d, want %d", got, tc.want.conns)
			}
			if strings.HasPrefix(tc.name, "1xx") && hints.Load() != 2 {
				t.Errorf("1xx seen %d times, want 2", hints.Load())
			}
		})
	}
}

// Hostile or broken upstream answers: an error or a truncated body, never
// a panic, a hang or a reused connection that would mix two responses.
func TestH1ClientHostile(t *testing.T) {
	cases := []struct {
		name    string
		raw     string
		wantErr bool // from roundTrip or from reading the body
	}{
		{"garbage", "FOO BAR\r\n\r\n", true},
		{"bad-status", "HTTP/1.1 abc OK\r\n\r\n", true},
		{"bad-header-line", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", true},
		{"truncated-content-length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true},
		{"bad-chunk-size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", true},
		{"truncated-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true},
		{"conflicting-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", true},
		{"too-many-1xx", strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 6) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
		{"huge-header", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", true},
		{"nothing", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newScriptedUpstream(t, false, tc.raw)
			c := u.client(t, 2*time.Second)
			c.maxHeader = 4 << 10
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _, err := h1Get(t, c, context.Background(), "GET", u.ln.Addr().String())
				if (err != nil) != tc.wantErr {
					t.Errorf("err = %v, want error %v", err, tc.wantErr)
				}
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("client hangs on a hostile response")
			}
			if n := c.idle.Load(); n != 0 {
				t.Errorf("%d connections pooled after a failed exchange", n)
			}
		})
	}
}

// A response followed by bytes nobody asked for (a Content-Length that
// understates the body) must not leave those bytes to be read as the next
// response.
func TestH1ClientNoReuseAfterExtraBytes(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged"
	u := newScriptedUpstream(t, true, raw, raw)
	c := u.client(t, time.Second)
	addr := u.ln.Addr().String()
	for i := range 2 {
		res, body, err := h1Get(t, c, context.Background(), "GET", addr)
		if err != nil || res.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %v %q", i, err, body)
		}
	}
	// The smuggled bytes may not have arrived with the first read; when
	// they have, the connection must have been dropped.
	if got := u.conns.Load(); got != 2 && got != 1 {
		t.Fatalf("connections = %d", got)
	}
}

// An idle connection the upstream has closed is replaced transparently,
// with one retry, for a GET.
func TestH1ClientStaleConnRetried(t *testing.T) {
	u := newScriptedUpstream(t, false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
	c := u.client(t, time.Second)
	addr := u.ln.Addr().String()
	for i := range 3 {
		_, body, err := h1Get(t, c, context.Background(), "GET", addr)
		if err != nil || body != "a" {
			t.Fatalf("request %d: %v %q", i, err, body)
		}
		time.Sleep(20 * time.Millisecond) // let the upstream's close arrive
	}
	if got := u.conns.Load(); got != 3 {
		t.Errorf("connections = %d, want 3", got)
	}
}

// An idle connection that received unsolicited bytes while idle is not
// reused once it has been idle long enough to be checked.
func TestH1ClientIdlePeek(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					io.WriteString(nc, raw)
					if conns.Load() == 1 {
						io.WriteString(nc, "HTTP/1.1 408 Request Timeout\r\n\r\n")
					}
				}
			}()
		}
	}()
	u := &scriptedUpstream{ln: ln}
	c := u.client(t, time.Second)
	addr := ln.Addr().String()
	if _, body, err := h1Get(t, c, context.Background(), "GET", addr); err != nil || body != "a" {
		t.Fatal(err, body)
	}
	time.Sleep(50 * time.Millisecond)
	if c.idle.Load() == 1 {
		c.pools[0].conns[0].idleAt = time.Now().Add(-time.Second) // due for a check
	}
	if res, body, err := h1Get(t, c, context.Background(), "GET", addr); err != nil || res.StatusCode != 200 || body != "a" {
		t.Fatalf("second request: %v %q", err, body)
	}
	if conns.Load() != 2 {
		t.Errorf("connections = %d, want 2", conns.Load())
	}
}

func TestH1ClientTimeouts(t *testing.T) {
	u := newScriptedUpstream(t, true) // reads requests, never answers
	addr := u.ln.Addr().String()

	c := u.client(t, 100*time.Millisecond)
	start := time.Now()
	_, _, err := h1Get(t, c, context.Background(), "GET", addr)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > 3*time.Second {
		t.Errorf("response header timeout: err %v after %v", err, time.Since(start))
	}

	c = u.client(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := h1Get(t, c, ctx, "GET", addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("overall deadline: err %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, _, err := h1Get(t, c, ctx, "GET", addr); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err %v", err)
	}
	if c.idle.Load() != 0 {
		t.Error("a timed-out connection was pooled")
	}
}

// A body cut short by the context ends with the context's error and the
// connection is not pooled.
func TestH1ClientCancelDuringBody(t *testing.T) {
	u := newScriptedUpstream(t, true, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
	c := u.client(t, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	req := (&http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: u.ln.Addr().String(), Path: "/"},
		Header: http.Header{}, Host: "h"}).WithContext(ctx)
	res, err := c.roundTrip(req, 0, u.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(res.Body, buf); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := io.ReadAll(res.Body); !errors.Is(err, context.Canceled) {
		t.Errorf("body read after cancel: %v", err)
	}
	res.Body.Close()
	if c.idle.Load() != 0 {
		t.Error("connection pooled after a cut body")
	}
}

func TestH1ClientPoolCapAndClose(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	u := newScriptedUpstream(t, true, raw, raw, raw)
	c := u.client(t, time.Second)
	c.maxIdle = 1
	addr := u.ln.Addr().String()
	var bodies []io.ReadCloser
	for range 3 { // three at once: three connections
		req := (&http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: addr, Path: "/"}, Header: http.Header{}, Host: "h"}).WithContext(context.Background())
		res, err := c.roundTrip(req, 0, addr)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(res.Body)
		bodies = append(bodies, res.Body)
	}
	for _, b := range bodies {
		b.Close()
	}
	if got := c.idle.Load(); got != 1 {
		t.Errorf("idle = %d, want 1 (the cap)", got)
	}
	c.closeIdle()
	if got := c.idle.Load(); got != 0 || len(c.pools[0].conns) != 0 {
		t.Errorf("idle = %d after closeIdle", got)
	}
}

func TestH1Eligible(t *testing.T) {
	mk := func(method string, mod func(*http.Request)) *http.Request {
		r := &http.Request{Method: method, URL: &url.URL{Scheme: "http", Host: "a:80", Path: "/"}, Header: http.Header{"X-A": {"b"}}, Host: "h"}
		if mod != nil {
			mod(r)
		}
		return r
	}
	cases := []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"get", mk("GET", nil), true},
		{"head", mk("HEAD", nil), true},
		{"post", mk("POST", nil), false},
		{"body", mk("GET", func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("x")); r.ContentLength = 1 }), false},
		{"chunked body", mk("GET", func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("x")); r.ContentLength = -1 }), false},
		{"expect", mk("GET", func(r *http.Request) { r.Header["Expect"] = []string{"100-continue"} }), false},
		{"upgrade", mk("GET", func(r *http.Request) { r.Header["Upgrade"] = []string{"websocket"} }), false},
		{"https", mk("GET", func(r *http.Request) { r.URL.Scheme = "https" }), false},
		{"bad name", mk("GET", func(r *http.Request) { r.Header["X Y"] = []string{"1"} }), false},
		{"bad value", mk("GET", func(r *http.Request) { r.Header["X-Y"] = []string{"a\r\nInjected: 1"} }), false},
		{"bad host", mk("GET", func(r *http.Request) { r.Host = "h\r\nX: y" }), false},
		{"trailer", mk("GET", func(r *http.Request) { r.Trailer = http.Header{} }), false},
	}
	for _, tc := range cases {
		if got := h1Eligible(tc.r); got != tc.want {
			t.Errorf("%s: eligible = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzH1Response feeds arbitrary upstream bytes to the h1 client and to
// http.Transport (which parse with the same net/http code): they must agree
// on whether there is a response, its status and its body, and the h1
// client must never pool a connection whose response it could not frame.
func FuzzH1Response(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nabc\r\n0\r\nX-T: v\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nclose-delimited",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
		"garbage",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 4096 {
			return
		}
		u := newScriptedUpstream(t, false, raw)
		addr := u.ln.Addr().String()
		c := u.client(t, time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		res1, body1, err1 := h1Get(t, c, ctx, "GET", addr)
		if err1 == nil && res1.Close && c.idle.Load() != 0 {
			t.Fatal("pooled a connection the response closes")
		}
		tr := &http.Transport{DisableCompression: true, ResponseHeaderTimeout: time.Second}
		defer tr.CloseIdleConnections()
		req := (&http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: addr, Path: "/x"},
			Header: http.Header{"User-Agent": noUA}, Host: "api.example"}).WithContext(ctx)
		res2, err2 := tr.RoundTrip(req)
		var body2 string
		if err2 == nil {
			b, err := io.ReadAll(res2.Body)
			res2.Body.Close()
			body2, err2 = string(b), err
		}
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("h1: %v; transport: %v", err1, err2)
		}
		if err1 == nil && (res1.StatusCode != res2.StatusCode || body1 != body2) {
			t.Fatalf("h1: %d %q; transport: %d %q", res1.StatusCode, body1, res2.StatusCode, body2)
		}
	})
}

// rawCapture is an upstream that records the raw bytes of every request
// head and answers each with resp, keeping the connection open.
type rawCapture struct {
	ln    net.Listener
	mu    sync.Mutex
	heads []string
	conns atomic.Int32
}

func newRawCapture(t *testing.T, resp string) *rawCapture {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawCapture{ln: ln}
	var wg sync.WaitGroup
	var open sync.Map
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rc.conns.Add(1)
			open.Store(c, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					var head strings.Builder
					for {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						head.WriteString(line)
						if line == "\r\n" {
							break
						}
					}
					rc.mu.Lock()
					rc.heads = append(rc.heads, head.String())
					rc.mu.Unlock()
					out := resp
					if strings.HasPrefix(head.String(), "HEAD ") {
						out = resp[:strings.Index(resp, "\r\n\r\n")+4]
					}
					if _, err := io.WriteString(c, out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return rc
}

// The h1 client sends byte for byte what http.Transport sends, and the
// client gets the same answer, for GET and HEAD through the gateway; it
// keeps one upstream connection for sequential requests.
func TestH1ClientThroughGatewayMatchesTransport(t *testing.T) {
	const resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Request-Id: 7\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nAccess-Control-Allow-Origin: *\r\n\r\nhello"
	cors := compileCORS(t, policy.Spec{AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"X-Request-Id"}})
	var got [2][]string
	var answers [2][]result
	for i, disable := range []bool{true, false} {
		up := newRawCapture(t, resp)
		addr := up.ln.Addr().String()
		b := irBackend("raw", ir.Endpoint{Network: "tcp", Address: addr, Host: addr})
		g := startGateway(t, simpleSnapshot(b, cors), Options{DisableH1Client: disable})
		c := newClient(t)
		for _, m := range []string{"GET", "HEAD", "GET"} {
			answers[i] = append(answers[i], do(t, c, m, baseURL(t, g, 1)+"/a/b?x=1&y=2", map[string]string{
				"Origin": "https://app.example.com", "Host": "api.example.com", "X-Custom": "v", "Connection": "keep-alive, X-Drop", "X-Drop": "1"}))
		}
		up.mu.Lock()
		got[i] = up.heads
		up.mu.Unlock()
		if !disable && up.conns.Load() != 1 {
			t.Errorf("h1 client used %d upstream connections for 3 sequential requests, want 1", up.conns.Load())
		}
	}
	if len(got[0]) != 3 || len(got[1]) != 3 {
		t.Fatalf("requests at the upstream: %d and %d", len(got[0]), len(got[1]))
	}
	for j := range got[0] {
		if got[0][j] != got[1][j] {
			t.Errorf("request %d differs:\nTransport:\n%s\nh1:\n%s", j, got[0][j], got[1][j])
		}
		a, b := answers[0][j], answers[1][j]
		a.header.Del("Date")
		b.header.Del("Date")
		if a.status != b.status || a.body != b.body || !reflect.DeepEqual(a.header, b.header) {
			t.Errorf("answer %d differs: Transport %+v, h1 %+v", j, a, b)
		}
	}
	if strings.Contains(got[1][0], "X-Drop") || strings.Contains(got[1][0], "Accept-Encoding") {
		t.Errorf("unexpected header upstream:\n%s", got[1][0])
	}
}
