package config

import (
	"testing"
	"time"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

const migFSMPlugins = `kind: Plugin
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors-policy}
spec: {priority: 165, pipyscript: "(pipy())"}
---
kind: PluginChain
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: chain, namespace: pipy}
spec:
  chains: [{name: inbound-http, plugins: [cors-policy]}]
  selectors: {podSelector: {matchLabels: {app: pipy-ok}}}
---
`

func TestFSMPluginConfigConverts(t *testing.T) {
	objs, ps := migConvert(t, migFSMPlugins+`kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors, namespace: pipy}
spec:
  plugin: cors-policy
  config:
    allowCredentials: true
    allowHeaders: [X-Foo]
    allowMethods: [GET, POST]
    allowOrigins:
    - prefix: http://www.test.com
    - exact: http://www.aaa.com
    - regex: http://b.*.com
    exposeHeaders: [Content-Encoding]
    maxAge: 1m30s
  destinationRefs:
  - {kind: Service, name: pipy-ok, namespace: pipy}
  - {kind: Backend, name: httpbin}
  - {kind: Service, name: other, namespace: edge}
`)
	if ps.Err() != nil {
		t.Fatalf("unexpected errors:\n%s", ps)
	}
	migWant(t, ps,
		`in.yaml:25: warning: PluginConfig pipy/cors: spec.config.allowOrigins[2].regex: FSM (pipy) tests "http://b.*.com" anywhere in the origin and so lets in http://b.com.evil.example`)
	if len(objs) != 2 {
		t.Fatalf("got %d objects, want a CORSPolicy per destination namespace", len(objs))
	}
	p := objs[0].Value.(*v1alpha1.CORSPolicy)
	s := p.Spec
	if p.Namespace != "pipy" || len(s.TargetRefs) != 2 || s.TargetRefs[0].Name != "pipy-ok" || s.TargetRefs[1].Name != "httpbin" ||
		s.TargetRefs[0].Kind != "Backend" || s.TargetRefs[0].Group != v1alpha1.GroupName || s.MaxAge.Duration != 90*time.Second ||
		!*s.AllowCredentials || s.AllowOrigins[0].Prefix != "http://www.test.com" || s.AllowOrigins[2].Regex != "http://b.*.com" {
		t.Errorf("policy = %+v", p)
	}
	if q := objs[1].Value.(*v1alpha1.CORSPolicy); q.Namespace != "edge" || q.Spec.TargetRefs[0].Name != "other" || q.Spec.MaxAge.Duration != 90*time.Second {
		t.Errorf("second policy = %+v", q)
	}
}

// migFSMErrorCases are FSM inputs and one problem each must report.
var migFSMErrorCases = []struct{ name, docs, want string }{
	{"other plugin config", migFSMPlugins + `kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: tok, namespace: pipy}
spec: {plugin: token-verifier, config: {AccessToken: "1"}, destinationRefs: [{kind: Service, name: a}]}
`, `in.yaml:16: PluginConfig pipy/tok: spec.plugin: plugin "token-verifier" is not supported by corsgate`},
	{"other plugin", `kind: Plugin
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: token-verifier}
spec: {pipyscript: "x"}
`, `in.yaml:4: Plugin token-verifier: spec.pipyscript: Plugin "token-verifier" runs a pipy script`},
	{"chain lists undeclared", migFSMPlugins + `kind: PluginChain
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: c2, namespace: pipy}
spec: {chains: [{name: inbound-http, plugins: [cors-polcy]}]}
`, `in.yaml:16: PluginChain pipy/c2: spec.chains[0].plugins[0]: plugin "cors-polcy" is not declared by any Plugin (declared: cors-policy)`},
	{"tcp chain", `kind: PluginChain
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: c2, namespace: pipy}
spec: {chains: [{name: inbound-tcp, plugins: [cors-policy]}]}
`, `spec.chains[0].name: cors-policy only runs in an HTTP chain, and FSM never runs it in chain "inbound-tcp"`},
	{"not in any chain", `kind: PluginChain
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: c2, namespace: pipy}
spec: {chains: [{name: inbound-http, plugins: []}]}
---
kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors, namespace: pipy}
spec: {plugin: cors-policy, config: {allowOrigins: [{exact: "https://a.example"}]}, destinationRefs: [{kind: Service, name: a}]}
`, `spec.plugin: no PluginChain lists "cors-policy", so FSM would never run this configuration`},
	{"plugin not declared", `kind: Plugin
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors-policy-v2}
spec: {pipyscript: "x"}
---
kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors, namespace: pipy}
spec: {plugin: cors-policy, config: {allowOrigins: [{exact: "https://a.example"}]}, destinationRefs: [{kind: Service, name: a}]}
`, `spec.plugin: plugin "cors-policy" is not declared by any Plugin (declared: cors-policy-v2)`},
	{"unknown config field", `kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors, namespace: pipy}
spec:
  plugin: cors-policy
  config: {allowOrigin: ["https://a.example"]}
  destinationRefs: [{kind: Service, name: a}]
`, `in.yaml:6: PluginConfig pipy/cors: spec.config: unknown cors-policy field "allowOrigin"; did you mean "allowOrigins"?`},
	{"config type", `kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors, namespace: pipy}
spec:
  plugin: cors-policy
  config:
    maxAge: 86400
  destinationRefs: [{kind: Service, name: a}]
`, `in.yaml:7: PluginConfig pipy/cors: spec.config.maxAge: expected string, got a number`},
	{"lookahead regex", `kind: PluginConfig
apiVersion: plugin.flomesh.io/v1alpha1
metadata: {name: cors, namespace: pipy}
spec:
  plugin: cors-policy
  config:
    allowOrigins: [{regex: "https://(?!evil).*"}, {exact: a, prefix: b}]
    maxAge: 1 day
  destinationRefs: [{kind: Ingress, name: a}]
`, `spec.config.allowOrigins[0].regex: "https://(?!evil).*" is not an RE2 regular expression`},
}

func TestFSMErrors(t *testing.T) {
	tests := migFSMErrorCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, ps := migConvert(t, tt.docs)
			migWant(t, ps, tt.want)
			if len(objs) != 0 {
				t.Errorf("errors, yet %d objects were produced", len(objs))
			}
		})
	}
	_, ps := migConvert(t, tests[len(tests)-1].docs)
	migWant(t, ps, `spec.config.allowOrigins[1]: set exactly one of exact, prefix or regex`,
		`spec.config.maxAge: maxAge "1 day" is not a duration`, `spec.destinationRefs[0].kind: kind "Ingress" is not supported`)
}
