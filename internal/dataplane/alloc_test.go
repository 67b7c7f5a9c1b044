package dataplane

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/policy"
)

// TestPreflightNoAlloc pins the locally answered preflight, allowed and
// denied (the 403 body is precomputed per reason), at zero allocations
// through routing, the engine, the header writes and the metrics, once the
// metric's label combination has been seen.
func TestPreflightNoAlloc(t *testing.T) {
	r := newRoute("r", prefixMatch("/api"), weighted(irBackend("b"), 1))
	r.CORS = compileCORS(t, strictSpec)
	g := New(Options{Logger: quietLogger(), Metrics: metrics.New()})
	rt, _, err := g.buildRuntime(newSnapshot(1, httpListener(1, vhost("api.example.com", r))))
	if err != nil {
		t.Fatal(err)
	}
	g.active.Store(rt)
	h := g.HandlerFor(1)
	for _, tt := range []struct {
		name, origin, acrh string
		status             int
	}{
		{"allowed", appOrigin, "x-token", http.StatusNoContent},
		{"denied origin", evilOrigin, "x-token", http.StatusForbidden},
		{"hostile headers", appOrigin, "a,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("OPTIONS", "http://api.example.com/api/items", nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set(policy.HeaderRequestMethod, "PUT")
			req.Header.Set(policy.HeaderRequestHeaders, tt.acrh)
			w := &discardWriter{h: make(http.Header, 16)}
			h.ServeHTTP(w, req) // first sight of the label combination
			if w.status != tt.status {
				t.Fatalf("status %d, want %d", w.status, tt.status)
			}
			if n := testing.AllocsPerRun(100, func() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}); n != 0 {
				t.Fatalf("preflight allocated %v times per request", n)
			}
		})
	}
}
