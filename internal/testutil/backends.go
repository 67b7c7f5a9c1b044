package testutil

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// Serve serves h on a free loopback port (over TLS when cfg is set) until
// the test ends and returns the port.
func Serve(t testing.TB, h http.Handler, cfg *tls.Config) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// NamedBackend serves a loopback service that answers JSON naming itself,
// the method and the path, without CORS headers.
func NamedBackend(t testing.TB, name string) int {
	return Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"service":%q,"method":%q,"path":%q}`, name, r.Method, r.URL.Path)
	}), nil)
}

// Petstore serves kgateway's sample app: a JSON API that sets X-Request-Id
// and sends no CORS headers of its own.
func Petstore(t testing.TB) int {
	return Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		fmt.Fprintf(w, `[{"id":1,"name":"Rex","path":%q}]`, r.URL.Path)
	}), nil)
}

// HTTPBin serves a stand-in for httpbin.org: it answers every request,
// preflights included, with an allow-all CORS policy of its own (the
// Origin echoed with credentials), and its JSON body holds the request
// headers and path. A gateway in front must replace that answer with its
// configured policy.
func HTTPBin(t testing.TB) int {
	return Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := r.Header.Get("Origin")
		if origin == "" {
			origin = "*"
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS")
			h.Set("Access-Control-Max-Age", "3600")
			if acrh := r.Header.Get("Access-Control-Request-Headers"); acrh != "" {
				h.Set("Access-Control-Allow-Headers", acrh)
			}
			h.Set("Allow", "GET, POST, PUT, DELETE, PATCH, OPTIONS")
			w.WriteHeader(http.StatusOK)
			return
		}
		h.Set("Content-Type", "application/json")
		headers := map[string]string{}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": headers, "url": r.URL.Path})
	}), nil)
}

// kubeAPIServerOrigins is the --cors-allowed-origins pattern the stand-in
// applies, unanchored as kube-apiserver applies it.
var kubeAPIServerOrigins = regexp.MustCompile(`https://dashboard\.example\.com`)

// KubeAPIServer serves, over TLS with cfg, a stand-in for kube-apiserver
// that answers CORS the loose way kube-apiserver does: it allows, with
// credentials, every origin that contains https://dashboard.example.com
// anywhere. Its JSON body says whether the request came over TLS.
func KubeAPIServer(t testing.TB, cfg *tls.Config) int {
	return Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && kubeAPIServerOrigins.MatchString(o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"kind":"APIVersions","versions":["v1"],"path":%q,"tls":%t}`, r.URL.Path, r.TLS != nil)
	}), cfg)
}
