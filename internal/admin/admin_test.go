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
	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/source"
	"github.com/corsgate/corsgate/internal/source/file"
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
		h.ServeHTTP(rec, httptest.NewRequest(method, "http://127.0.0.1"+path, nil))
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
	NewHandler(src, nil).ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/readyz", nil))
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

// The data plane and the file reloader are what the admin server is wired to.
var (
	_ SnapshotSource = (*dataplane.Gateway)(nil)
	_ StatusSource   = (*file.Reloader)(nil)
)

type fakeStatus struct{ st source.Status }

func (f fakeStatus) Status() source.Status { return f.st }

func TestConfigShowsReloadStatusAndMetrics(t *testing.T) {
	failed := time.Unix(1700000100, 0).UTC()
	status := fakeStatus{source.Status{
		ActiveGeneration: 7, Attempts: 9, Failures: 2, LastResult: "failure",
		LastSuccess: &source.Attempt{Number: 8, Trigger: "file", Generation: 7},
		LastFailure: &source.Attempt{Number: 9, Trigger: "signal", Time: failed, Generation: 7,
			Errors: []string{"gw.yaml:6: Gateway default/gw: spec.listeners[0].protocol: ..."}},
	}}
	m := metrics.New()
	m.ConfigLoaded(false, 7, 1, failed)
	src := &fakeSource{}
	h := New(Options{Snapshots: src, Status: status, Metrics: m.Handler()})

	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+path, nil))
		return rec.Code, rec.Body.String()
	}
	// Before a snapshot: 503, but the failed attempt is visible.
	if code, body := get("/config"); code != 503 || !strings.Contains(body, `"lastFailure"`) || !strings.Contains(body, "gw.yaml:6") {
		t.Errorf("/config without snapshot: %d %s", code, body)
	}

	src.snap.Store(testSnapshot())
	code, body := get("/config")
	var doc struct {
		Generation uint64        `json:"generation"`
		Listeners  []any         `json:"listeners"`
		Reload     source.Status `json:"reload"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || code != 200 {
		t.Fatalf("/config: %d %v\n%s", code, err, body)
	}
	f := doc.Reload.LastFailure
	if doc.Generation != 7 || len(doc.Listeners) != 1 || f == nil || f.Number != 9 || !f.Time.Equal(failed) || f.Generation != 7 || len(f.Errors) != 1 {
		t.Errorf("/config = %s", body)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz after a failed reload: %d %s; want ready (the old config serves)", code, body)
	}
	code, body = get("/metrics")
	for _, want := range []string{metrics.ConfigLastReloadSuccessful + " 0", metrics.ConfigGeneration + " 7", "go_goroutines"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q (status %d)", want, code)
		}
	}

	// Without a metrics handler there is no /metrics.
	rec := httptest.NewRecorder()
	NewHandler(src, nil).ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("/metrics without handler: %d", rec.Code)
	}
}

func TestHostGuard(t *testing.T) {
	h := New(Options{AllowedHosts: []string{"corsgate-admin.monitoring.svc"}})
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:9901", http.StatusOK},
		{"[::1]:9901", http.StatusOK},
		{"10.1.2.3:9901", http.StatusOK},
		{"localhost:9901", http.StatusOK},
		{"LOCALHOST.", http.StatusOK},
		{"corsgate-admin.monitoring.svc:9901", http.StatusOK},
		{"attacker.example:9901", http.StatusMisdirectedRequest},
		{"localhost.attacker.example", http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io:9901", http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Host = tt.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("Host %q: %d, want %d (%s)", tt.host, rec.Code, tt.want, rec.Body)
		}
		if tt.want != http.StatusOK && !strings.Contains(rec.Body.String(), "--admin-allowed-host") {
			t.Errorf("Host %q: the refusal should say how to allow the name: %s", tt.host, rec.Body)
		}
	}
}
