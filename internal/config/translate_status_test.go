package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/ir"
)

// statusOf decodes doc and runs TranslateStatus.
func statusOf(t *testing.T, doc string, opts Options) (*ir.Snapshot, *Report, Problems) {
	t.Helper()
	objs, ps := Decode("in.yaml", []byte(doc))
	if ps.Err() != nil {
		t.Fatalf("decode: %v", ps)
	}
	return TranslateStatus(&Resources{Objects: objs}, opts)
}

// flatReport renders a report as one line per condition:
//
//	Kind ns/name [listener L | parent P] Type=Status/Reason
//
// plus "Kind ns/name listener L attached=N" lines and generations.
func flatReport(r *Report) []string {
	var out []string
	for _, g := range r.Gateways {
		id := fmt.Sprintf("%s %s/%s", g.Key.Kind, g.Key.Namespace, g.Key.Name)
		for _, c := range g.Conditions {
			out = append(out, fmt.Sprintf("%s %s=%s/%s", id, c.Type, c.Status, c.Reason))
			out = append(out, fmt.Sprintf("%s %s gen=%d", id, c.Type, c.ObservedGeneration))
		}
		for _, l := range g.Listeners {
			out = append(out, fmt.Sprintf("%s listener %s attached=%d kinds=%d", id, l.Name, l.AttachedRoutes, len(l.SupportedKinds)))
			for _, c := range l.Conditions {
				out = append(out, fmt.Sprintf("%s listener %s %s=%s/%s", id, l.Name, c.Type, c.Status, c.Reason))
			}
		}
	}
	for _, rt := range r.Routes {
		id := fmt.Sprintf("%s %s/%s", rt.Key.Kind, rt.Key.Namespace, rt.Key.Name)
		for _, p := range rt.Parents {
			pid := string(p.ParentRef.Name)
			if p.ParentRef.SectionName != nil {
				pid += "/" + string(*p.ParentRef.SectionName)
			}
			if p.ControllerName != ControllerName {
				out = append(out, id+" wrong controllerName "+string(p.ControllerName))
			}
			for _, c := range p.Conditions {
				out = append(out, fmt.Sprintf("%s parent %s %s=%s/%s", id, pid, c.Type, c.Status, c.Reason))
			}
		}
	}
	for _, p := range r.Policies {
		id := fmt.Sprintf("%s.%s %s/%s", p.Key.Kind, p.Key.Group, p.Key.Namespace, p.Key.Name)
		for _, c := range p.Conditions {
			out = append(out, fmt.Sprintf("%s %s=%s/%s", id, c.Type, c.Status, c.Reason))
		}
	}
	return out
}

// messages returns every condition message of the report.
func messages(r *Report) []string {
	var out []string
	for _, g := range r.Gateways {
		for _, c := range g.Conditions {
			out = append(out, c.Message)
		}
		for _, l := range g.Listeners {
			for _, c := range l.Conditions {
				out = append(out, c.Message)
			}
		}
	}
	for _, rt := range r.Routes {
		for _, p := range rt.Parents {
			for _, c := range p.Conditions {
				out = append(out, c.Message)
			}
		}
	}
	for _, p := range r.Policies {
		for _, c := range p.Conditions {
			out = append(out, c.Message)
		}
	}
	return out
}

const (
	gwHTTP = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web, generation: 3}
spec:
  gatewayClassName: corsgate
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - {name: other, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
`
	backendPets = `
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: pets, namespace: web}
spec:
  endpoints:
  - ip: {address: 127.0.0.1, port: 9000}
`
)

// route renders an HTTPRoute in namespace web (or ns) named name.
func route(ns, name, parents, rest string) string {
	return fmt.Sprintf(`
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: %s, generation: 2}
spec:
  parentRefs: %s
%s`, name, ns, parents, rest)
}

const petsRule = `  rules:
  - backendRefs: [{group: corsgate.dev, kind: Backend, name: pets}]
