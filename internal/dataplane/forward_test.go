package dataplane

import (
	"bufio"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/policy"
)

// TestDirectPathMatchesReverseProxy sends the same exchanges once on the
// direct path (plain query) and once through httputil.ReverseProxy (a
// query with a percent escape, which direct() leaves to it) and requires
// the same answer from the gateway and the same request at the backend:
// hop-by-hop headers, X-Forwarded-*, request bodies, 1xx responses,
// trailers, CORS headers.
func TestDirectPathMatchesReverseProxy(t *testing.T) {
	b := newTestBackend(t, "b", exchangeBackend)
	cors := compileCORS(t, policy.Spec{AllowOrigins: []string{"https://app.example"}, ExposeHeaders: []string{"X-Multi"}})
	g := startGateway(t, simpleSnapshot(b.irBackend(), cors), Options{})
	c := newClient(t)
	base := baseURL(t, g, 1)

	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/echo", ""},
		{"POST", "/echo", "payload"},
		{"GET", "/trailer", ""},
		{"GET", "/hints", ""},
	} {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			var got [2]exchangeSeen
			for i, q := range []string{"?q=1", "?q=%31"} {
				got[i] = send(t, c, tt.method, base+tt.path+q, tt.body)
				in := b.lastRequest(t)
				got[i].upstream = in.Header.Clone()
				got[i].upstream.Del("Content-Length") // absent on GET either way
			}
			if !reflect.DeepEqual(got[0], got[1]) {
				t.Fatalf("direct path and ReverseProxy differ:\ndirect %+v\nproxy  %+v", got[0], got[1])
			}
			seen := got[0]
			for _, h := range []string{"Connection", "X-Hop", "Keep-Alive"} {
				if v := seen.upstream.Values(h); v != nil {
					t.Errorf("backend saw hop-by-hop %s: %q", h, v)
				}
			}
			if v := seen.header.Get("Access-Control-Allow-Origin"); v != "https://app.example" {
				t.Errorf("ACAO = %q, want the gateway's", v)
			}
			switch tt.path {
			case "/hints":
				if seen.informational != "103 </app.css>; rel=preload" {
					t.Errorf("1xx = %q, want the 103 with its Link", seen.informational)
				}
			case "/trailer":
				if seen.trailer.Get("X-Sum") != "42" {
					t.Errorf("trailer = %v, want X-Sum: 42", seen.trailer)
				}
			case "/echo":
				if seen.body != tt.method+" "+tt.body || seen.header.Get("Keep-Alive") != "" ||
					strings.Join(seen.header.Values("X-Multi"), ",") != "a,b" {
					t.Errorf("got %+v", seen)
				}
			}
		})
	}
}

// exchangeBackend answers the exchanges the path-comparing tests send:
// 103 Early Hints, trailers, a long body, an event stream, 204, 304, and
// by default an echo of the method and body with headers the gateway must
// replace (Access-Control-*) or drop (hop-by-hop).
func exchangeBackend(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/hints":
		w.Header().Set("Link", "</app.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Set("X-Final", "1")
		_, _ = io.WriteString(w, "after hints")
	case "/trailer":
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
	case "/big":
		_, _ = io.WriteString(w, strings.Repeat("0123456789", 1000))
	case "/stream":
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			_, _ = io.WriteString(w, "data: "+strconv.Itoa(i)+"\n\n")
			w.(http.Flusher).Flush()
		}
	case "/nocontent":
		w.WriteHeader(http.StatusNoContent)
	case "/notmodified":
		w.Header().Set("ETag", `"x"`)
		w.WriteHeader(http.StatusNotModified)
	default:
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Access-Control-Allow-Origin", "https://upstream.example") // replaced by the gateway
		w.Header().Set("Keep-Alive", "timeout=5")                                 // hop-by-hop: dropped
		w.Header().Set("X-Request-Path", r.URL.Path)
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		_, _ = io.WriteString(w, r.Method+" "+string(body))
	}
}

// exchangeSeen is what the client and the backend saw of one exchange.
type exchangeSeen struct {
	status        int
	header        http.Header // without Date
	body          string
	trailer       http.Header
	informational string
	upstream      http.Header
}

func send(t *testing.T, c *http.Client, method, url, body string) exchangeSeen {
	t.Helper()
	return sendWith(t, c, method, url, body, map[string]string{
		"Origin":          "https://app.example",
		"Connection":      "X-Hop",
		"X-Hop":           "1",
		"X-Forwarded-For": "203.0.113.9",
		"Forwarded":       "for=203.0.113.9",
	})
}

// TestDirectPathStreams checks that a server-sent event stream is flushed
// to the client as it comes, before the upstream has finished.
func TestDirectPathStreams(t *testing.T) {
	release := make(chan struct{})
	b := newTestBackend(t, "b", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = io.WriteString(w, "data: two\n\n")
	})
	g := startGateway(t, simpleSnapshot(b.irBackend(), nil), Options{})
	c := newClient(t)
	res, err := c.Get(baseURL(t, g, 1) + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	close(release)
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event = %q, %v; want it before the stream ends", line, err)
	}
}
