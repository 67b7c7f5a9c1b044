package config

import (
	"strings"
	"testing"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// migConvert loads one in-memory file named "in.yaml" and converts it.
func migConvert(t *testing.T, doc string) ([]*Object, Problems) {
	t.Helper()
	res, probs := LoadBytes([]NamedBytes{{Name: "in.yaml", Data: []byte(doc)}})
	convs, cp := ConvertEach(res)
	var objs []*Object
	for _, c := range convs {
		if c.Converted {
			objs = append(objs, c.Objects...)
		}
	}
	return objs, append(probs, cp...)
}

// migWant checks that problems contain each wanted text, and no error
// beyond them when exact is set.
func migWant(t *testing.T, ps Problems, want ...string) {
	t.Helper()
	all := ps.Error()
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("problems lack %q; got:\n%s", w, all)
		}
	}
}

func migFind[T any](t *testing.T, objs []*Object, kind, name string) T {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o.Value.(T)
		}
	}
	var zero T
	t.Fatalf("no converted %s %s among %d objects", kind, name, len(objs))
	return zero
}

const migIstioBase = `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: ["./shop.example.com", "api.example.com"]
    tls: {mode: SIMPLE, credentialName: shop-cert}
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: details, namespace: shop}
spec: {endpoints: [{ip: {address: 127.0.0.1, port: 9080}}]}
---
`

func TestIstioVirtualServiceConverts(t *testing.T) {
	objs, ps := migConvert(t, migIstioBase+`apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: details, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [gw, mesh]
  http:
  - name: Details_API
    match:
    - uri: {prefix: /details}
      method: {exact: GET}
      headers:
        x-tenant: {prefix: acme}
        x-debug: {}
      queryParams:
        v: {exact: "2"}
    headers:
      response: {set: {x-served-by: corsgate}, remove: [server]}
    route:
    - destination: {host: details.shop.svc.cluster.local, port: {number: 9080}}
      weight: 100
    corsPolicy:
      allowOrigin: ["*"]
      allowMethods: [GET]
      allowHeaders: [authorization]
      exposeHeaders: [x-trace]
      maxAge: 1m30s
      allowCredentials: false
      unmatchedPreflights: FORWARD
`)
	if ps.Err() != nil {
		t.Fatalf("unexpected errors:\n%s", ps)
	}
	migWant(t, ps, `in.yaml:28: warning: VirtualService shop/details: spec.http[0].match[0].headers.x-tenant.prefix: the Gateway API has no prefix header match; converted to the regular expression "acme.*"`,
		`in.yaml:21: warning: VirtualService shop/details: spec.gateways[1]: "mesh"`)
	gw := migFind[*gwv1.Gateway](t, objs, "Gateway", "gw")
	if n := len(gw.Spec.Listeners); n != 2 || gw.Spec.Listeners[0].Name != "https-0" || *gw.Spec.Listeners[0].AllowedRoutes.Namespaces.From != gwv1.NamespacesFromSame ||
		*gw.Spec.Listeners[1].AllowedRoutes.Namespaces.From != gwv1.NamespacesFromAll || gw.Spec.Listeners[1].TLS.CertificateRefs[0].Name != "shop-cert" {
		t.Errorf("listeners = %+v", gw.Spec.Listeners)
	}
	hr := migFind[*gwv1.HTTPRoute](t, objs, "HTTPRoute", "details")
	r := hr.Spec.Rules[0]
	if *r.Name != "http-0" || r.BackendRefs[0].Name != "details" || *r.BackendRefs[0].Port != 9080 || *r.BackendRefs[0].Weight != 100 {
		t.Errorf("rule = %+v", r)
	}
	m := r.Matches[0]
	if *m.Path.Type != gwv1.PathMatchPathPrefix || *m.Method != "GET" || len(m.Headers) != 2 || m.Headers[0].Name != "x-debug" || m.Headers[0].Value != ".*" || m.Headers[1].Value != "acme.*" || m.QueryParams[0].Value != "2" {
		t.Errorf("match = %+v", m)
	}
	if f := r.Filters; len(f) != 1 || f[0].ResponseHeaderModifier.Set[0].Name != "x-served-by" || f[0].ResponseHeaderModifier.Remove[0] != "server" {
		t.Errorf("filters = %+v", f)
	}
	pol := migFind[*v1alpha1.CORSPolicy](t, objs, "CORSPolicy", "details-http-0")
	s := pol.Spec
	if s.AllowOrigins[0].Value != "*" || s.MaxAge.Duration != 90*time.Second || s.UnmatchedPreflights != v1alpha1.UnmatchedPreflightsForward ||
		*s.AllowCredentials || s.TargetRefs[0].Kind != "HTTPRoute" || *s.TargetRefs[0].SectionName != "http-0" || s.ExposeHeaders[0] != "x-trace" {
		t.Errorf("CORSPolicy spec = %+v", s)
	}
}

