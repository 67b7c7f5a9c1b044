package config

import (
	"slices"
	"strings"
	"testing"
)

// In Kubernetes mode a rule whose backendRefs partly fail keeps the failed
// ones' weight as invalid shares (500 for that fraction of requests); the
// route stays Accepted with ResolvedRefs=False.
func TestInvalidBackendShareIR(t *testing.T) {
	doc := `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: good, namespace: web}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - {name: good, port: 80, weight: 3}
    - {name: missing, port: 80, weight: 1}
    - {name: zero, port: 80, weight: 0}
`
	snap, rep, _ := statusOf(t, doc, Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}})
	var found bool
	for _, l := range snap.Listeners {
		for _, vh := range l.Hosts {
			for _, r := range vh.Routes {
				found = true
				if r.Invalid != "" {
					t.Errorf("route invalid %q: one backendRef resolved, so the rule must serve", r.Invalid)
				}
				if len(r.Backends) != 2 || r.TotalWeight != 4 {
					t.Fatalf("backends %+v total %d; want the good one (3) and the missing one's share (1)", r.Backends, r.TotalWeight)
				}
				if b := r.Backends[1]; b.Backend != nil || b.Weight != 1 || !strings.Contains(b.Invalid, "missing") {
					t.Errorf("invalid share %+v", b)
				}
			}
		}
	}
	if !found {
		t.Fatal("the route was left out")
	}
	lines := flatReport(rep)
	for _, want := range []string{"HTTPRoute web/r parent gw Accepted=True/Accepted", "HTTPRoute web/r parent gw ResolvedRefs=False/BackendNotFound"} {
		if !slices.Contains(lines, want) {
			t.Errorf("want %q in\n%s", want, strings.Join(lines, "\n"))
		}
	}
}
