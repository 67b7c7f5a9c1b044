package h1

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNoStateLeaksBetweenRequests sends every ordered pair of differently
// framed responses over one kept-alive connection to net/http and to h1:
// the per-connection response object is reused, so nothing the first
// handler did (a Content-Length, trailers, a Content-Type, a Date, a
// status without body) may shape the second answer.
func TestNoStateLeaksBetweenRequests(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cl":
			w.Header().Set("Content-Length", "5")
			_, _ = io.WriteString(w, "hello")
		case "/trailer":
			w.Header().Set("Trailer", "X-Sum")
			_, _ = io.WriteString(w, "body")
			w.Header().Set("X-Sum", "1")
			w.Header().Set(http.TrailerPrefix+"X-Late", "2")
		case "/ctype":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "identity")
			_, _ = io.WriteString(w, `{}`)
		case "/date":
			w.Header().Set("Date", "Mon, 01 Jan 2024 00:00:00 GMT")
			_, _ = io.WriteString(w, "<html></html>")
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/big":
			_, _ = io.WriteString(w, strings.Repeat("x", 3000))
		default:
			_, _ = io.WriteString(w, "plain")
		}
	})
	std := startStd(t, h, nil)
	fast := startH1(t, h, nil)
	paths := []string{"/cl", "/trailer", "/ctype", "/date", "/204", "/big", "/plain"}
	for _, a := range paths {
		for _, b := range paths {
			var got [2][]string
			for i, addr := range []string{std.addr, fast.addr} {
				c, br := dial(t, addr)
				for _, p := range []string{a, b} {
					write(t, c, "GET "+p+" HTTP/1.1\r\nHost: x\r\n\r\n")
					s, err := readOne(br, "GET")
					if err != nil {
						t.Fatalf("%s then %s: %v", a, b, err)
					}
					got[i] = append(got[i], s.String())
				}
				_ = c.Close()
			}
			if strings.Join(got[0], "\n") != strings.Join(got[1], "\n") {
				t.Errorf("%s then %s:\nnet/http:\n%s\nh1:\n%s", a, b, strings.Join(got[0], "\n"), strings.Join(got[1], "\n"))
			}
		}
	}
	if served, _ := fast.h1.Stats(); served != uint64(2*len(paths)*len(paths)) {
		t.Errorf("fast path served %d requests, want %d", served, 2*len(paths)*len(paths))
	}
}
