package examples

// The kgateway and agentgateway migration examples, run end to end with
// the helpers of migrations_test.go: corsgate runs in-process on a copy of
// the example with free ports, in front of real loopback backends, and
// every response is checked completely (status, each CORS header present
// with its value or absent, Vary, body).

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/testutil"
	"github.com/corsgate/corsgate/internal/testutil/inproc"
)

// hostTransport sends every request with Host set, like curl -H "host: ...".
type hostTransport struct{ host string }

func (h hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = h.host
	return http.DefaultTransport.RoundTrip(r)
}

// TestMigrationKgatewayPetstore serves examples/kgateway-petstore: the
// HTTPRoute CORS filter with a ResponseHeaderModifier adding CORS headers
// by hand, and a TrafficPolicy on the same route.
func TestMigrationKgatewayPetstore(t *testing.T) {
	gw := testutil.FreePort(t)
	dir := migCopy(t, "kgateway-petstore", map[int]int{8080: gw, 9000: testutil.Petstore(t)})
	stderr := inproc.Run(t, dir)
	for _, w := range []string{
		`spec.rules[0].filters[1].responseHeaderModifier.add[0].name: "Access-Control-Expose-Headers" is a CORS header`,
		`spec.rules[0].filters[1].responseHeaderModifier.add[1].name: "Access-Control-Max-Age" is a CORS header`,
	} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("startup output lacks %q:\n%s", w, stderr)
		}
	}
	const pets, admin = "https://petstore.example.com", "https://admin.example.com"
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), http.DefaultClient, []migCase{
		// The route's filter: the modifier's Expose-Headers and Max-Age
		// never reach the browser; Max-Age is the Gateway API default.
		{"filter preflight", "OPTIONS", "/api/pets", pets, "DELETE", "content-type,authorization", 204, map[string]string{
			"Access-Control-Allow-Origin": pets, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods": "GET, POST, DELETE", "Access-Control-Allow-Headers": "Content-Type, Authorization",
			"Access-Control-Max-Age": "5", "Vary": migPreflightVary,
		}, ""},
		{"filter GET: modifier's CORS headers removed", "GET", "/api/pets", pets, "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": pets, "Access-Control-Allow-Credentials": "true",
			"Vary": "Origin", "Content-Type": "application/json", "X-Request-Id": "req-1",
		}, `"name":"Rex"`},
		// The route filter wins over the TrafficPolicy on the same route,
		// so the TrafficPolicy's second origin is not allowed here.
		{"filter wins over the TrafficPolicy", "OPTIONS", "/api/pets", admin, "GET", "", 403,
			map[string]string{"Vary": migPreflightVary}, migDenied},
		// The rule without a filter gets the TrafficPolicy.
		{"TrafficPolicy preflight", "OPTIONS", "/api/store", admin, "PUT", "", 204, map[string]string{
			"Access-Control-Allow-Origin": admin, "Access-Control-Allow-Methods": "GET, PUT",
			"Access-Control-Expose-Headers": "X-Request-Id", "Access-Control-Max-Age": "3600", "Vary": migPreflightVary,
		}, ""},
		{"TrafficPolicy GET", "GET", "/api/store", admin, "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": admin, "Access-Control-Expose-Headers": "X-Request-Id", "Vary": "Origin",
		}, `"path":"/api/store"`},
		{"TrafficPolicy, other origin", "GET", "/api/store", "https://evil.example", "", "", 200,
			map[string]string{"Vary": "Origin"}, `"name":"Rex"`},
	})
}

// TestMigrationKgatewayPetstoreUnion serves the example with its union/
// variant: a TrafficPolicy on the Gateway merged (mergeStrategy Union)
// with a CORSPolicy on a route, as Gloo's corsPolicyMergeSettings UNION.
func TestMigrationKgatewayPetstoreUnion(t *testing.T) {
	gw := testutil.FreePort(t)
	dir := migCopy(t, "kgateway-petstore", map[int]int{8080: gw, 9000: testutil.Petstore(t)})
	files, _ := filepath.Glob("kgateway-petstore/union/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "union-"+filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	inproc.Run(t, dir)
	const pets, admin = "https://petstore.example.com", "https://admin.example.com"
	union := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET, PUT",
			"Access-Control-Expose-Headers": "common-header, vh-header, route-header",
			"Access-Control-Max-Age":        "600", "Vary": migPreflightVary,
		}
	}
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), http.DefaultClient, []migCase{
		{"union: the Gateway's origin", "OPTIONS", "/api/inventory", pets, "PUT", "", 204, union(pets), ""},
		{"union: the route's origin", "OPTIONS", "/api/inventory", admin, "GET", "", 204, union(admin), ""},
		{"union GET", "GET", "/api/inventory", admin, "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": admin, "Access-Control-Expose-Headers": "common-header, vh-header, route-header", "Vary": "Origin",
		}, `"path":"/api/inventory"`},
		// The route-level TrafficPolicy (Override) still replaces the
		// Gateway's on rule "store".
		{"override below the union", "OPTIONS", "/api/store", admin, "PUT", "", 204, map[string]string{
			"Access-Control-Allow-Origin": admin, "Access-Control-Allow-Methods": "GET, PUT",
			"Access-Control-Expose-Headers": "X-Request-Id", "Access-Control-Max-Age": "3600", "Vary": migPreflightVary,
		}, ""},
	})
}

