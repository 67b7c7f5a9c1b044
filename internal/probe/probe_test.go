package probe

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/fetch"
)

func corsHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Methods", "PUT")
	w.Header().Set("Access-Control-Allow-Headers", "X-Trace")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "hello")
}

func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(corsHandler))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-CA case logs a handshake error
	srv.StartTLS()
	defer srv.Close()
	base := Options{URL: srv.URL + "/x", Origin: pageOrigin, Timeout: 5 * time.Second}

	_, err := Check(context.Background(), base)
	if err == nil || !strings.Contains(err.Error(), "pass --cacert FILE with its CA, or --insecure") {
		t.Errorf("untrusted certificate: %v", err)
	}

	o := base
	o.CACert = writeCA(t, srv)
	rep, err := Check(context.Background(), o)
	if err != nil || rep.Result.Verdict != fetch.Allowed {
		t.Fatalf("--cacert: %v %+v", err, rep)
	}
	if got := rep.Exchanges[0].Response.Line; !strings.HasPrefix(got, "HTTP/2.0 200") {
		t.Errorf("status line %q (browsers negotiate HTTP/2 over TLS)", got)
	}

	o = base
	o.Insecure = true
	if rep, err := Check(context.Background(), o); err != nil || rep.Result.Verdict != fetch.Allowed {
		t.Errorf("--insecure: %v", err)
	}

	o = base
	o.CACert = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := Check(context.Background(), o); err == nil || !strings.Contains(err.Error(), "--cacert") {
		t.Errorf("missing CA file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o600)
	o.CACert = empty
	if _, err := Check(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no PEM certificate found") {
		t.Errorf("bad CA file: %v", err)
	}
}

func TestNetworkErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Check(context.Background(), Options{URL: "http://" + addr + "/", Origin: pageOrigin, Method: "PUT"})
	if err == nil || !strings.Contains(err.Error(), "preflight OPTIONS http://"+addr+"/: cannot connect") {
		t.Errorf("refused: %v", err)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	_, err = Check(context.Background(), Options{URL: slow.URL, Origin: pageOrigin, Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within --timeout 100ms") {
		t.Errorf("timeout: %v", err)
	}

	if _, err := Check(context.Background(), Options{URL: "localhost:8080/x", Origin: pageOrigin}); err == nil || !strings.Contains(err.Error(), "absolute http://") {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := Check(context.Background(), Options{URL: slow.URL, Origin: "https://app.example/"}); err == nil || !strings.Contains(err.Error(), `a browser sends "https://app.example"`) {
		t.Errorf("bad origin: %v", err)
	}
}

func TestRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Location", fmt.Sprintf("/r%d", n))
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	rep, err := Check(context.Background(), Options{URL: srv.URL + "/r0", Origin: pageOrigin})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result.Failure == nil || rep.Result.Failure.Code != fetch.CodeTooManyRedirects || hits.Load() != 21 || rep.Result.Redirects != 20 {
		t.Errorf("hits %d, result %+v", hits.Load(), rep.Result.Failure)
	}
}

func TestWireRequests(t *testing.T) {
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Clone())
		corsHandler(w, r)
	}))
	defer srv.Close()
	rep, err := Check(context.Background(), Options{
		URL: srv.URL + "/x?q=1", Origin: pageOrigin, Method: "put", Data: []byte("abc"), HasData: true,
		Header: http.Header{"Cookie": {"sid=1"}, "X-Trace": {"7"}}, UserAgent: "test-agent",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || len(rep.Exchanges) != 2 {
		t.Fatalf("%d requests, %d exchanges", len(seen), len(rep.Exchanges))
	}
	pre, act := seen[0], seen[1]
	if pre.Get("Access-Control-Request-Headers") != "x-trace" || pre.Get("Cookie") != "" || pre.Get("User-Agent") != "test-agent" || pre.Get("Accept-Encoding") != "" {
		t.Errorf("preflight headers %v", pre)
	}
	if act.Get("Cookie") != "" || act.Get("X-Trace") != "7" || act.Get("Content-Type") != "text/plain;charset=UTF-8" {
		t.Errorf("actual headers %v", act)
	}
	x := rep.Exchanges[1]
	if x.Kind != fetch.Actual || x.Request.Line != "PUT /x?q=1 HTTP/1.1" || x.Request.BodyBytes != 3 ||
		x.Request.Header.Get("Host") != strings.TrimPrefix(srv.URL, "http://") || x.Response.Line != "HTTP/1.1 200 OK" || x.Response.BodyBytes != 5 {
		t.Errorf("exchange %+v", x)
	}
	if rep.Result.Verdict != fetch.Allowed {
		t.Errorf("verdict %s: %+v", rep.Result.Verdict, rep.Result.Failure)
	}
}

func TestParseHeader(t *testing.T) {
	for _, tt := range []struct{ in, name, value, err string }{
		{"X-A: 1", "X-A", "1", ""},
		{"X-A:1:2", "X-A", "1:2", ""},
		{"X-A:", "X-A", "", ""},
		{" X-A :  v  ", "X-A", "v", ""},
		{"X-A", "", "", "write it as 'Name: value'"},
		{": v", "", "", "write it as 'Name: value'"},
	} {
		n, v, err := ParseHeader(tt.in)
		if n != tt.name || v != tt.value || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseHeader(%q) = %q, %q, %v", tt.in, n, v, err)
		}
	}
}
