package dataplane

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/policy"
)

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks count
// the gateway's allocations rather than a recorder's.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// WriteString discards s without converting it, as net/http's own
// ResponseWriter does (it implements io.StringWriter).
func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }

func BenchmarkPreflight(b *testing.B) { benchmarkPreflight(b, nil) }

// BenchmarkPreflightWithMetrics shows that counting a request adds no
// allocation once its label combination was seen.
func BenchmarkPreflightWithMetrics(b *testing.B) { benchmarkPreflight(b, metrics.New()) }

func benchmarkPreflight(b *testing.B, m *metrics.Metrics) {
	be := irBackend("b")
	r := newRoute("r", prefixMatch("/api"), weighted(be, 1))
	r.CORS = compileCORS(b, strictSpec)
	g := New(Options{Logger: quietLogger(), Metrics: m})
	rt, _, err := g.buildRuntime(newSnapshot(1, httpListener(1, vhost("api.example.com", r))))
	if err != nil {
		b.Fatal(err)
	}
	g.active.Store(rt)
	h := g.HandlerFor(1)
	req := httptest.NewRequest("OPTIONS", "http://api.example.com/api/items", nil)
	req.Header.Set("Origin", appOrigin)
	req.Header.Set(policy.HeaderRequestMethod, "PUT")
	req.Header.Set(policy.HeaderRequestHeaders, "x-token")
	w := &discardWriter{h: make(http.Header, 16)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != http.StatusNoContent {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkFindRoute(b *testing.B) {
	l := httpListener(1,
		vhost("api.example.com", newRoute("a", prefixMatch("/v1")), newRoute("b", prefixMatch("/v2"))),
		vhost("*.example.com", newRoute("c", prefixMatch("/static"))),
		vhost("", newRoute("d", prefixMatch("/"))))
	req := httptest.NewRequest("GET", "http://www.example.com/static/app.js?v=1", nil)
	b.ReportAllocs()
	for b.Loop() {
		if findRoute(l, "www.example.com", req) == nil {
			b.Fatal("no route")
		}
	}
}