`

// statusCase is a configuration and condition lines (see flatReport) its
// report must (want) and must not (not) contain.
type statusCase struct {
	name string
	doc  string
	opts Options
	want []string
	not  []string
}

var k8sOpts = Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}}

var statusCases = []statusCase{{
	name: "accepted route and gateway",
	doc:  gwHTTP + backendPets + route("web", "r", "[{name: gw, sectionName: http}]", "  hostnames: [api.example.com]\n"+petsRule),
	opts: k8sOpts,
	want: []string{
		"Gateway web/gw Accepted=True/Accepted", "Gateway web/gw Programmed=True/Programmed",
		"Gateway web/gw Accepted gen=3",
		"Gateway web/gw listener http attached=1 kinds=1", "Gateway web/gw listener other attached=0 kinds=1",
		"Gateway web/gw listener http Accepted=True/Accepted", "Gateway web/gw listener http ResolvedRefs=True/ResolvedRefs",
		"Gateway web/gw listener http Conflicted=False/NoConflicts", "Gateway web/gw listener http Programmed=True/Programmed",
		"HTTPRoute web/r parent gw/http Accepted=True/Accepted", "HTTPRoute web/r parent gw/http ResolvedRefs=True/ResolvedRefs",
	},
}, {
	name: "no matching listener hostname",
	doc:  gwHTTP + backendPets + route("web", "r", "[{name: gw, sectionName: http}]", "  hostnames: [api.other.org]\n"+petsRule),
	opts: k8sOpts,
	want: []string{"HTTPRoute web/r parent gw/http Accepted=False/NoMatchingListenerHostname", "Gateway web/gw listener http attached=0 kinds=1"},
}, {
	name: "not allowed by listeners",
	doc:  gwHTTP + route("shop", "r", "[{name: gw, namespace: web, sectionName: http}]", petsRule),
	opts: k8sOpts,
	want: []string{"HTTPRoute shop/r parent gw/http Accepted=False/NotAllowedByListeners"},
}, {
	name: "no matching parent",
	doc:  gwHTTP + backendPets + route("web", "r", "[{name: gw, sectionName: nope}, {name: gw, sectionName: other}]", petsRule),
	opts: k8sOpts,
	want: []string{
		"HTTPRoute web/r parent gw/nope Accepted=False/NoMatchingParent",
		"HTTPRoute web/r parent gw/other Accepted=True/Accepted", // the other parent still serves
		"Gateway web/gw listener other attached=1 kinds=1",
	},
}, {
	name: "invalid CORS filter: route out, other routes serve",
	doc: gwHTTP + backendPets + route("web", "bad", "[{name: gw, sectionName: other}]", `  rules:
  - filters:
    - type: CORS
      cors: {allowOrigins: ["example.com"]}
    backendRefs: [{group: corsgate.dev, kind: Backend, name: pets}]
`) + route("web", "good", "[{name: gw, sectionName: other}]", petsRule),
	opts: k8sOpts,
	want: []string{
		"HTTPRoute web/bad parent gw/other Accepted=False/UnsupportedValue",
		"HTTPRoute web/good parent gw/other Accepted=True/Accepted",
		"Gateway web/gw listener other attached=1 kinds=1",
	},
}, {
	name: "reflects any origin with credentials",
	doc: gwHTTP + backendPets + route("web", "r", "[{name: gw, sectionName: other}]", `  rules:
  - filters:
    - type: CORS
      cors: {allowOrigins: ["*"], allowCredentials: true}
    backendRefs: [{group: corsgate.dev, kind: Backend, name: pets}]
`),
	opts: k8sOpts,
	want: []string{
		"HTTPRoute web/r parent gw/other Accepted=True/Accepted",
		"HTTPRoute web/r parent gw/other corsgate.dev/ReflectsAnyOriginWithCredentials=True/ReflectsAnyOriginWithCredentials",
	},
}, {
	name: "backend not found, invalid kind",
	doc: gwHTTP + route("web", "r", "[{name: gw, sectionName: other}]", `  rules:
  - backendRefs: [{name: missing, port: 80}]
`) + route("web", "k", "[{name: gw, sectionName: other}]", `  rules:
  - backendRefs: [{group: example.com, kind: Thing, name: x}]
