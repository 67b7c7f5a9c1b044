package config

import (
	"slices"
	"strings"
	"testing"
)

// A listener with allowedRoutes.namespaces.from: Selector admits routes
// from namespaces whose labels match; a namespace without a Namespace
// object carries only kubernetes.io/metadata.name, as in a cluster.
func TestNamespaceSelector(t *testing.T) {
	const gateway = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: corsgate
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector: %s
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {gateway-access: "yes"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: blog, labels: {gateway-access: "no"}}
`
	route := func(ns string) string {
		return `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ` + ns + `}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - backendRefs: [{group: corsgate.dev, kind: Backend, name: b}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: b, namespace: ` + ns + `}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: 9000}}]
`
	}
	tests := []struct {
		name, selector, ns string
		want               string // the route's Accepted condition
	}{
		{"labels match", `{matchLabels: {gateway-access: "yes"}}`, "shop", "Accepted=True/Accepted"},
		{"labels differ", `{matchLabels: {gateway-access: "yes"}}`, "blog", "Accepted=False/NotAllowedByListeners"},
		{"expression", `{matchExpressions: [{key: gateway-access, operator: In, values: ["yes", "no"]}]}`, "blog", "Accepted=True/Accepted"},
		{"no Namespace object: metadata.name label", `{matchLabels: {kubernetes.io/metadata.name: docs}}`, "docs", "Accepted=True/Accepted"},
		{"no Namespace object, other name", `{matchLabels: {kubernetes.io/metadata.name: docs}}`, "wiki", "Accepted=False/NotAllowedByListeners"},
		{"the Gateway's own namespace is not implied", `{matchLabels: {gateway-access: "yes"}}`, "infra", "Accepted=False/NotAllowedByListeners"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(gateway, "%s", tt.selector, 1) + route(tt.ns)
			_, rep, ps := statusOf(t, doc, Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}})
			if accepted := strings.HasSuffix(tt.want, "True/Accepted"); accepted == (ps.Err() != nil) {
				t.Fatalf("problems %v (want none exactly when the route is accepted)", ps)
			}
			lines := flatReport(rep)
			want := "HTTPRoute " + tt.ns + "/r parent gw Accepted=" + strings.TrimPrefix(tt.want, "Accepted=")
			if !slices.Contains(lines, want) {
				t.Errorf("want %q in\n%s", want, strings.Join(lines, "\n"))
			}
		})
	}

	t.Run("selector missing", func(t *testing.T) {
		doc := strings.Replace(gateway, "        selector: %s\n", "", 1)
		_, _, ps := statusOf(t, doc, Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}})
		if err := ps.Err(); err == nil || !strings.Contains(err.Error(), "from: Selector needs a selector") {
			t.Fatalf("want an error naming the missing selector, got %v", err)
		}
	})
}

// allowedRoutes.kinds listing HTTPRoute next to a kind corsgate does not
// serve: the listener keeps serving HTTPRoutes, supportedKinds lists only
// HTTPRoute and ResolvedRefs is False/InvalidRouteKinds. With no HTTPRoute
// listed the listener serves nothing.
func TestMixedRouteKinds(t *testing.T) {
	doc := func(kinds string) string {
		return `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
    allowedRoutes: {kinds: ` + kinds + `}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{group: corsgate.dev, kind: Backend, name: b}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: b, namespace: web}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: 9000}}]
`
	}
	tests := []struct {
		name, kinds string
		want        []string
		err         bool
	}{
		{"mixed", `[{kind: HTTPRoute}, {kind: GRPCRoute}]`, []string{
			"Gateway web/gw listener http attached=1 kinds=1",
			"Gateway web/gw listener http ResolvedRefs=False/InvalidRouteKinds",
			"Gateway web/gw listener http Programmed=True/Programmed",
			"HTTPRoute web/r parent gw Accepted=True/Accepted",
		}, false},
		{"only other kinds", `[{kind: GRPCRoute}]`, []string{
			"Gateway web/gw listener http ResolvedRefs=False/InvalidRouteKinds",
			"Gateway web/gw listener http Programmed=False/Invalid",
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rep, ps := statusOf(t, doc(tt.kinds), Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}})
			if (ps.Err() != nil) != tt.err {
				t.Errorf("problems %v, want errors: %v", ps, tt.err)
			}
			lines := flatReport(rep)
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("want %q in\n%s", w, strings.Join(lines, "\n"))
				}
			}
		})
	}
}
