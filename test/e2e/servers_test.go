package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// freePorts returns n distinct 127.0.0.1 TCP ports that were free a moment
// ago: it holds all n listeners until it has them all. Call it after the
// test's own servers are up, so they cannot take these ports; the gateway
// binds them right after.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pick a free port: %v", err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// serve starts h on a fresh 127.0.0.1 port until the test ends and returns
// the port.
func serve(t *testing.T, h http.Handler) int {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// pageHTML is the page every scenario starts from. The empty data: icon
// keeps the browser from asking for /favicon.ico.
const pageHTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>corsgate browser test</title></head>
<body>corsgate browser test page</body></html>
`

// pageHandler serves pageHTML under every host name, so the one server
// gives the origins http://app.test:PORT, http://evil.test:PORT and so on.
func pageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, pageHTML)
	})
}

// echoHandler answers every request with 200, a JSON description of the
// request, and two headers a CORS policy can expose or not: X-Exposed and
// X-Hidden.
func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Exposed", "exposed")
		h.Set("X-Hidden", "hidden")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "origin": r.Header.Get("Origin"),
			"authorization": r.Header.Get("Authorization") != "", "body": string(body),
		})
	})
}

// allowAllHandler is a backend with its own allow-everything CORS answer,
// the kind corsgate must override: the gateway alone decides.
func allowAllHandler() http.Handler {
	echo := echoHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", "*")
		h.Set("Access-Control-Allow-Headers", "*")
		h.Set("Access-Control-Expose-Headers", "*")
		echo.ServeHTTP(w, r)
	})
}

// slowHandler starts its answer only after d, so a gateway whose upstream
// response-header timeout is shorter answers 504. It gives up when the
// gateway does.
func slowHandler(d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(d):
		}
		_, _ = io.WriteString(w, "too late\n")
	})
}

// redirectHandler redirects /redirect/same to /basic/target on the same
// origin, and /redirect/cross to the same path on other.test, a different
// origin served by the same gateway port (the gateway passes the request's
// Host through), after which the browser sends Origin: null.
func redirectHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect/same":
			http.Redirect(w, r, "/basic/target", http.StatusFound)
		case "/redirect/cross":
			_, port, _ := net.SplitHostPort(r.Host)
			http.Redirect(w, r, "http://other.test:"+port+"/basic/target", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
}
