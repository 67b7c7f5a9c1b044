package dataplane

import (
	"net/http"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// TestFallbackPolicy: a Gateway-level policy answers preflights and
// decorates the 404 of requests that match no route, for the hosts its
// listener covers only.
func TestFallbackPolicy(t *testing.T) {
	be := newTestBackend(t, "b", nil)
	r := newRoute("r", prefixMatch("/api"), weighted(be.irBackend(), 1))
	l := httpListener(1, vhost("", r))
	l.Fallback = []*ir.HostPolicy{{Hostname: "*.example.com", CORS: compileCORS(t, strictSpec)}}
	g := startGateway(t, newSnapshot(1, l), Options{})
	c := newClient(t)
	base := baseURL(t, g, 1)
	preflight := map[string]string{"Host": "api.example.com", "Origin": appOrigin, "Access-Control-Request-Method": "PUT"}

	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		status int
		cors   map[string]string
		vary   []string
	}{
		{"allowed preflight on an unknown path", "OPTIONS", preflight, 204, map[string]string{
			policy.HeaderAllowOrigin: appOrigin, policy.HeaderAllowCredentials: "true",
			policy.HeaderAllowMethods: "GET, PUT", policy.HeaderAllowHeaders: "X-Token",
			policy.HeaderExposeHeaders: "X-Trace", policy.HeaderMaxAge: "600",
		}, strictVary},
		{"denied preflight on an unknown path", "OPTIONS", map[string]string{"Host": "api.example.com", "Origin": evilOrigin, "Access-Control-Request-Method": "PUT"}, 403, nil, strictVary},
		{"404 readable by an allowed origin", "GET", map[string]string{"Host": "api.example.com", "Origin": appOrigin}, 404, actualAllowed, []string{"Origin"}},
		{"404 without CORS for a disallowed origin", "GET", map[string]string{"Host": "api.example.com", "Origin": evilOrigin}, 404, nil, []string{"Origin"}},
		{"host outside the fallback policy", "OPTIONS", map[string]string{"Host": "other.test", "Origin": appOrigin, "Access-Control-Request-Method": "PUT"}, 404, nil, []string{"Origin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, c, tt.method, base+"/unknown", tt.hdr)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d (body %q)", res.status, tt.status, res.body)
			}
			checkCORSHeaders(t, res.header, tt.cors)
			checkVary(t, res.header, tt.vary...)
		})
	}
	if n := be.hits.Load(); n != 0 {
		t.Errorf("backend reached %d times; unmatched requests must never be forwarded", n)
	}
}

// TestForwardUnmatchedPreflights: with ForwardUnmatchedPreflights (Istio
// FORWARD) a preflight from an origin the policy does not allow goes to the
// backend, whose Access-Control-* headers are still removed; an allowed
// origin's preflight is answered by the gateway as always.
func TestForwardUnmatchedPreflights(t *testing.T) {
	be := newTestBackend(t, "b", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, PUT, OPTIONS")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusOK)
	})
	spec := strictSpec
	spec.ForwardUnmatchedPreflights = true
	g := startGateway(t, simpleSnapshot(be.irBackend(), compileCORS(t, spec)), Options{})
	c := newClient(t)
	base := baseURL(t, g, 1)

	res := do(t, c, "OPTIONS", base+"/x", map[string]string{"Origin": evilOrigin, "Access-Control-Request-Method": "PUT"})
	if res.status != 200 || res.header.Get("Allow") != "GET, PUT, OPTIONS" {
		t.Fatalf("unmatched preflight: status %d, Allow %q; want the backend's 200", res.status, res.header.Get("Allow"))
	}
	checkCORSHeaders(t, res.header, nil)
	checkVary(t, res.header, strictVary...)
	if be.hits.Load() != 1 {
		t.Fatalf("backend reached %d times, want 1", be.hits.Load())
	}

	res = do(t, c, "OPTIONS", base+"/x", map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "PUT"})
	if res.status != 204 || !strings.Contains(res.header.Get(policy.HeaderAllowMethods), "PUT") {
		t.Fatalf("allowed preflight: status %d headers %v; want 204 from the gateway", res.status, res.header)
	}
	if be.hits.Load() != 1 {
		t.Errorf("allowed preflight reached the backend")
	}
}
