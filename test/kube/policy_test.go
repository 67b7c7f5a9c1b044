package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/corsgate/corsgate/internal/testutil"
)

// plainRouteYAML routes to a Service without a CORS filter of its own.
const plainRouteYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: {{.Name}}, namespace: default}
spec:
  parentRefs: [{name: {{.Gateway}}}]
  rules:
  - matches: [{path: {type: PathPrefix, value: {{.Path}}}}]
    backendRefs: [{name: {{.Service}}, port: 80}]
`

const policyYAML = `
apiVersion: corsgate.dev/v1alpha1
kind: CORSPolicy
metadata: {name: {{.Name}}, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: {{.Kind}}, name: {{.Target}}}]
  allowOrigins: [{{.Origin}}]
  allowMethods: [GET, POST]
`

type policyData struct{ Name, Kind, Target, Origin string }

func policyConds(ctx context.Context, name string) ([]metav1.Condition, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("corsgate.dev/v1alpha1")
	u.SetKind("CORSPolicy")
	u.SetNamespace("default")
	u.SetName(name)
	u, err := get(ctx, u)
	if err != nil {
		return nil, err
	}
	return conditionsAt(u.Object, "status", "conditions")
}

func policyReason(t *testing.T, ctx context.Context, name, typ string, status metav1.ConditionStatus, reason, mention string) {
	t.Helper()
	eventually(t, 20*time.Second, func() error {
		conds, err := policyConds(ctx, name)
		if err != nil {
			return err
		}
		if err := wantCondition(conds, typ, status, reason); err != nil {
			return err
		}
		for _, c := range conds {
			if c.Type == typ && !strings.Contains(c.Message, mention) {
				return fmt.Errorf("CORSPolicy %s %s message %q does not mention %q", name, typ, c.Message, mention)
			}
		}
		return nil
	})
}

// TestPolicyLifecycle: a CORSPolicy attached to a Gateway is accepted and
// answers for a route without a filter; it is changed, conflicted by a
// second policy at the same level, overridden by a route-level policy,
// pointed at a missing target and deleted.
func TestPolicyLifecycle(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	be := startBackend(t, "orders")
	apply(t, ctx, render(t, gatewayYAML, gwData{"policies", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "orders", NS: "default", Port: be.port, Ready: true}))
	apply(t, ctx, render(t, plainRouteYAML, routeData{Name: "orders", Gateway: "policies-gw", Path: "/orders", Service: "orders"}))
	r := startReplica(t, "a", "policies", 0)
	url := r.url("http", port, "/orders")

	gwPolicy := apply(t, ctx, render(t, policyYAML, policyData{"site", "Gateway", "policies-gw", "https://one.example.com"}))
	policyReason(t, ctx, "site", "Accepted", metav1.ConditionTrue, "Accepted", "")
	eventually(t, 10*time.Second, func() error {
		return expectCORS("GET", url, "https://one.example.com", 200, "https://one.example.com")
	})

	t.Run("changed", func(t *testing.T) {
		apply(t, ctx, render(t, policyYAML, policyData{"site", "Gateway", "policies-gw", "https://two.example.com"}))
		eventually(t, 10*time.Second, func() error {
			return expectCORS("GET", url, "https://two.example.com", 200, "https://two.example.com")
		})
		if err := expectCORS("GET", url, "https://one.example.com", 200, ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("conflicted", func(t *testing.T) {
		// Same level, created later: the older policy wins (Gateway API
		// conflict resolution), the newer one says so.
		second := apply(t, ctx, render(t, policyYAML, policyData{"site-2", "Gateway", "policies-gw", "https://three.example.com"}))
		policyReason(t, ctx, "site-2", "Accepted", metav1.ConditionFalse, "Conflicted", "site")
		if err := expectCORS("GET", url, "https://two.example.com", 200, "https://two.example.com"); err != nil {
			t.Fatal(err)
		}
		remove(t, ctx, second)
	})
	t.Run("overridden", func(t *testing.T) {
		route := apply(t, ctx, render(t, policyYAML, policyData{"orders-only", "HTTPRoute", "orders", "https://four.example.com"}))
		policyReason(t, ctx, "site", "Overridden", metav1.ConditionTrue, "Overridden", "orders-only")
		eventually(t, 10*time.Second, func() error {
			return expectCORS("GET", url, "https://four.example.com", 200, "https://four.example.com")
		})
		remove(t, ctx, route)
		policyReason(t, ctx, "site", "Overridden", metav1.ConditionFalse, "", "")
	})
	t.Run("target not found", func(t *testing.T) {
		lost := apply(t, ctx, render(t, policyYAML, policyData{"lost", "HTTPRoute", "no-such-route", "https://five.example.com"}))
		policyReason(t, ctx, "lost", "Accepted", metav1.ConditionFalse, "TargetNotFound", "no-such-route")
		remove(t, ctx, lost)
	})
	t.Run("deleted", func(t *testing.T) {
		remove(t, ctx, gwPolicy)
		// No policy is left: the route answers without any CORS header.
		eventually(t, 10*time.Second, func() error {
			res, _, err := request("GET", url, "Origin: https://two.example.com")
			if err != nil {
				return err
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); res.StatusCode != 200 || got != "" {
				return fmt.Errorf("after delete: %d ACAO %q, want 200 without ACAO", res.StatusCode, got)
			}
			return nil
		})
	})
}
