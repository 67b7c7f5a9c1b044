package dataplane

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// explainSnapshot has, on port 1: a PUT-only rule with a credentialed
// policy on /items, a rule without CORS on /items (any method), a rule
// whose policy forwards unmatched preflights on /fwd, an invalid rule on
// /broken, a backendRef policy on /split, and a fallback policy for
// requests that match no route.
func explainSnapshot(t *testing.T, b *ir.Backend) *ir.Snapshot {
	creds := compileCORS(t, policy.Spec{
		AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "PUT"},
		AllowHeaders: []string{"Content-Type"}, ExposeHeaders: []string{"X-Backend"}, AllowCredentials: true, MaxAge: 600,
	})
	creds.Chain = []string{"rule filter HTTPRoute test/items (items.yaml:9)"}
	put := newRoute("put", ir.Match{PathType: ir.PathPrefix, Path: "/items", Method: "PUT"}, weighted(b, 1))
	put.CORS = creds
	put.ResponseHeaders = &ir.HeaderModifier{Set: []ir.HeaderValue{{Name: "X-Frame-Options", Value: "DENY"}}, Remove: []string{"Server"}}
	plain := newRoute("plain", prefixMatch("/items"), weighted(b, 1))
	fwd := newRoute("fwd", prefixMatch("/fwd"), weighted(b, 1))
	fwd.CORS = compileCORS(t, policy.Spec{AllowOrigins: []string{"https://app.example"}, ForwardUnmatchedPreflights: true})
	broken := newRoute("broken", prefixMatch("/broken"))
	broken.Invalid = "internal server error: the route rule has no backendRefs"
	broken.CORS = creds
	split := newRoute("split", prefixMatch("/split"), weighted(b, 1))
	split.CORS = creds
	split.Backends[0] = &ir.WeightedBackend{Backend: b, BackendID: b.ID, Weight: 1,
		CORS: compileCORS(t, policy.Spec{AllowOrigins: []string{"*"}})}
	hdr := newRoute("hdr", ir.Match{PathType: ir.PathPrefix, Path: "/hdr",
		Headers: []ir.ValueMatch{{Name: "X-Env", Value: "prod"}}}, weighted(b, 1))
	l := httpListener(1, vhost("api.example", hdr), vhost("", put, plain, fwd, broken, split))
	l.Fallback = []*ir.HostPolicy{{Hostname: "", CORS: compileCORS(t, policy.Spec{AllowOrigins: []string{"https://app.example"}})}}
	return newSnapshot(1, l)
}

// TestExplainMatchesGateway sends each request to a running gateway and
// compares its answer with Explain's: the same status, CORS headers, Vary
// and body, and forwarding exactly when the backend is reached.
func TestExplainMatchesGateway(t *testing.T) {
	be := newTestBackend(t, "b", nil)
	snap := explainSnapshot(t, be.irBackend())
	g := startGateway(t, snap, Options{})
	base := baseURL(t, g, 1)
	c := newClient(t)
	pre := map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"}
	evil := map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		action             Action
		route, byMethod    string
	}{
		{"preflight routed by its method", "OPTIONS", "/items", pre, ActionPreflight, "put", "PUT"},
		{"preflight denied", "OPTIONS", "/items", evil, ActionPreflight, "put", "PUT"},
		{"actual allowed", "PUT", "/items/1", map[string]string{"Origin": "https://app.example"}, ActionForward, "put", ""},
		{"actual denied", "PUT", "/items/1", map[string]string{"Origin": "https://evil.example"}, ActionForward, "put", ""},
		{"no CORS route", "GET", "/items", map[string]string{"Origin": "https://app.example"}, ActionForward, "plain", ""},
		{"unmatched preflight forwarded", "OPTIONS", "/fwd", evil, ActionForward, "fwd", ""},
		{"local error keeps CORS", "GET", "/broken", map[string]string{"Origin": "https://app.example"}, ActionLocalError, "broken", ""},
		{"backendRef policy wins", "GET", "/split", map[string]string{"Origin": "https://app.example"}, ActionForward, "split", ""},
		{"fallback preflight", "OPTIONS", "/nothing", pre, ActionPreflight, "", ""},
		{"fallback 404", "GET", "/nothing", map[string]string{"Origin": "https://app.example"}, ActionNotFound, "", ""},
		{"host-specific route", "GET", "/hdr", map[string]string{"Host": "api.example", "X-Env": "prod"}, ActionForward, "hdr", ""},
		{"header mismatch falls through", "GET", "/hdr", map[string]string{"Host": "api.example", "X-Env": "dev"}, ActionNotFound, "", ""},
		{"dot segment refused", "GET", "/items/../x", nil, ActionRefused, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := be.hits.Load()
			got := do(t, c, tt.method, base+tt.path, tt.hdr)
			forwarded := be.hits.Load() > before
			e := Explain(snap, 1, serverRequest(t, tt.method, tt.path, tt.hdr))
			if e.Action != tt.action {
				t.Fatalf("Action = %q, want %q", e.Action, tt.action)
			}
			if (e.Action == ActionForward) != forwarded {
				t.Errorf("Action %q but backend reached = %v", e.Action, forwarded)
			}
			if id := explainedRoute(e.Route); id != tt.route || e.RoutedByMethod != tt.byMethod {
				t.Errorf("route %q routed by %q, want %q by %q", id, e.RoutedByMethod, tt.route, tt.byMethod)
			}
			compareAnswer(t, e, got)
		})
	}
}