`),
	opts: k8sOpts,
	want: []string{
		"HTTPRoute web/r parent gw/other Accepted=True/Accepted",
		"HTTPRoute web/r parent gw/other ResolvedRefs=False/BackendNotFound",
		"HTTPRoute web/k parent gw/other ResolvedRefs=False/InvalidKind",
	},
}, {
	name: "other classes and other parents are not reported",
	doc: gwHTTP + `
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: istio, namespace: web}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
` + backendPets + route("web", "r", "[{name: gw, sectionName: other}, {name: istio}, {kind: Service, group: \"\", name: mesh}]", petsRule) +
		route("web", "theirs", "[{name: istio}]", "  rules:\n  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]\n"),
	opts: k8sOpts,
	want: []string{"HTTPRoute web/r parent gw/other Accepted=True/Accepted"},
	not:  []string{"Gateway web/istio", "parent istio", "parent mesh", "HTTPRoute web/theirs"},
}, {
	name: "listener reasons",
	doc: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners:
  - {name: a, port: 80, protocol: HTTP}
  - {name: b, port: 80, protocol: HTTP}
  - {name: c, port: 80, protocol: HTTPS, hostname: c.example.com, tls: {certificateRefs: [{name: missing}]}}
  - {name: d, port: 81, protocol: TCP}
  - {name: e, port: 82, protocol: HTTPS, tls: {certificateRefs: [{name: cert, namespace: certs}]}}
  - {name: f, port: 83, protocol: HTTP, allowedRoutes: {kinds: [{kind: GRPCRoute}]}}
`,
	opts: k8sOpts,
	want: []string{
		"Gateway web/gw Accepted=True/Accepted",
		"Gateway web/gw listener a Conflicted=False/NoConflicts",
		"Gateway web/gw listener b Conflicted=True/HostnameConflict", "Gateway web/gw listener b Programmed=False/Invalid",
		"Gateway web/gw listener c ResolvedRefs=False/InvalidCertificateRef",
		"Gateway web/gw listener d Accepted=False/UnsupportedProtocol",
		"Gateway web/gw listener e ResolvedRefs=False/RefNotPermitted",
		"Gateway web/gw listener f ResolvedRefs=False/InvalidRouteKinds", "Gateway web/gw listener f attached=0 kinds=0",
	},
}, {
	name: "protocol conflict and no valid listener",
	doc: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners: [{name: a, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw2, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners: [{name: a, port: 80, protocol: HTTPS, tls: {certificateRefs: [{name: c}]}}]
`,
	opts: k8sOpts,
	want: []string{
		"Gateway web/gw2 Accepted=False/ListenersNotValid", "Gateway web/gw2 Programmed=False/Invalid",
		"Gateway web/gw2 listener a ResolvedRefs=False/InvalidCertificateRef",
	},
}, {
	name: "unsupported address",
	doc: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  addresses: [{value: 10.0.0.1}]
  listeners: [{name: a, port: 80, protocol: HTTP}]
`,
	opts: k8sOpts,
	want: []string{"Gateway web/gw Accepted=False/UnsupportedAddress", "Gateway web/gw Programmed=False/Invalid"},
}, {
	name: "standalone mode: backend errors leave the route out",
	doc:  gwHTTP + route("web", "r", "[{name: gw, sectionName: other}]", "  rules:\n  - backendRefs: [{name: svc, port: 80}]\n"),
	opts: Options{},
	want: []string{"HTTPRoute web/r parent gw/other Accepted=False/UnsupportedValue", "HTTPRoute web/r parent gw/other ResolvedRefs=False/InvalidKind"},
}}

func TestStatusReasons(t *testing.T) {
	for _, tt := range statusCases {
		t.Run(tt.name, func(t *testing.T) {
			_, rep, ps := statusOf(t, tt.doc, tt.opts)
			got := flatReport(rep)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, n := range tt.not {
				for _, g := range got {
					if strings.Contains(g, n) {
						t.Errorf("unexpected %q", g)
					}
				}
			}
			for _, m := range messages(rep) {
				if m == "" {
					t.Errorf("empty condition message")
				}
			}
			if t.Failed() {
				t.Logf("report:\n%s\nproblems:\n%v", strings.Join(got, "\n"), ps)
			}
		})
	}
}

const svcObjects = `
---
apiVersion: v1
kind: Service
metadata: {name: pets, namespace: web}
spec:
  ports:
  - {name: http, port: 80, targetPort: web}
  - {port: 81, targetPort: 9081}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: pets-a, namespace: web, labels: {kubernetes.io/service-name: pets}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.0.0.2]
- addresses: [10.0.0.1]
  conditions: {ready: true}
- addresses: [10.0.0.3]
  conditions: {ready: false}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: pets-b, namespace: web, labels: {kubernetes.io/service-name: pets}}
addressType: IPv6
ports: [{name: http, port: 8080}]
endpoints:
- addresses: ["fd00::1"]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: pets-c, namespace: web, labels: {kubernetes.io/service-name: pets}}
addressType: IPv4
ports: [{port: 9081}]
endpoints:
- addresses: [10.0.1.1]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: web}
spec:
  ports: [{name: http, port: 80}]
`

// backendsOf returns "id=endpoints" for every backend of the snapshot.
func backendsOf(snap *ir.Snapshot) []string {
	var out []string
	for _, b := range snap.Backends {
		var eps []string
		for _, e := range b.Endpoints {
			eps = append(eps, e.Address)
		}
		out = append(out, b.ID+"="+strings.Join(eps, ","))
	}
	return out
}

func TestKubernetesBackends(t *testing.T) {
	k8s := Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}}
	grant := `
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: shop-to-web, namespace: web}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service, name: pets}]
`
	rule := func(refs string) string { return "  rules:\n  - backendRefs: " + refs + "\n" }
	tests := []struct {
		name     string
		doc      string
		backends []string
		want     []string
		invalid  string // Route.Invalid of the first route
	}{{
		name:     "ready endpoints, named port, both address families",
		doc:      gwHTTP + svcObjects + route("web", "r", "[{name: gw, sectionName: other}]", rule("[{name: pets, port: 80}]")),
		backends: []string{"web/pets:80=10.0.0.1:8080,10.0.0.2:8080,[fd00::1]:8080"},
		want:     []string{"HTTPRoute web/r parent gw/other ResolvedRefs=True/ResolvedRefs"},
	}, {
		name:     "unnamed slice port: numeric targetPort",
		doc:      gwHTTP + svcObjects + route("web", "r", "[{name: gw, sectionName: other}]", rule("[{name: pets, port: 81}]")),
		backends: []string{"web/pets:81=10.0.1.1:9081"},
	}, {
		name:     "no ready endpoints: a backend without endpoints",
		doc:      gwHTTP + svcObjects + route("web", "r", "[{name: gw, sectionName: other}]", rule("[{name: empty, port: 80}]")),
		backends: []string{"web/empty:80="},
		want:     []string{"HTTPRoute web/r parent gw/other ResolvedRefs=True/ResolvedRefs"},
	}, {
		name:    "unknown port",
		doc:     gwHTTP + svcObjects + route("web", "r", "[{name: gw, sectionName: other}]", rule("[{name: pets, port: 82}]")),
		want:    []string{"HTTPRoute web/r parent gw/other ResolvedRefs=False/BackendNotFound", "HTTPRoute web/r parent gw/other Accepted=True/Accepted"},
		invalid: "no backendRef of the route rule could be resolved; see the HTTPRoute's ResolvedRefs condition",
	}, {
		name:    "cross namespace without ReferenceGrant",
		doc:     gwHTTP + svcObjects + route("shop", "r", "[{name: gw, namespace: web, sectionName: other}]", rule("[{name: pets, namespace: web, port: 80}]")),
		want:    []string{"HTTPRoute shop/r parent gw/other ResolvedRefs=False/RefNotPermitted"},
		invalid: "no backendRef of the route rule could be resolved; see the HTTPRoute's ResolvedRefs condition",
	}, {
		name:     "cross namespace with ReferenceGrant",
		doc:      gwHTTP + svcObjects + grant + route("shop", "r", "[{name: gw, namespace: web, sectionName: other}]", rule("[{name: pets, namespace: web, port: 80}]")),
		backends: []string{"web/pets:80=10.0.0.1:8080,10.0.0.2:8080,[fd00::1]:8080"},
		want:     []string{"HTTPRoute shop/r parent gw/other ResolvedRefs=True/ResolvedRefs"},
	}, {
		name: "ReferenceGrant for another Service does not permit",
		doc: gwHTTP + svcObjects + strings.Replace(grant, "name: pets}", "name: empty}", 1) +
			route("shop", "r", "[{name: gw, namespace: web, sectionName: other}]", rule("[{name: pets, namespace: web, port: 80}]")),
		want:    []string{"HTTPRoute shop/r parent gw/other ResolvedRefs=False/RefNotPermitted"},
		invalid: "no backendRef of the route rule could be resolved; see the HTTPRoute's ResolvedRefs condition",
	}, {
		name:     "corsgate Backend and weights still work",
		doc:      gwHTTP + svcObjects + backendPets + route("web", "r", "[{name: gw, sectionName: other}]", rule("[{group: corsgate.dev, kind: Backend, name: pets, weight: 1}, {name: pets, port: 80, weight: 3}]")),
		backends: []string{"web/pets=127.0.0.1:9000", "web/pets:80=10.0.0.1:8080,10.0.0.2:8080,[fd00::1]:8080"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, rep, ps := statusOf(t, tt.doc, k8s)
			got := flatReport(rep)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q", w)
				}
			}
			if tt.backends != nil && !slices.Equal(backendsOf(snap), tt.backends) {
				t.Errorf("backends = %q, want %q", backendsOf(snap), tt.backends)
			}
			routes := snap.Listeners[len(snap.Listeners)-1].Hosts[0].Routes
			if len(routes) == 0 || routes[0].Invalid != tt.invalid {
				t.Errorf("route invalid = %+v, want %q", routes, tt.invalid)
			}
			if t.Failed() {
				t.Logf("report:\n%s\nproblems:\n%v", strings.Join(got, "\n"), ps)
			}
		})
	}
}

