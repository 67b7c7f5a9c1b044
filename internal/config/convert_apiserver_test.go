package config

import (
	"regexp"
	"testing"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

func TestLookalikeOrigin(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{`https://example\.com`, "https://example.com.evil.example"},
		{`^https://example\.com`, "https://example.com.evil.example"},
		{`example\.com$`, "https://evil.example.com"},
		{`example\.com`, "https://example.com.evil.example"},
		{`https://.*\.example\.com`, "https://x.example.com.evil.example"},
		{`http://b.*.com`, "http://b.com.evil.example"},
		{`(?i)HTTPS://EXAMPLE\.COM`, "https://example.com.evil.example"},
		// Anchored, or the documented idioms: nothing more is admitted.
		{`^https://example\.com$`, ""},
		{`//example\.com(:|$)`, ""},
		{`^https://example\.com(:|$)`, ""},
		{`.*`, ""},
		{`(`, ""},
	}
	for _, tt := range tests {
		got := lookalikeOrigin(tt.pattern, apiServerIdioms(tt.pattern))
		if got != tt.want {
			t.Errorf("lookalikeOrigin(%q) = %q, want %q", tt.pattern, got, tt.want)
			continue
		}
		if got == "" {
			continue
		}
		// The witness really is admitted unanchored and refused whole.
		if !regexp.MustCompile(tt.pattern).MatchString(got) || regexp.MustCompile("^(?:"+apiServerIdioms(tt.pattern)+")$").MatchString(got) || !validOrigin(got) {
			t.Errorf("%q: witness %q does not show the difference", tt.pattern, got)
		}
	}
}

func TestAPIServerIdiomsKeepMeaning(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		admit   []string
		refuse  []string
	}{
		{`//example\.com(:|$)`, []string{"https://example.com", "http://example.com:8080"}, []string{"https://example.com.evil.example", "https://notexample.com"}},
		{`^https://example\.com(:|$)`, []string{"https://example.com", "https://example.com:8443"}, []string{"http://example.com", "https://example.com.evil.example"}},
	} {
		whole := regexp.MustCompile("^(?:" + apiServerIdioms(tt.pattern) + ")$")
		loose := regexp.MustCompile(tt.pattern)
		for _, o := range tt.admit {
			if !whole.MatchString(o) || !loose.MatchString(o) {
				t.Errorf("%q: %q should be admitted by both", tt.pattern, o)
			}
		}
		for _, o := range tt.refuse {
			if whole.MatchString(o) || loose.MatchString(o) {
				t.Errorf("%q: %q should be refused by both", tt.pattern, o)
			}
		}
	}
}

