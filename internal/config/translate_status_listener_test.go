package config

import (
	"slices"
	"strings"
	"testing"
)

// gwMixed has a valid listener and two invalid ones: a certificate that
// does not exist, and a protocol corsgate does not speak.
const gwMixed = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: corsgate
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: missing}]}}
  - {name: tcp, port: 81, protocol: TCP}
`

// TestInvalidListenerAttachedRoutes: attachedRoutes must be set for
// listeners that are not accepted too, counting the accepted routes whose
// parentRef selects them (Gateway API ListenerStatus.AttachedRoutes).
func TestInvalidListenerAttachedRoutes(t *testing.T) {
	doc := gwMixed + backendPets +
		route("web", "whole", "[{name: gw}]", petsRule) + // attaches to every listener of the Gateway
		route("web", "http", "[{name: gw, sectionName: http}]", petsRule) +
		route("shop", "other-ns", "[{name: gw, namespace: web}]", petsRule) // not admitted: from Same
	_, rep, ps := statusOf(t, doc, k8sOpts)
	got := flatReport(rep)
	for _, w := range []string{
		"Gateway web/gw listener http attached=2 kinds=1",
		"Gateway web/gw listener https attached=1 kinds=1",
		"Gateway web/gw listener tcp attached=0 kinds=0", // no route kind on TCP: supportedKinds is empty
		"HTTPRoute web/whole parent gw Accepted=True/Accepted",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q", w)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s\nproblems:\n%v", strings.Join(got, "\n"), ps)
	}
}

// TestParentNamesInvalidListener: a parentRef whose sectionName names a
// listener that exists but is invalid must say so and why, not suggest
// the name is wrong.
func TestParentNamesInvalidListener(t *testing.T) {
	doc := gwMixed + backendPets + route("web", "r", "[{name: gw, sectionName: https}]", petsRule)
	_, rep, _ := statusOf(t, doc, k8sOpts)
	got := flatReport(rep)
	if w := "HTTPRoute web/r parent gw/https Accepted=False/NoMatchingParent"; !slices.Contains(got, w) {
		t.Fatalf("missing %q in\n%s", w, strings.Join(got, "\n"))
	}
	msg := rep.Routes[0].Parents[0].Conditions[0].Message
	for _, w := range []string{`listener "https" of Gateway web/gw is invalid`, `Secret "missing" not found`, "status.listeners"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not contain %q", msg, w)
		}
	}
}

// TestUnservedListenerAcceptedMessage: a listener that is not served must
// not be described as "valid".
func TestUnservedListenerAcceptedMessage(t *testing.T) {
	_, rep, _ := statusOf(t, gwMixed, k8sOpts)
	for _, l := range rep.Gateways[0].Listeners {
		if l.Name != "https" {
			continue
		}
		for _, c := range l.Conditions {
			if c.Type == "Accepted" && (c.Message == "the listener is valid" || !strings.Contains(c.Message, "not served")) {
				t.Errorf("Accepted message of an unserved listener: %q", c.Message)
			}
		}
	}
}

// TestServicePortProtocol: a Service port corsgate cannot send HTTP/1.1
// to is an invalid backendRef (ResolvedRefs=False UnsupportedProtocol, the
// route stays Accepted), not a backend that silently fails.
func TestServicePortProtocol(t *testing.T) {
	svc := `
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: web}
spec:
  ports:
  - {name: h2c, port: 80, appProtocol: kubernetes.io/h2c}
  - {name: dns, port: 53, protocol: UDP}
  - {name: http, port: 8080, appProtocol: http}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: web}
spec: {type: ExternalName, externalName: api.example.org, ports: [{port: 80}]}
`
	for _, tt := range []struct{ ref, reason, msg string }{
		{"{name: s, port: 80}", "UnsupportedProtocol", `appProtocol "kubernetes.io/h2c" is not supported`},
		{"{name: s, port: 53}", "UnsupportedProtocol", "protocol UDP is not supported"},
		{"{name: ext, port: 80}", "UnsupportedProtocol", "ExternalName Services"},
		{"{name: s, port: 8080}", "ResolvedRefs", "every backendRef is resolved"},
	} {
		doc := gwHTTP + svc + route("web", "r", "[{name: gw, sectionName: other}]", "  rules:\n  - backendRefs: ["+tt.ref+"]\n")
		_, rep, _ := statusOf(t, doc, k8sOpts)
		got := flatReport(rep)
		for _, w := range []string{"HTTPRoute web/r parent gw/other Accepted=True/Accepted", "HTTPRoute web/r parent gw/other ResolvedRefs=" +
			map[bool]string{true: "True", false: "False"}[tt.reason == "ResolvedRefs"] + "/" + tt.reason} {
			if !slices.Contains(got, w) {
				t.Errorf("%s: missing %q in\n%s", tt.ref, w, strings.Join(got, "\n"))
			}
		}
		if msgs := strings.Join(messages(rep), "\n"); !strings.Contains(msgs, tt.msg) {
			t.Errorf("%s: no message says %q:\n%s", tt.ref, tt.msg, msgs)
		}
	}
}
