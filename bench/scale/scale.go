// Package scale builds large corsgate configurations (many routes, many
// allowed origins) for the scale benchmark: translate+compile time, memory
// of the snapshot, and per-request routing+CORS cost through
// dataplane.Gateway. See docs/performance.md.
package scale

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// RoutesPerHost is the number of path-prefix rules per hostname: a config
// of R routes has max(1, R/RoutesPerHost) hostnames with RoutesPerHost
// PathPrefix rules each (/svc0 ... /svc9), every rule with its own CORS
// filter.
const RoutesPerHost = 10

// Case is one configuration size.
type Case struct {
	Routes int
	// OriginsPerPolicy is the length of each CORS filter's allowOrigins
	// (at most 64: Gateway API and corsgate limit).
	OriginsPerPolicy int
	// OriginPool is the number of distinct allowed origins in the whole
	// config; policy i lists OriginsPerPolicy consecutive origins of the
	// pool starting at i*OriginsPerPolicy (mod OriginPool). A pool equal to
	// OriginsPerPolicy means every policy lists the same origins.
	OriginPool int
}

// Name is the sub-benchmark name of c.
func (c Case) Name() string {
	return fmt.Sprintf("routes=%d/origins=%d/per-policy=%d", c.Routes, c.OriginPool, c.OriginsPerPolicy)
}

// Hosts is the number of hostnames of c.
func (c Case) Hosts() int { return max(1, c.Routes/RoutesPerHost) }

// Origin returns origin number i of the pool.
func Origin(i int) string { return "https://o" + strconv.Itoa(i) + ".tenant.example" }

// Host returns hostname number i.
func Host(i int) string { return "h" + strconv.Itoa(i) + ".api.example.com" }

// PolicyOrigins returns the allowOrigins of rule j of host h.
func (c Case) PolicyOrigins(h, j int) []string {
	start := (h*RoutesPerHost + j) * c.OriginsPerPolicy
	out := make([]string, c.OriginsPerPolicy)
	for k := range out {
		out[k] = Origin((start + k) % c.OriginPool)
	}
	return out
}

// YAML returns the configuration as corsgate reads it: one Gateway with
// an HTTP listener on port, one Backend, and one HTTPRoute per hostname.
func (c Case) YAML(port int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: scale
spec:
  gatewayClassName: corsgate
  listeners:
  - name: http
    port: %d
    protocol: HTTP
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata:
  name: up
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: 9
`, port)
	perHost := min(c.Routes, RoutesPerHost)
	for h := range c.Hosts() {
		fmt.Fprintf(&b, `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r%d
spec:
  parentRefs:
  - name: scale
  hostnames: [%q]
  rules:
`, h, Host(h))
		for j := range perHost {
			fmt.Fprintf(&b, `  - matches:
    - path: {type: PathPrefix, value: /svc%d}
    filters:
    - type: CORS
      cors:
        allowOrigins: [%s]
        allowMethods: [GET, POST, PUT]
        allowHeaders: [Authorization, Content-Type]
        exposeHeaders: [X-Request-Id]
        allowCredentials: true
        maxAge: 600
    backendRefs:
    - {group: corsgate.dev, kind: Backend, name: up}
`, j, strings.Join(c.PolicyOrigins(h, j), ", "))
		}
	}
	return []byte(b.String())
}

// Probes is the number of distinct requests the per-request benchmark
// cycles through, aimed at routes spread evenly over the configuration, so
// that the figure is the average cost, not the best or worst position of a
// linear scan.
const Probes = 16

// Requests returns Probes allowed preflights aimed at routes spread over c.
func (c Case) Requests() []*http.Request {
	perHost := min(c.Routes, RoutesPerHost)
	out := make([]*http.Request, Probes)
	for k := range out {
		route := (2*k + 1) * c.Routes / (2 * Probes)
		h, j := route/perHost, route%perHost
		origins := c.PolicyOrigins(h, j)
		r := httptest.NewRequest(http.MethodOptions, "http://"+Host(h)+"/svc"+strconv.Itoa(j)+"/items", nil)
		r.Header.Set("Origin", origins[len(origins)/2])
		r.Header.Set("Access-Control-Request-Method", "PUT")
		r.Header.Set("Access-Control-Request-Headers", "content-type")
		out[k] = r
	}
	return out
}
