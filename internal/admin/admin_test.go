package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/ir"
)

type fakeSource struct{ snap atomic.Pointer[ir.Snapshot] }

func (f *fakeSource) Current() *ir.Snapshot { return f.snap.Load() }

func testSnapshot() *ir.Snapshot {
	return &ir.Snapshot{
		Generation: 7,
		CreatedAt:  time.Unix(1700000000, 0).UTC(),
		Listeners: []*ir.Listener{{
			Names: []string{"ns/gw/https"}, Address: ":8443", Port: 8443, Protocol: ir.ProtocolHTTPS,
			Certificates: []*ir.Certificate{{Hostname: "a.test", Source: "ns/cert", CertPEM: []byte("CERT"), KeyPEM: []byte("SECRET-KEY")}},
		}},
		Backends: []*ir.Backend{{ID: "ns/svc", Endpoints: []ir.Endpoint{{Network: "tcp", Address: "10.0.0.1:80", Host: "10.0.0.1:80"}},
			TLS: &ir.BackendTLS{CAPEM: []byte("CA-PEM"), SNI: "svc.test"}}},
	}
}

func TestHandler(t *testing.T) {
	src := &fakeSource{}
	var ready atomic.Bool
	h := NewHandler(src, ready.Load)

	type want struct {
		status   int
		ctype    string
		contains string
	}
	check := func(t *testing.T, method, path string, w want) string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		body := rec.Body.String()
		if rec.Code != w.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), w.ctype) || !strings.Contains(body, w.contains) {
			t.Errorf("%s %s: %d %q %q, want %d %q containing %q",
				method, path, rec.Code, rec.Header().Get("Content-Type"), body, w.status, w.ctype, w.contains)
		}
		return body
	}

	t.Run("before any snapshot", func(t *testing.T) {
		ready.Store(true)
		check(t, "GET", "/healthz", want{200, "text/plain", "ok"})
		check(t, "GET", "/readyz", want{503, "text/plain", "no configuration"})
		check(t, "GET", "/config", want{503, "application/json", "no configuration"})
	})
	t.Run("snapshot loaded, not ready", func(t *testing.T) {
		src.snap.Store(testSnapshot())
		ready.Store(false)
		check(t, "GET", "/readyz", want{503, "text/plain", "not ready"})
	})
	t.Run("ready", func(t *testing.T) {
		ready.Store(true)
		check(t, "GET", "/readyz", want{200, "text/plain", "ready"})
		check(t, "HEAD", "/healthz", want{200, "text/plain", ""})
		check(t, "POST", "/healthz", want{405, "text/plain", ""})
		check(t, "GET", "/nope", want{404, "text/plain", ""})
	})
	t.Run("config dump", func(t *testing.T) {
		body := check(t, "GET", "/config", want{200, "application/json", "\n  \"generation\": 7"})
		for _, secret := range []string{"SECRET-KEY", "CERT\"", "CA-PEM"} {
			if strings.Contains(body, secret) {
				t.Errorf("/config leaks %q", secret)
			}
		}
		var got ir.Snapshot
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("/config is not JSON: %v", err)
		}
		if got.Generation != 7 || len(got.Listeners) != 1 || got.Backends[0].ID != "ns/svc" {
			t.Errorf("/config decoded to %+v", got)
		}
	})
}

func TestHandlerNilReady(t *testing.T) {
	src := &fakeSource{}
	src.snap.Store(testSnapshot())
	rec := httptest.NewRecorder()
	NewHandler(src, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("nil ready with a snapshot: %d, want 200", rec.Code)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &fakeSource{}
	addr, done, err := Serve(ctx, "127.0.0.1:0", NewHandler(src, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz: %d %q", res.StatusCode, body)
	}

	if _, _, err := Serve(ctx, addr, NewHandler(src, nil), nil); err == nil {
		t.Error("Serve on a busy address succeeded")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve result: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("admin server did not stop after cancel")
	}
	if _, err := c.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("admin server still answers after shutdown")
	}
}

// The data plane is the source the admin server is wired to.
var _ SnapshotSource = (*dataplane.Gateway)(nil)