func TestKubernetesObjectsInStandaloneMode(t *testing.T) {
	_, _, ps := statusOf(t, gwHTTP+svcObjects+route("web", "r", "[{name: gw, sectionName: other}]", "  rules:\n  - backendRefs: [{name: pets, port: 80}]\n"), Options{})
	want := `backendRef to Service "pets": standalone mode has no Kubernetes Services`
	if !strings.Contains(ps.Errors().Error(), want) {
		t.Errorf("errors:\n%v\nwant %q", ps.Errors(), want)
	}
	if !strings.Contains(ps.Warnings().Error(), "Service objects are used only by the Kubernetes controller") {
		t.Errorf("no warning that Services are ignored:\n%v", ps.Warnings())
	}
}

func TestListenerCertificateReferenceGrant(t *testing.T) {
	doc := `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners:
  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert, namespace: certs}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: web-certs, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: web}]
  to: [{group: "", kind: Secret}]
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: certs}
type: kubernetes.io/tls
stringData: {tls.crt: "not pem", tls.key: "not pem"}
`
	_, rep, _ := statusOf(t, doc, Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}})
	got := flatReport(rep)
	// The grant lets the Secret be read: the remaining problem is its data.
	want := "Gateway web/gw listener https ResolvedRefs=False/InvalidCertificateRef"
	if !slices.Contains(got, want) {
		t.Errorf("missing %q in\n%s", want, strings.Join(got, "\n"))
	}
	if msgs := strings.Join(messages(rep), "\n"); !strings.Contains(msgs, "do not form a valid PEM certificate") {
		t.Errorf("the grant was not honoured:\n%s", msgs)
	}
}

