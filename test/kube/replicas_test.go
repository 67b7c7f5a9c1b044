package kube

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/corsgate/corsgate/internal/testutil"
)

const leaderLog = "elected leader: this replica writes status"

// TestTwoReplicas: two controller processes serve the same Gateway; only
// the Lease holder writes status; SIGKILL of the leader moves leadership
// to the other replica, which keeps status up to date.
func TestTwoReplicas(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	be := startBackend(t, "ha")
	apply(t, ctx, render(t, gatewayYAML, gwData{"ha", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "ha", NS: "default", Port: be.port, Ready: true}))
	rd := routeData{Name: "ha", NS: "default", Gateway: "ha-gw", Path: "/ha", Service: "ha"}
	route := apply(t, ctx, render(t, routeYAML, rd))

	a := startReplica(t, "a", "ha", 0)
	b := startReplica(t, "b", "ha", testutil.FreePort(t)-port)
	for _, r := range []*replica{a, b} {
		url := r.url("http", port, "/ha")
		eventually(t, 20*time.Second, func() error {
			return expectCORS("GET", url, "https://app.example.com", 200, "https://app.example.com")
		})
	}
	routeReason(t, ctx, route[0], "ha-gw", "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs")

	var leader, follower *replica
	eventually(t, 20*time.Second, func() error {
		la, lb := strings.Contains(a.out.String(), leaderLog), strings.Contains(b.out.String(), leaderLog)
		switch {
		case la && lb:
			return errStop(fmt.Errorf("both replicas say they lead"))
		case la:
			leader, follower = a, b
		case lb:
			leader, follower = b, a
		default:
			return fmt.Errorf("no replica leads yet")
		}
		return nil
	})
	t.Logf("leader: replica %s", leader.name)
	eventually(t, 10*time.Second, func() error { return statusWriters(ctx, route[0], leader, true) })

	leader.stop(syscall.SIGKILL) // no Lease release: the other waits it out
	eventually(t, 30*time.Second, func() error {
		if !strings.Contains(follower.out.String(), leaderLog) {
			return fmt.Errorf("replica %s has not taken over", follower.name)
		}
		return nil
	})
	rd.Service = "missing"
	apply(t, ctx, render(t, routeYAML, rd))
	routeReason(t, ctx, route[0], "ha-gw", "ResolvedRefs", metav1.ConditionFalse, "BackendNotFound")
	eventually(t, 10*time.Second, func() error { return statusWriters(ctx, route[0], follower, false) })
}

// statusWriters checks from managedFields (which name the writer by the
// replica's user agent) that r wrote the route's status, and with only
// that nobody else did.
func statusWriters(ctx context.Context, route *unstructured.Unstructured, r *replica, only bool) error {
	u, err := get(ctx, route)
	if err != nil {
		return err
	}
	want := "corsgate-replica-" + r.name
	var managers []string
	for _, mf := range u.GetManagedFields() {
		if mf.Subresource == "status" {
			managers = append(managers, mf.Manager)
		}
	}
	if !slices.Contains(managers, want) || (only && len(managers) != 1) {
		return fmt.Errorf("status of %s written by %v, want %s (only: %v)", route.GetName(), managers, want, only)
	}
	return nil
}

// TestSecretRotation: an HTTPS listener serves the certificate of its
// Secret; replacing the Secret's data switches new connections to the new
// certificate without a restart.
func TestSecretRotation(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	be := startBackend(t, "tls")
	certA, keyA := testutil.SelfSigned(t, 1, "secure.example.com")
	certB, keyB := testutil.SelfSigned(t, 2, "secure.example.com")
	secret := func(cert, key []byte) string {
		return fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: secure-cert, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: %s, tls.key: %s}
`, base64.StdEncoding.EncodeToString(cert), base64.StdEncoding.EncodeToString(key))
	}
	apply(t, ctx, secret(certA, keyA))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "tls", NS: "default", Port: be.port, Ready: true}))
	apply(t, ctx, fmt.Sprintf(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: tls}
spec: {controllerName: corsgate.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tls-gw, namespace: default}
spec:
  gatewayClassName: tls
  listeners:
  - name: https
    port: %d
    protocol: HTTPS
    hostname: secure.example.com
    tls: {mode: Terminate, certificateRefs: [{name: secure-cert}]}
`, port))
	apply(t, ctx, render(t, routeYAML, routeData{Name: "tls", NS: "default", Gateway: "tls-gw", Path: "/", Service: "tls"}))
	startReplica(t, "a", "tls", 0)

	serial := func() (int64, error) {
		conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{
			ServerName: "secure.example.com", InsecureSkipVerify: true, //nolint:gosec // we read the served certificate
		})
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
	}
	want := func(n int64) func() error {
		return func() error {
			got, err := serial()
			if err != nil {
				return err
			}
			if got != n {
				return fmt.Errorf("served certificate serial %d, want %d", got, n)
			}
			return nil
		}
	}
	eventually(t, 20*time.Second, want(1))
	apply(t, ctx, secret(certB, keyB))
	eventually(t, 20*time.Second, want(2))
}

// TestForeignCRDInstalledLater: a replica started before the kgateway CRD
// exists logs it once as missing; once the CRD is installed, a
// TrafficPolicy is read and enforced without a restart.
func TestForeignCRDInstalledLater(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	be := startBackend(t, "kg")
	apply(t, ctx, render(t, gatewayYAML, gwData{"foreign", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "kg", NS: "default", Port: be.port, Ready: true}))
	apply(t, ctx, render(t, plainRouteYAML, routeData{Name: "kg", Gateway: "foreign-gw", Path: "/kg", Service: "kg"}))
	r := startReplica(t, "a", "foreign", 0)
	url := r.url("http", port, "/kg")
	eventually(t, 10*time.Second, func() error { return expectStatus(url, 200) })
	if !strings.Contains(r.out.String(), "trafficpolicies.gateway.kgateway.dev") {
		t.Fatalf("the missing TrafficPolicy CRD was not logged:\n%s", r.out.Tail(40))
	}

	crd, _ := ensureCRD(t, ctx, "gateway.kgateway.dev_trafficpolicies.yaml")
	t.Cleanup(func() { removeCRD(t, crd) })
	eventually(t, 30*time.Second, func() error {
		return applyOne(ctx, objects(t, `
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: kg-cors, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: kg}]
  cors: {allowOrigins: ["https://kg.example.com"], allowMethods: [GET]}
`)[0])
	})
	eventually(t, 20*time.Second, func() error {
		return expectCORS("GET", url, "https://kg.example.com", 200, "https://kg.example.com")
	})
	// The Gateway API policy status, as kgateway writes it: one ancestor
	// per targetRef, with corsgate's controllerName.
	eventually(t, 20*time.Second, func() error {
		tp := objects(t, "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: kg-cors}\n")[0]
		u, err := get(ctx, tp)
		if err != nil {
			return err
		}
		ancestors, _, _ := unstructured.NestedSlice(u.Object, "status", "ancestors")
		for _, a := range ancestors {
			m, _ := a.(map[string]any)
			ref, _ := m["ancestorRef"].(map[string]any)
			if m["controllerName"] != "corsgate.dev/gateway-controller" || ref["name"] != "kg" {
				continue
			}
			conds, err := conditionsAt(m, "conditions")
			if err != nil {
				return err
			}
			return wantCondition(conds, "Accepted", metav1.ConditionTrue, "Accepted")
		}
		return fmt.Errorf("TrafficPolicy status.ancestors has no corsgate entry for route kg: %v", ancestors)
	})
}