func TestAPIServerCORSConverts(t *testing.T) {
	objs, ps := migConvert(t, `apiVersion: corsgate.dev/v1alpha1
kind: APIServerCORS
metadata: {name: api, namespace: kube-system}
spec:
  allowedOrigins:
  - https://dashboard\.example\.com
  - ^http://localhost:8000$
  - //127\.0\.0\.1(:|$)
  upstream:
    url: https://kubernetes.default.svc
    tls: {caCertificateRefs: [{kind: ConfigMap, name: ca}], sni: kubernetes}
  listener: {port: 8443, protocol: HTTPS, hostname: K8S.example.com, tlsSecretName: front}
`)
	if ps.Err() != nil {
		t.Fatalf("unexpected errors:\n%s", ps)
	}
	migWant(t, ps, `in.yaml:6: warning: APIServerCORS kube-system/api: spec.allowedOrigins[0]: kube-apiserver matches "https://dashboard\\.example\\.com" anywhere in the origin and so lets in https://dashboard.example.com.evil.example; corsgate matches the whole origin and refuses it`)
	if n := len(ps.Warnings()); n != 1 {
		t.Errorf("%d warnings, want 1 (only the unanchored pattern):\n%s", n, ps)
	}
	gw := migFind[*gwv1.Gateway](t, objs, "Gateway", "api")
	if l := gw.Spec.Listeners[0]; l.Port != 8443 || l.Protocol != gwv1.HTTPSProtocolType || *l.Hostname != "k8s.example.com" || l.TLS.CertificateRefs[0].Name != "front" {
		t.Errorf("listener = %+v", l)
	}
	be := migFind[*v1alpha1.Backend](t, objs, "Backend", "api")
	if ep := be.Spec.Endpoints[0]; ep.FQDN == nil || ep.FQDN.Hostname != "kubernetes.default.svc" || ep.FQDN.Port != 443 || be.Spec.TLS.SNI != "kubernetes" || be.Spec.TLS.CACertificateRefs[0].Name != "ca" {
		t.Errorf("backend = %+v", be.Spec)
	}
	hr := migFind[*gwv1.HTTPRoute](t, objs, "HTTPRoute", "api")
	if r := hr.Spec.Rules[0]; *r.Matches[0].Path.Value != "/" || r.BackendRefs[0].Name != "api" || hr.Spec.ParentRefs[0].Name != "api" {
		t.Errorf("route = %+v", hr.Spec)
	}
	s := migFind[*v1alpha1.CORSPolicy](t, objs, "CORSPolicy", "api").Spec
	wantOrigins := []string{`https://dashboard\.example\.com`, `^http://localhost:8000$`, `https?://127\.0\.0\.1(:[0-9]+)?`}
	for i, w := range wantOrigins {
		if s.AllowOrigins[i].Regex != w {
			t.Errorf("allowOrigins[%d] = %+v, want regex %q", i, s.AllowOrigins[i], w)
		}
	}
	if !*s.AllowCredentials || len(s.AllowMethods) != 6 || s.AllowMethods[0] != "POST" || len(s.AllowHeaders) != 7 || s.AllowHeaders[3] != "X-CSRF-Token" ||
		s.ExposeHeaders[0] != "Date" || s.TargetRefs[0].Kind != "HTTPRoute" || s.TargetRefs[0].Name != "api" {
		t.Errorf("policy = %+v", s)
	}
}

func TestAPIServerCORSErrors(t *testing.T) {
	_, ps := migConvert(t, `apiVersion: corsgate.dev/v1alpha1
kind: APIServerCORS
metadata: {name: api}
spec:
  allowedOrigins: ["", "(["]
  upstream: {url: "https://10.0.0.1:6443/api", tls: {}}
  listener: {port: 0, protocol: HTTPS}
---
apiVersion: corsgate.dev/v1alpha1
kind: APIServerCORS
metadata: {name: plain}
spec:
  allowedOrigins: []
  upstream: {url: "http://127.0.0.1:8080", tls: {insecureSkipVerify: true}}
  listener: {port: 8001, tlsSecretName: x}
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: plain}
spec: {endpoints: [{ip: {address: 127.0.0.1, port: 1}}]}
`)
	migWant(t, ps,
		`in.yaml:5: APIServerCORS default/api: spec.allowedOrigins[0]: pattern is empty`,
		`in.yaml:5: APIServerCORS default/api: spec.allowedOrigins[1]: invalid regular expression "(["`,
		`in.yaml:6: APIServerCORS default/api: spec.upstream.url: url "https://10.0.0.1:6443/api" must be http:// or https://`,
		`in.yaml:7: APIServerCORS default/api: spec.listener.port: port 0 is out of range`,
		`in.yaml:7: APIServerCORS default/api: spec.listener.tlsSecretName: an HTTPS listener needs tlsSecretName`,
		`in.yaml:11: APIServerCORS default/plain: metadata.name: converting this APIServerCORS creates Backend default/plain, which in.yaml:17 already defines`,
		`in.yaml:13: APIServerCORS default/plain: spec.allowedOrigins: allowedOrigins is empty`,
		`in.yaml:14: APIServerCORS default/plain: spec.upstream.tls: tls is set but the url is http://`,
		`in.yaml:15: APIServerCORS default/plain: spec.listener.tlsSecretName: tlsSecretName is set on an HTTP listener`)
}
