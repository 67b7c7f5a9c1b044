package kube

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/corsgate/corsgate/internal/testutil"
)

// TestValidation: the API server enforces the CRDs' CEL rules (objects
// are refused before corsgate sees them); an object that passes CEL but
// fails corsgate's own validation is reported in its status and left out
// while the rest keeps serving; reflecting any origin with credentials is
// accepted (the Gateway API demands it) with a warning condition.
func TestValidation(t *testing.T) {
	ctx := needCluster(t)

	t.Run("CEL refuses", func(t *testing.T) {
		for name, tc := range map[string]struct{ doc, msg string }{
			"gateway api CORS filter": {`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cel-route, namespace: default}
spec:
  rules:
  - filters:
    - type: CORS
      cors: {allowOrigins: ["https://a.example.com"], allowMethods: ["*", "GET"]}
`, "AllowMethods cannot contain '*' alongside other methods"},
			"corsgate policy any origin with credentials": {`
apiVersion: corsgate.dev/v1alpha1
kind: CORSPolicy
metadata: {name: cel-policy, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: any}]
  allowOrigins: ["*"]
  allowCredentials: true
`, "dangerouslyAllowAnyOriginWithCredentials"},
		} {
			u := objects(t, tc.doc)[0]
			err := applyOne(ctx, u)
			if err == nil {
				t.Errorf("%s: the API server accepted an object its CRD's CEL rules must refuse", name)
				continue
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s: refused with %q, want the message to contain %q", name, err, tc.msg)
			}
		}
	})

	port := testutil.FreePort(t)
	be := startBackend(t, "v")
	apply(t, ctx, render(t, gatewayYAML, gwData{"validation", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "v", NS: "default", Port: be.port, Ready: true}))
	good := apply(t, ctx, render(t, routeYAML, routeData{Name: "good", NS: "default", Gateway: "validation-gw", Path: "/good", Service: "v"}))
	bad := apply(t, ctx, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: default}
spec:
  parentRefs: [{name: validation-gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /bad}}]
    filters:
    - type: CORS
      cors: {allowOrigins: ["https://app.example.com:99999"]}
    backendRefs: [{name: v, port: 80}]
`)
	risky := apply(t, ctx, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: risky, namespace: default}
spec:
  parentRefs: [{name: validation-gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /risky}}]
    filters:
    - type: CORS
      cors: {allowOrigins: ["*"], allowCredentials: true}
    backendRefs: [{name: v, port: 80}]
`)
	r := startReplica(t, "a", "validation", 0)

	t.Run("corsgate refuses, the rest serves", func(t *testing.T) {
		routeReason(t, ctx, bad[0], "validation-gw", "Accepted", metav1.ConditionFalse, "UnsupportedValue")
		conds, err := routeParentConditions(ctx, bad[0], "validation-gw")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conds {
			if c.Type == "Accepted" && !strings.Contains(c.Message, "99999") {
				t.Errorf("Accepted message %q does not name the bad origin", c.Message)
			}
		}
		routeReason(t, ctx, good[0], "validation-gw", "Accepted", metav1.ConditionTrue, "Accepted")
		eventually(t, 10*time.Second, func() error {
			return expectCORS("GET", r.url("http", port, "/good"), "https://app.example.com", 200, "https://app.example.com")
		})
		if err := expectStatus(r.url("http", port, "/bad"), 404); err != nil {
			t.Error("the invalid route must be left out:", err)
		}
	})
	t.Run("any origin with credentials is accepted with a warning", func(t *testing.T) {
		routeReason(t, ctx, risky[0], "validation-gw", "Accepted", metav1.ConditionTrue, "Accepted")
		routeReason(t, ctx, risky[0], "validation-gw", "corsgate.dev/ReflectsAnyOriginWithCredentials",
			metav1.ConditionTrue, "ReflectsAnyOriginWithCredentials")
	})
}