func TestIstioUnsupportedFieldsAreNamed(t *testing.T) {
	_, ps := migConvert(t, migIstioBase+`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [gw]
  exportTo: ["."]
  tcp: [{route: [{destination: {host: db}}]}]
  http:
  - rewrite: {uri: /v2}
    timeout: 3s
    match: [{ignoreUriCase: true, uri: {exact: /a}}]
    route: [{destination: {host: details, subset: v1}}]
`)
	migWant(t, ps,
		"in.yaml:22: VirtualService shop/vs: spec.exportTo: exportTo is valid in Istio but not supported by corsgate",
		"in.yaml:23: VirtualService shop/vs: spec.tcp: tcp is valid in Istio but not supported by corsgate",
		"in.yaml:25: VirtualService shop/vs: spec.http[0].rewrite: rewrite is valid in Istio",
		"in.yaml:26: VirtualService shop/vs: spec.http[0].timeout: timeout is valid in Istio",
		"in.yaml:27: VirtualService shop/vs: spec.http[0].match[0].ignoreUriCase: ignoreUriCase is valid in Istio",
		"in.yaml:28: VirtualService shop/vs: spec.http[0].route[0].destination.subset: subset is valid in Istio")
}

func TestIstioErrors(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"mesh only", `gateways: [mesh]
  hosts: [a.example.com]
  http: [{route: [{destination: {host: details}}]}]`, `spec.gateways: the VirtualService applies only to the mesh sidecars`},
		{"unknown gateway", `gateways: [nope]
  hosts: [a.example.com]
  http: [{route: [{destination: {host: details}}]}]`, `spec.gateways[0]: Istio Gateway "nope" not found in namespace "shop"`},
		{"missing backend", `gateways: [gw]
  hosts: [a.example.com]
  http: [{route: [{destination: {host: reviews.shop.svc}}]}]`, `spec.http[0].route[0].destination.host: no corsgate Backend named "reviews.shop.svc" or "reviews" in namespace "shop"`},
		{"first match order", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: details}}]
  - match: [{uri: {prefix: /api/v1}}]
    route: [{destination: {host: details}}]`, `spec.http[1]: Istio tries http[0] first and it also matches requests like /api/v1`},
		{"catch-all first", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - route: [{destination: {host: details}}]
  - match: [{uri: {exact: /x}}]
    route: [{destination: {host: details}}]`, `spec.http[1]: Istio tries http[0] first and it also matches requests like /x`},
		{"both origin fields", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - route: [{destination: {host: details}}]
    corsPolicy: {allowOrigin: [https://a.example], allowOrigins: [{exact: https://b.example}]}`, `spec.http[0].corsPolicy.allowOrigin: both allowOrigins and the deprecated allowOrigin are set`},
		{"bad origin match", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - route: [{destination: {host: details}}]
    corsPolicy: {allowOrigins: [{exact: https://b.example, prefix: https://c}, {regex: "(["}]}`, `spec.http[0].corsPolicy.allowOrigins[0]: set exactly one of exact, prefix or regex`},
		{"bad regex", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - route: [{destination: {host: details}}]
    corsPolicy: {allowOrigins: [{regex: "(["}]}`, `spec.http[0].corsPolicy.allowOrigins[0].regex: invalid RE2 regular expression "(["`},
		{"bad maxAge", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - route: [{destination: {host: details}}]
    corsPolicy: {maxAge: 1 day, unmatchedPreflights: DROP}`, `spec.http[0].corsPolicy.maxAge: maxAge "1 day" is not a duration`},
		{"method regex", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - match: [{method: {regex: "GET|POST"}}]
    route: [{destination: {host: details}}]`, `spec.http[0].match[0].method: only an exact method match is supported`},
		{"unknown field", `gateways: [gw]
  hosts: [a.example.com]
  http:
  - route: [{destination: {host: details}}]
    corsPolicyy: {}`, `spec.http[0].corsPolicyy: unknown field "corsPolicyy"; did you mean "corsPolicy"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, ps := migConvert(t, migIstioBase+"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: shop}\nspec:\n  "+tt.spec+"\n")
			migWant(t, ps, tt.want)
			for _, o := range objs {
				if o.Kind == "HTTPRoute" || o.Kind == "CORSPolicy" {
					t.Errorf("a VirtualService with errors still produced %s %s", o.Kind, o.Name)
				}
			}
		})
	}
}

func TestIstioOrderAllowsDisjointAndSpecificFirst(t *testing.T) {
	_, ps := migConvert(t, migIstioBase+`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api/v1}}]
    route: [{destination: {host: details}}]
  - match: [{uri: {prefix: /api}, method: {exact: GET}, headers: {x-v: {exact: "1"}}}]
    route: [{destination: {host: details}}]
  - match: [{uri: {prefix: /api}, method: {exact: POST}, headers: {x-v: {exact: "2"}}}]
    route: [{destination: {host: details}}]
  - match: [{uri: {exact: /other}}]
    route: [{destination: {host: details}}]
  - route: [{destination: {host: details}}]
`)
	if ps.Err() != nil {
		t.Fatalf("unexpected errors:\n%s", ps)
	}
}

func TestIstioGatewayErrors(t *testing.T) {
	_, ps := migConvert(t, `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [other/a.example.com]
    tls: {mode: MUTUAL, credentialName: c}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 8081, name: http2, protocol: HTTP}
    hosts: ["*"]
    tls: {credentialName: c}
  - port: {number: 9000, name: grpc, protocol: GRPC}
    hosts: ["*"]
    bind: 0.0.0.0
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec: {gatewayClassName: corsgate, listeners: [{name: http, port: 80, protocol: HTTP}]}
`)
	migWant(t, ps,
		`in.yaml:3: Gateway default/gw: metadata.name: converting this Gateway creates Gateway default/gw, which in.yaml:19 already defines`,
		`in.yaml:7: Gateway default/gw: spec.servers[0].hosts[0]: host "other/a.example.com": restricting a server to routes of namespace "other" is not supported`,
		`in.yaml:8: Gateway default/gw: spec.servers[0].tls.mode: tls mode "MUTUAL" is not supported by corsgate`,
		`in.yaml:11: Gateway default/gw: spec.servers[1].tls.httpsRedirect: httpsRedirect is valid in Istio but not supported by corsgate`,
		`in.yaml:14: Gateway default/gw: spec.servers[2].tls: tls is set on an HTTP server`,
		`in.yaml:15: Gateway default/gw: spec.servers[3].port.protocol: protocol "GRPC" is not supported by corsgate`,
		`in.yaml:17: Gateway default/gw: spec.servers[3].bind: bind is valid in Istio but not supported by corsgate`)
}
