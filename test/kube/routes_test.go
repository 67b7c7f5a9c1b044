package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/corsgate/corsgate/internal/testutil"
)

const gatewayYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: {{.Class}}}
spec: {controllerName: corsgate.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: {{.Class}}-gw, namespace: default}
spec:
  gatewayClassName: {{.Class}}
  listeners:
  - name: http
    port: {{.Port}}
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}}
`

const routeYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: {{.Name}}, namespace: {{.NS}}}
spec:
  parentRefs: [{name: {{.Gateway}}, namespace: default{{if .Section}}, sectionName: {{.Section}}{{end}}}]
  rules:
  - matches: [{path: {type: PathPrefix, value: {{.Path}}}}]
    filters:
    - type: CORS
      cors:
        allowOrigins: ["https://app.example.com"]
        allowMethods: [GET, PUT]
        allowHeaders: [Content-Type]
        maxAge: 600
    backendRefs: [{name: {{.Service}}, port: 80{{if .ServiceNS}}, namespace: {{.ServiceNS}}{{end}}}]
`

type gwData struct {
	Class string
	Port  int
}

type routeData struct {
	Name, NS, Gateway, Section, Path, Service, ServiceNS string
}

func gatewayConds(ctx context.Context, name string) ([]metav1.Condition, map[string]any, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("gateway.networking.k8s.io/v1")
	u.SetKind("Gateway")
	u.SetNamespace("default")
	u.SetName(name)
	u, err := get(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	conds, err := conditionsAt(u.Object, "status", "conditions")
	if err != nil {
		return nil, nil, err
	}
	ls, _, _ := unstructured.NestedSlice(u.Object, "status", "listeners")
	if len(ls) == 0 {
		return conds, nil, fmt.Errorf("gateway %s has no listener status", name)
	}
	l, _ := ls[0].(map[string]any)
	return conds, l, nil
}

// TestRouteLifecycle: a route to a Service (EndpointSlice on 127.0.0.1)
// is accepted with the standard conditions and serves CORS; it is then
// detached, pointed at a missing Service, at another namespace with and
// without a ReferenceGrant, left without ready endpoints, and deleted.
func TestRouteLifecycle(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	pets := startBackend(t, "pets")
	apply(t, ctx, render(t, gatewayYAML, gwData{"lifecycle", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "pets", NS: "default", Port: pets.port, Ready: true}))
	rd := routeData{Name: "pets", NS: "default", Gateway: "lifecycle-gw", Path: "/pets", Service: "pets"}
	route := apply(t, ctx, render(t, routeYAML, rd))
	lb := apply(t, ctx, `
apiVersion: v1
kind: Service
metadata: {name: lifecycle-lb, namespace: default}
spec:
  ports: [{name: http, port: 80, protocol: TCP}]
`)
	r := startReplica(t, "a", "lifecycle", 0, "--address-service", "default/lifecycle-lb")

	eventually(t, 20*time.Second, func() error {
		gc := objects(t, "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: lifecycle}\n")[0]
		u, err := get(ctx, gc)
		if err != nil {
			return err
		}
		conds, err := conditionsAt(u.Object, "status", "conditions")
		if err != nil {
			return err
		}
		return wantCondition(conds, "Accepted", metav1.ConditionTrue, "Accepted")
	})
	eventually(t, 20*time.Second, func() error {
		conds, l, err := gatewayConds(ctx, "lifecycle-gw")
		if err != nil {
			return err
		}
		for _, typ := range []string{"Accepted", "Programmed"} {
			if err := wantCondition(conds, typ, metav1.ConditionTrue, typ); err != nil {
				return err
			}
		}
		if n, _, _ := unstructured.NestedInt64(l, "attachedRoutes"); n != 1 {
			return fmt.Errorf("attachedRoutes %d, want 1", n)
		}
		if err := wantAddress(ctx, "lifecycle-gw", lb[0]); err != nil {
			return err
		}
		rc, err := routeParentConditions(ctx, route[0], "lifecycle-gw")
		if err != nil {
			return err
		}
		if err := wantCondition(rc, "Accepted", metav1.ConditionTrue, "Accepted"); err != nil {
			return err
		}
		return wantCondition(rc, "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs")
	})
	url := r.url("http", port, "/pets/1")
	eventually(t, 10*time.Second, func() error {
		return expectCORS("OPTIONS", url, "https://app.example.com", 204, "https://app.example.com",
			"Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type")
	})
	if err := expectCORS("GET", url, "https://app.example.com", 200, "https://app.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := expectCORS("GET", url, "https://evil.example", 200, ""); err != nil {
		t.Fatal(err)
	}

	t.Run("detach", func(t *testing.T) {
		rd := rd
		rd.Section = "nope"
		apply(t, ctx, render(t, routeYAML, rd))
		routeReason(t, ctx, route[0], "lifecycle-gw", "Accepted", metav1.ConditionFalse, "NoMatchingParent")
		eventually(t, 10*time.Second, func() error { return expectStatus(url, 404) })
		apply(t, ctx, render(t, routeYAML, routeData{Name: "pets", NS: "default", Gateway: "lifecycle-gw", Path: "/pets", Service: "pets"}))
		eventually(t, 10*time.Second, func() error { return expectStatus(url, 200) })
	})
	t.Run("backend not found", func(t *testing.T) {
		rd := rd
		rd.Name, rd.Path, rd.Service = "ghost", "/ghost", "ghost"
		ghost := apply(t, ctx, render(t, routeYAML, rd))
		routeReason(t, ctx, ghost[0], "lifecycle-gw", "ResolvedRefs", metav1.ConditionFalse, "BackendNotFound")
		remove(t, ctx, ghost)
	})
	t.Run("cross namespace", func(t *testing.T) {
		apply(t, ctx, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}`)
		apply(t, ctx, render(t, serviceYAML, svcData{Name: "cats", NS: "other", Port: pets.port, Ready: true}))
		rd := rd
		rd.Name, rd.Path, rd.Service, rd.ServiceNS = "cats", "/cats", "cats", "other"
		cats := apply(t, ctx, render(t, routeYAML, rd))
		routeReason(t, ctx, cats[0], "lifecycle-gw", "ResolvedRefs", metav1.ConditionFalse, "RefNotPermitted")
		catsURL := r.url("http", port, "/cats")
		grant := apply(t, ctx, `
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: routes-to-cats, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service}]
`)
		routeReason(t, ctx, cats[0], "lifecycle-gw", "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs")
		eventually(t, 10*time.Second, func() error { return expectStatus(catsURL, 200) })
		remove(t, ctx, grant)
		routeReason(t, ctx, cats[0], "lifecycle-gw", "ResolvedRefs", metav1.ConditionFalse, "RefNotPermitted")
		remove(t, ctx, cats)
	})
	t.Run("no ready endpoints", func(t *testing.T) {
		apply(t, ctx, render(t, serviceYAML, svcData{Name: "pets", NS: "default", Port: pets.port, Ready: false}))
		eventually(t, 10*time.Second, func() error {
			return expectCORS("GET", url, "https://app.example.com", 503, "https://app.example.com")
		})
		apply(t, ctx, render(t, serviceYAML, svcData{Name: "pets", NS: "default", Port: pets.port, Ready: true}))
		eventually(t, 10*time.Second, func() error { return expectStatus(url, 200) })
	})
	t.Run("delete", func(t *testing.T) {
		remove(t, ctx, route)
		eventually(t, 10*time.Second, func() error { return expectStatus(url, 404) })
		eventually(t, 10*time.Second, func() error {
			_, l, err := gatewayConds(ctx, "lifecycle-gw")
			if err != nil {
				return err
			}
			if n, _, _ := unstructured.NestedInt64(l, "attachedRoutes"); n != 0 {
				return fmt.Errorf("attachedRoutes %d, want 0", n)
			}
			return nil
		})
	})
}

// routeReason waits until corsgate's status for parent gw on route has
// condition typ with status and reason, and checks the message is a
// sentence that says what to do.
func routeReason(t *testing.T, ctx context.Context, route *unstructured.Unstructured, gw, typ string,
	status metav1.ConditionStatus, reason string) {
	t.Helper()
	eventually(t, 20*time.Second, func() error {
		conds, err := routeParentConditions(ctx, route, gw)
		if err != nil {
			return err
		}
		if err := wantCondition(conds, typ, status, reason); err != nil {
			return err
		}
		for _, c := range conds {
			if strings.TrimSpace(c.Message) == "" {
				return fmt.Errorf("condition %s has no message", c.Type)
			}
		}
		return nil
	})
}

func expectStatus(url string, want int) error {
	res, body, err := request("GET", url)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("GET %s: %d, want %d (%.200s)", url, res.StatusCode, want, body)
	}
	return nil
}

// wantAddress checks Gateway gw's status.addresses holds the cluster IP of
// Service svc (the --address-service of the replica).
func wantAddress(ctx context.Context, gw string, svc *unstructured.Unstructured) error {
	s, err := get(ctx, svc)
	if err != nil {
		return err
	}
	ip, _, _ := unstructured.NestedString(s.Object, "spec", "clusterIP")
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("gateway.networking.k8s.io/v1")
	u.SetKind("Gateway")
	u.SetNamespace("default")
	u.SetName(gw)
	if u, err = get(ctx, u); err != nil {
		return err
	}
	addrs, _, _ := unstructured.NestedSlice(u.Object, "status", "addresses")
	for _, a := range addrs {
		if m, _ := a.(map[string]any); m["value"] == ip && m["type"] == "IPAddress" {
			return nil
		}
	}
	return fmt.Errorf("gateway %s status.addresses %v, want the cluster IP %s of Service %s", gw, addrs, ip, svc.GetName())
}

// TestBurstBuildsOneSnapshot: thirty routes applied in a burst are
// debounced into a few snapshots, not thirty, and all of them serve.
func TestBurstBuildsOneSnapshot(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	be := startBackend(t, "burst")
	apply(t, ctx, render(t, gatewayYAML, gwData{"burst", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "burst", NS: "default", Port: be.port, Ready: true}))
	r := startReplica(t, "a", "burst", 0, "--debounce", "500ms")
	before := attempts(t, r)
	const n = 30
	var docs strings.Builder
	for i := range n {
		docs.WriteString("---\n" + render(t, routeYAML, routeData{Name: fmt.Sprintf("burst-%d", i), NS: "default",
			Gateway: "burst-gw", Path: fmt.Sprintf("/b%d", i), Service: "burst"}))
	}
	apply(t, ctx, docs.String())
	for i := range n {
		url := r.url("http", port, fmt.Sprintf("/b%d", i))
		eventually(t, 20*time.Second, func() error { return expectStatus(url, 200) })
	}
	if got := attempts(t, r) - before; got < 1 || got > 3 {
		t.Fatalf("%d routes applied in a burst built %d snapshots, want 1 to 3", n, got)
	}
}

// attempts reads how many snapshots the replica has built (admin /config).
func attempts(t *testing.T, r *replica) int {
	t.Helper()
	res, body, err := request("GET", "http://"+r.admin+"/config")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /config: %v %v", res, err)
	}
	var cfg struct {
		Reload struct {
			Attempts int `json:"attempts"`
		} `json:"reload"`
	}
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatalf("/config: %v", err)
	}
	return cfg.Reload.Attempts
}