// TestMigrationAgentgatewayHTTPBin serves examples/agentgateway-httpbin:
// the HTTPRoute CORS filter and an AgentgatewayPolicy on the Gateway, in
// front of a backend that answers allow-all CORS itself. corsgate's policy
// must win: the backend's Access-Control-* headers never reach the client.
func TestMigrationAgentgatewayHTTPBin(t *testing.T) {
	gw := testutil.FreePort(t)
	dir := migCopy(t, "agentgateway-httpbin", map[int]int{8080: gw, 8000: testutil.HTTPBin(t)})
	inproc.Run(t, dir)
	const ex, other = "https://example.com", "https://notallowed.com"
	route := map[string]string{
		"Access-Control-Allow-Origin": ex, "Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers": "Origin, X-HTTPRoute-Header",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	gwPolicy := map[string]string{
		"Access-Control-Allow-Origin": ex, "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": "Origin, Authorization, Content-Type",
		"Access-Control-Expose-Headers": "Origin, X-TrafficPolicy-Header", "Access-Control-Max-Age": "86400",
		"Vary": migPreflightVary,
	}
	client := &http.Client{Transport: hostTransport{"cors.example"}}
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), client, []migCase{
		{"route filter preflight", "OPTIONS", "/headers", ex, "POST", "content-type", 204, with(route,
			"Access-Control-Allow-Methods", "GET, POST, OPTIONS", "Access-Control-Allow-Headers", "Origin",
			"Access-Control-Max-Age", "86400", "Vary", migPreflightVary), ""},
		{"route filter GET: httpbin's own CORS headers replaced", "GET", "/headers", ex, "", "", 200,
			with(route, "Vary", "Origin", "Content-Type", "application/json"), `"Origin":"https://example.com"`},
		// The guide's curl: OPTIONS without Access-Control-Request-Method
		// is not a preflight, so httpbin answers it; its allow-all CORS
		// headers are replaced by the policy's actual-request headers.
		{"OPTIONS without request method is forwarded", "OPTIONS", "/headers", ex, "", "", 200,
			with(route, "Vary", "Origin", "Allow", "GET, POST, PUT, DELETE, PATCH, OPTIONS"), ""},
		{"disallowed origin preflight", "OPTIONS", "/headers", other, "GET", "", 403,
			map[string]string{"Vary": migPreflightVary}, migDenied},
		{"disallowed origin GET: nothing reflected", "GET", "/headers", other, "", "", 200,
			map[string]string{"Vary": "Origin"}, `"Origin":"https://notallowed.com"`},
		// The rule without a filter gets the AgentgatewayPolicy.
		{"gateway policy preflight", "OPTIONS", "/anything/x", ex, "POST", "authorization", 204, gwPolicy, ""},
		{"gateway policy GET", "GET", "/anything/x", ex, "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": ex, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers": "Origin, X-TrafficPolicy-Header", "Vary": "Origin",
		}, `"url":"/anything/x"`},
		// No route matches: the Gateway's policy still answers the
		// preflight and decorates the 404 (ir.Listener.Fallback).
		{"fallback preflight, no route", "OPTIONS", "/no-such-path", ex, "POST", "authorization", 204, gwPolicy, ""},
		{"fallback 404 carries CORS headers", "GET", "/no-such-path", ex, "", "", 404, map[string]string{
			"Access-Control-Allow-Origin": ex, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers": "Origin, X-TrafficPolicy-Header", "Vary": "Origin",
		}, "no route"},
		{"fallback, disallowed origin", "OPTIONS", "/no-such-path", other, "POST", "", 403,
			map[string]string{"Vary": migPreflightVary}, migDenied},
	})
}

// TestForwardUnmatchedPreflights pins the data plane's handling of
// Decision.Forward (CORSPolicy unmatchedPreflights: Forward, Istio's
// FORWARD): a preflight from an origin the policy does not allow goes to
// the backend unchanged; the backend's answer comes back like any response
// to a disallowed origin, without its Access-Control-* headers (the
// gateway stays the only CORS authority) and with the preflight Vary.
func TestForwardUnmatchedPreflights(t *testing.T) {
	gw := testutil.FreePort(t)
	dir := t.TempDir()
	cfg := `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: ` + strconv.Itoa(gw) + `, protocol: HTTP}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: httpbin}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ` + strconv.Itoa(testutil.HTTPBin(t)) + `}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httpbin}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{group: corsgate.dev, kind: Backend, name: httpbin}]}]
---
apiVersion: corsgate.dev/v1alpha1
kind: CORSPolicy
metadata: {name: forward}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: httpbin}]
  allowOrigins: ["https://example.com"]
  allowMethods: [PUT]
  unmatchedPreflights: Forward
`
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	inproc.Run(t, dir)
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), http.DefaultClient, []migCase{
		{"allowed origin answered locally", "OPTIONS", "/anything", "https://example.com", "PUT", "", 204, map[string]string{
			"Access-Control-Allow-Origin": "https://example.com", "Access-Control-Allow-Methods": "PUT",
			"Access-Control-Max-Age": "5", "Vary": migPreflightVary, "Allow": "",
		}, ""},
		{"unmatched origin forwarded", "OPTIONS", "/anything", "https://other.example", "PUT", "", 200, map[string]string{
			"Vary": migPreflightVary, "Allow": "GET, POST, PUT, DELETE, PATCH, OPTIONS",
		}, ""},
	})
}