// compareAnswer checks that the gateway's response is what Explain says:
// for a local answer the exact status, body and headers it sets; for a
// forwarded request the headers it adds to the backend's response.
func compareAnswer(t *testing.T, e Explanation, got result) {
	t.Helper()
	names := append(policy.ResponseHeaderNames[:], "Vary", "X-Frame-Options")
	if e.Action != ActionForward {
		if got.status != e.Status || strings.TrimSuffix(got.body, "\n") != e.Body {
			t.Errorf("gateway %d %q, explain %d %q", got.status, got.body, e.Status, e.Body)
		}
		names = append(names, "Content-Type", "X-Content-Type-Options")
	} else if got.header.Get("X-Backend") != "b" {
		t.Errorf("response did not come from the backend: %v", got.header)
	}
	for _, n := range names {
		if g, w := got.header.Values(n), e.Header.Values(n); !slices.Equal(g, w) {
			t.Errorf("%s: gateway %q, explain %q", n, g, w)
		}
	}
}

func explainedRoute(r *RouteInfo) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// serverRequest builds r as a server receives it: origin-form URL, Host
// header apart.
func serverRequest(t *testing.T, method, target string, hdr map[string]string) *http.Request {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Method: method, URL: u, Host: "127.0.0.1", Header: http.Header{}, Body: http.NoBody}
	for k, v := range hdr {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	return r.WithContext(t.Context())
}

func TestExplainTrace(t *testing.T) {
	snap := explainSnapshot(t, irBackend("b", ir.Endpoint{Network: "tcp", Address: "127.0.0.1:1", Host: "127.0.0.1:1"}))
	e := Explain(snap, 1, serverRequest(t, "OPTIONS", "/items", map[string]string{
		"Host": "api.example", "Origin": "https://app.example", "Access-Control-Request-Method": "PUT"}))
	var tried []string
	for _, h := range e.VirtualHosts {
		for _, c := range h.Tried {
			tried = append(tried, c.Method+" "+c.RouteID+" "+c.Why)
		}
	}
	want := []string{
		"OPTIONS hdr path /items does not match", "PUT hdr path /items does not match",
		"OPTIONS put method OPTIONS is not PUT", "OPTIONS plain ", "PUT put ",
	}
	if !slices.Equal(tried, want) {
		t.Errorf("tried %q, want %q", tried, want)
	}
	if e.Policy == nil || e.Policy.From != "rule" || len(e.Policy.Chain) != 1 || e.Decision == nil || !e.Decision.Allowed {
		t.Errorf("policy %+v decision %+v", e.Policy, e.Decision)
	}
	if e.Status != http.StatusNoContent || e.Route.VirtualHost != "" {
		t.Errorf("status %d vhost %q", e.Status, e.Route.VirtualHost)
	}

	e = Explain(snap, 1, serverRequest(t, "PUT", "/items", map[string]string{"Origin": "https://app.example"}))
	if !slices.Contains(e.Removes, "Access-Control-Allow-Origin") || !slices.Contains(e.Removes, "Server") || !slices.IsSorted(e.Removes) {
		t.Errorf("Removes = %q", e.Removes)
	}
	if e.Backend == nil || e.Backend.ID != "test/b" || len(e.Backend.Endpoints) != 1 {
		t.Errorf("backend %+v", e.Backend)
	}
	if e = Explain(snap, 2, serverRequest(t, "GET", "/", nil)); e.Action != ActionNoListener {
		t.Errorf("port 2: %q", e.Action)
	}
}
