package h1

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// These tests pin fixes found in review: each failed before its fix.

// TestHandlerLearnsClientIsGone: a handler streaming to a client that
// left must stop (a cancelled context or a write error), also when the
// client had sent one byte of a next request before leaving.
func TestHandlerLearnsClientIsGone(t *testing.T) {
	for _, extra := range []string{"", "G"} {
		t.Run("pipelined="+extra, func(t *testing.T) {
			done := make(chan string, 1)
			chunk := make([]byte, 32<<10)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				limit := time.Now().Add(5 * time.Second)
				for time.Now().Before(limit) {
					select {
					case <-r.Context().Done():
						done <- "context"
						return
					default:
					}
					if _, err := w.Write(chunk); err != nil {
						done <- "write error"
						return
					}
					time.Sleep(2 * time.Millisecond)
				}
				done <- "ran to its limit"
			})
			c, _ := dial(t, startH1(t, h, nil).addr)
			write(t, c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"+extra)
			buf := make([]byte, 1000)
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatal(err)
			}
			_ = c.Close()
			start := time.Now()
			if why := testutil.Recv(t, done, "the handler"); why == "ran to its limit" || time.Since(start) > 3*time.Second {
				t.Errorf("handler stopped after %v (%s); want it to notice the client left", time.Since(start), why)
			}
		})
	}
}

// TestLargeResponseHeadNotKept: a kept-alive connection must not pin the
// buffers of its largest response.
func TestLargeResponseHeadNotKept(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Header().Set("X-Big", big)
		}
		_, _ = io.WriteString(w, "ok")
	})
	addr := startH1(t, h, nil).addr
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	const n = 30
	for range n {
		c, br := dial(t, addr)
		for _, p := range []string{"/big", "/small"} {
			write(t, c, "GET "+p+" HTTP/1.1\r\nHost: a\r\n\r\n")
			if _, err := readOne(br, "GET"); err != nil {
				t.Fatal(err)
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grew := int64(ms.HeapAlloc) - int64(before); grew > 10<<20 {
		t.Errorf("heap grew by %d MiB with %d idle connections that each served a 1 MiB head", grew>>20, n)
	}
}

// TestShutdownClosesIdleAndHalfSentHeads: a kept-alive connection holding
// only part of a head is idle for Shutdown (as in net/http), and a new
// connection that has sent nothing is closed after 5 s of silence.
func TestShutdownClosesIdleAndHalfSentHeads(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	for _, tt := range []struct {
		name   string
		setup  func(t *testing.T, addr string)
		within time.Duration
	}{
		{"half-sent head", func(t *testing.T, addr string) {
			c, br := dial(t, addr)
			write(t, c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
			if _, err := readOne(br, "GET"); err != nil {
				t.Fatal(err)
			}
			write(t, c, "GET / HTTP/1.1\r\nHo")
		}, time.Second},
		{"silent new connection", func(t *testing.T, addr string) { dial(t, addr) }, 7 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startH1(t, h, func(s *Server) { s.ReadHeaderTimeout = 30 * time.Second })
			tt.setup(t, ts.addr)
			time.Sleep(50 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), tt.within)
			defer cancel()
			if err := ts.h1.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v; want the connection closed within %v", err, tt.within)
			}
		})
	}
}

// TestHandOffKeepsHeaderDeadline: a head too long for the fast path keeps
// its ReadHeaderTimeout in net/http instead of getting a second one.
func TestHandOffKeepsHeaderDeadline(t *testing.T) {
	const rht = time.Second
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	ts := startH1(t, h, func(s *Server) { s.ReadHeaderTimeout = rht }) // 8 KiB: handed off after ≈ 0.8 s
	ts.h1.Fallback.ReadHeaderTimeout = rht
	c, _ := dial(t, ts.addr)
	start := time.Now()
	write(t, c, "GET / HTTP/1.1\r\nHost: a\r\n")
	line := "X-Pad: " + strings.Repeat("a", 90) + "\r\n"
	for time.Since(start) < 5*time.Second {
		if _, err := io.WriteString(c, line); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d > rht+rht/2 {
		t.Errorf("slow head kept the connection for %v; ReadHeaderTimeout is %v", d, rht)
	}
}

// TestFramingHeadersCopiedAtWriteHeader: changing a framing header's
// value in place after WriteHeader has no effect, as in net/http.
func TestFramingHeadersCopiedAtWriteHeader(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/b" {
			_, _ = io.WriteString(w, "SECOND")
			return
		}
		w.Header()["Content-Length"] = []string{"5"}
		w.WriteHeader(http.StatusOK)
		w.Header()["Content-Length"][0] = "11"
		_, _ = io.WriteString(w, "hello")
	})
	c, br := dial(t, startH1(t, h, nil).addr)
	write(t, c, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
	for _, want := range []string{"hello", "SECOND"} {
		s, err := readOne(br, "GET")
		if err != nil || !strings.Contains(s.String(), `"`+want+`"`) {
			t.Fatalf("got %v, %v; want body %q", s, err, want)
		}
	}
}