func TestPortOffsetAndClasses(t *testing.T) {
	doc := gwHTTP + backendPets + route("web", "r", "[{name: gw}]", petsRule) + `
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: internal, namespace: web}
spec:
  gatewayClassName: corsgate-internal
  listeners: [{name: http, port: 9090, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: big, namespace: web}
spec:
  gatewayClassName: corsgate-internal
  listeners: [{name: http, port: 60000, protocol: HTTP}]
`
	snap, rep, _ := statusOf(t, doc, Options{Kubernetes: true, BindHost: "0.0.0.0", PortOffset: 10000,
		GatewayClassNames: []string{"corsgate", "corsgate-internal"}})
	var got []string
	for _, l := range snap.Listeners {
		got = append(got, fmt.Sprintf("%d@%s", l.Port, l.Address))
	}
	want := []string{"80@0.0.0.0:10080", "8080@0.0.0.0:18080", "9090@0.0.0.0:19090"}
	if !slices.Equal(got, want) {
		t.Errorf("listeners = %q, want %q", got, want)
	}
	flat := flatReport(rep)
	for _, w := range []string{"Gateway web/internal Accepted=True/Accepted", "Gateway web/big listener http Accepted=False/PortUnavailable"} {
		if !slices.Contains(flat, w) {
			t.Errorf("missing %q in\n%s", w, strings.Join(flat, "\n"))
		}
	}

	// Only the named classes are served; in Kubernetes mode the others
	// are silently someone else's.
	snap, rep, ps := statusOf(t, doc, Options{Kubernetes: true, GatewayClassNames: []string{"corsgate-internal"}})
	got = nil
	for _, l := range snap.Listeners {
		got = append(got, l.Address)
	}
	if want := []string{":9090", ":60000"}; !slices.Equal(got, want) {
		t.Errorf("listeners = %q, want %q (all interfaces, no offset)", got, want)
	}
	if len(rep.Gateways) != 2 || len(rep.Routes) != 0 || len(ps) != 0 {
		t.Errorf("gateways %d routes %d problems %v; want 2, 0 and none", len(rep.Gateways), len(rep.Routes), ps)
	}
}

