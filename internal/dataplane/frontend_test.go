package dataplane

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/policy"
)

// TestFastFrontEndMatchesNetHTTP sends the same exchanges to a gateway
// with the lean HTTP/1.1 front end and to one served by net/http alone,
// and requires identical answers (status, headers but Date, body,
// trailers, 1xx) and identical requests at the backend. It also checks
// that the fast path really served the simple requests and handed the
// others (a body, a hop-by-hop Connection token, HTTP/1.0) to net/http.
func TestFastFrontEndMatchesNetHTTP(t *testing.T) {
	b := newTestBackend(t, "b", exchangeBackend)
	cors := compileCORS(t, policy.Spec{
		AllowOrigins:     []string{"https://app.example"},
		AllowMethods:     []string{"GET", "PUT"},
		AllowHeaders:     []string{"Content-Type"},
		ExposeHeaders:    []string{"X-Multi"},
		AllowCredentials: true,
		MaxAge:           600,
	})
	m := metrics.New()
	fast := startGateway(t, simpleSnapshot(b.irBackend(), cors), Options{Metrics: m})
	slow := startGateway(t, simpleSnapshot(b.irBackend(), cors), Options{DisableFastHTTP1: true})
	if fast.listeners[1].fast == nil || slow.listeners[1].fast != nil {
		t.Fatal("front ends not as configured")
	}

	type req struct {
		name, method, path, body string
		hdr                      map[string]string
		handedOff                bool
	}
	origin := map[string]string{"Origin": "https://app.example"}
	handOffs := 0
	for _, tt := range []req{
		{name: "preflight", method: "OPTIONS", path: "/a", hdr: map[string]string{
			"Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "content-type"}},
		{name: "preflight denied origin", method: "OPTIONS", path: "/a", hdr: map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}},
		{name: "preflight bad header", method: "OPTIONS", path: "/a", hdr: map[string]string{
			"Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "x y"}},
		{name: "get", method: "GET", path: "/echo?q=1&r=%20", hdr: origin},
		{name: "get escaped path", method: "GET", path: "/e%2Fcho/x", hdr: origin},
		{name: "get denied origin", method: "GET", path: "/echo", hdr: map[string]string{"Origin": "https://evil.example"}},
		{name: "get no origin", method: "GET", path: "/echo"},
		{name: "head", method: "HEAD", path: "/echo", hdr: origin},
		{name: "delete", method: "DELETE", path: "/echo", hdr: origin},
		{name: "trailer", method: "GET", path: "/trailer", hdr: origin},
		{name: "early hints", method: "GET", path: "/hints", hdr: origin},
		{name: "big", method: "GET", path: "/big", hdr: origin},
		{name: "stream", method: "GET", path: "/stream", hdr: origin},
		{name: "204", method: "GET", path: "/nocontent", hdr: origin},
		{name: "304", method: "GET", path: "/notmodified", hdr: origin},
		{name: "connection close", method: "GET", path: "/echo", hdr: map[string]string{"Origin": "https://app.example", "Connection": "close"}},
		{name: "post body", method: "POST", path: "/echo", body: "payload", hdr: origin, handedOff: true},
		{name: "hop-by-hop token", method: "GET", path: "/echo", hdr: map[string]string{"Origin": "https://app.example", "Connection": "X-Hop", "X-Hop": "1"}, handedOff: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [2]exchangeSeen
			for i, g := range []*Gateway{fast, slow} {
				c := newClient(t)
				served0, handed0 := g.listeners[1].stats()
				b.takeLast()
				base := baseURL(t, g, 1)
				got[i] = sendWith(t, c, tt.method, base+tt.path, tt.body, tt.hdr)
				if in := b.takeLast(); in != nil {
					got[i].upstream = in.Header.Clone()
					if xfh := in.Header.Get("X-Forwarded-Host"); "http://"+xfh == base {
						got[i].upstream.Set("X-Forwarded-Host", "(the gateway)")
					}
					got[i].upstream.Set("X-Test-Upstream-Target", in.Method+" "+in.RequestURI)
				}
				c.CloseIdleConnections()
				if i == 0 {
					served, handed := g.listeners[1].stats()
					if tt.handedOff {
						handOffs++
					}
					if tt.handedOff && handed == handed0 {
						t.Errorf("fast front end kept a request it must hand to net/http")
					}
					if !tt.handedOff && served == served0 {
						t.Errorf("fast front end did not serve the request (handed off %d → %d)", handed0, handed)
					}
				}
			}
			if !reflect.DeepEqual(got[0], got[1]) {
				t.Fatalf("fast front end and net/http differ:\nfast    %+v\nnet/http %+v", got[0], got[1])
			}
		})
	}
	if got := sampleValue(t, m, metrics.HTTP1HandOffsTotal, map[string]string{"listener": metrics.ListenerLabel(1)}); got != float64(handOffs) {
		t.Errorf("%s = %v, want %d", metrics.HTTP1HandOffsTotal, got, handOffs)
	}
}

// sendWith is send with the caller's headers ("Host" sets the request's
// Host).
func sendWith(t *testing.T, c *http.Client, method, url, body string, hdr map[string]string) exchangeSeen {
	t.Helper()
	var seen exchangeSeen
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Connection" && v == "close" {
			req.Close = true
			continue
		}
		req.Header.Set(k, v)
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			seen.informational = strconv.Itoa(code) + " " + h.Get("Link")
			return nil
		},
	}))
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	seen.status, seen.body, seen.trailer = res.StatusCode, string(b), res.Trailer
	seen.header = res.Header.Clone()
	seen.header.Del("Date")
	if res.Close {
		seen.header.Set("X-Test-Closed", "true")
	}
	return seen
}

// takeLast returns the last request the backend saw (nil if none since
// the previous call) and forgets it.
func (b *testBackend) takeLast() *http.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.last
	b.last = nil
	return r
}

func (l *listener) stats() (served, handedOff uint64) {
	if l.fast == nil {
		return 0, 0
	}
	return l.fast.Stats()
}