func TestPolicyStatus(t *testing.T) {
	policy := func(name, created, targets, rest string) string {
		return fmt.Sprintf(`
---
apiVersion: corsgate.dev/v1alpha1
kind: CORSPolicy
metadata: {name: %s, namespace: web, generation: 5, creationTimestamp: "%s"}
spec:
  targetRefs: %s
  allowOrigins: ["https://app.example.com"]
%s`, name, created, targets, rest)
	}
	gwRef := "[{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]"
	doc := gwHTTP + backendPets +
		route("web", "r", "[{name: gw, sectionName: other}]", petsRule) +
		route("web", "filtered", "[{name: gw, sectionName: other}]", `  hostnames: [f.example.com]
  rules:
  - filters: [{type: CORS, cors: {allowOrigins: ["https://f.example.com"]}}]
    backendRefs: [{group: corsgate.dev, kind: Backend, name: pets}]
`) +
		policy("gw-old", "2024-01-01T00:00:00Z", gwRef, "") +
		policy("gw-new", "2025-01-01T00:00:00Z", gwRef, "") +
		policy("route", "2024-01-01T00:00:00Z", "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]", "") +
		policy("shadowed", "2024-01-01T00:00:00Z", "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: filtered}]", "") +
		policy("lost", "2024-01-01T00:00:00Z", "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: nope}]", "") +
		policy("bad", "2024-01-01T00:00:00Z", gwRef, "  maxAge: -1s\n") + `
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: kg, namespace: web, generation: 7}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r, sectionName: nope}]
  cors: {allowOrigins: ["https://kg.example.com"]}
`
	_, rep, ps := statusOf(t, doc, Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}})
	got := flatReport(rep)
	for _, w := range []string{
		"CORSPolicy.corsgate.dev web/gw-old Accepted=True/Accepted",
		"CORSPolicy.corsgate.dev web/gw-old Overridden=True/Overridden", // route r has its own policy, filtered its filter
		"CORSPolicy.corsgate.dev web/gw-new Accepted=False/Conflicted",
		"CORSPolicy.corsgate.dev web/route Accepted=True/Accepted",
		"CORSPolicy.corsgate.dev web/route Overridden=False/NotOverridden",
		"CORSPolicy.corsgate.dev web/shadowed Overridden=True/Overridden",
		"CORSPolicy.corsgate.dev web/lost Accepted=False/TargetNotFound",
		"CORSPolicy.corsgate.dev web/bad Accepted=False/Invalid",
		"TrafficPolicy.gateway.kgateway.dev web/kg Accepted=False/TargetNotFound",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q", w)
		}
	}
	for _, p := range rep.Policies {
		for _, c := range p.Conditions {
			if p.Key.Name == "kg" && c.ObservedGeneration != 7 || p.Key.Name == "route" && c.ObservedGeneration != 5 {
				t.Errorf("%s %s: observedGeneration %d", p.Key.Name, c.Type, c.ObservedGeneration)
			}
		}
	}
	msgs := strings.Join(messages(rep), "\n")
	for _, w := range []string{"gw-old", `HTTPRoute "nope"`, "HTTPRoute web/filtered"} {
		if !strings.Contains(msgs, w) {
			t.Errorf("no message names %q", w)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s\nmessages:\n%s\nproblems:\n%v", strings.Join(got, "\n"), msgs, ps)
	}
}
