package explain

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/ir"
)

const testYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /items}}]
    filters:
    - type: CORS
      cors: {allowOrigins: [https://app.example], allowMethods: [PUT], allowHeaders: [Content-Type]}
    backendRefs: [{group: corsgate.dev, kind: Backend, name: be}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: be}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: 9}}]
`

func snapshot(t *testing.T) *ir.Snapshot {
	t.Helper()
	res, probs := config.LoadBytes([]config.NamedBytes{{Name: "t.yaml", Data: []byte(testYAML)}})
	snap, tp := config.Translate(res, config.Options{})
	if err := append(probs, tp...).Err(); err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestPort(t *testing.T) {
	snap := snapshot(t)
	for _, tt := range []struct {
		url      string
		override int
		port     int
		err      string
	}{
		{"http://127.0.0.1:8080/items", 0, 8080, ""},
		{"http://api.example/items", 8080, 8080, ""},
		{"http://api.example/items", 0, 0, "no listener on port 80; the configuration listens on 8080 (HTTP)"},
		{"https://api.example/items", 0, 0, "no listener on port 443"},
		{"/items", 0, 0, "give an absolute http:// or https:// URL"},
		{"ftp://x/", 0, 0, "give an absolute"},
	} {
		port, err := Port(snap, tt.url, tt.override)
		if port != tt.port || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Port(%q, %d) = %d, %v; want %d, %q", tt.url, tt.override, port, err, tt.port, tt.err)
		}
	}
	var nl *NoListenerError
	if _, err := Port(&ir.Snapshot{}, "http://x/", 0); !errors.As(err, &nl) || len(nl.Have) != 0 ||
		err.Error() != "the configuration has no listener; add a Gateway with a listener" {
		t.Errorf("empty configuration: %v", err)
	}
}

func TestFetch(t *testing.T) {
	snap := snapshot(t)
	req := fetch.Request{URL: "http://127.0.0.1:8080/items/1", Origin: "https://app.example", Method: "PUT",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: true}
	rep, err := Fetch(snap, 8080, req, fetch.Chromium)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result.Verdict != fetch.Allowed || len(rep.Exchanges) != 2 {
		t.Fatalf("verdict %v with %d exchanges, want allowed with a preflight and the PUT", rep.Result.Verdict, len(rep.Exchanges))
	}
	pre, put := rep.Exchanges[0], rep.Exchanges[1]
	if pre.Kind != fetch.Preflight || pre.Gateway.Action != dataplane.ActionPreflight || pre.Gateway.Status != http.StatusNoContent || pre.Placeholder {
		t.Errorf("preflight exchange: %+v", pre)
	}
	if put.Kind != fetch.Actual || put.Gateway.Action != dataplane.ActionForward || !put.Placeholder ||
		put.Gateway.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("actual exchange: %+v", put)
	}

	req.Origin = "https://evil.example"
	if rep, err = Fetch(snap, 8080, req, fetch.Chromium); err != nil || rep.Result.Verdict != fetch.Blocked ||
		len(rep.Exchanges) != 1 || rep.Result.Failure == nil || !rep.Result.Failure.Preflight {
		t.Errorf("denied origin: %+v, %v", rep, err)
	}

	// No listener on the port: a network error, with the exchange so far.
	if rep, err = Fetch(snap, 9090, req, fetch.Chromium); err == nil || rep.Result == nil || len(rep.Exchanges) != 1 ||
		rep.Exchanges[0].Gateway.Action != dataplane.ActionNoListener {
		t.Errorf("no listener: %+v, %v", rep, err)
	}
	// Not a request a browser can make at all.
	if rep, err = Fetch(snap, 8080, fetch.Request{URL: "/relative", Origin: "https://app.example"}, fetch.Chromium); err == nil || rep.Result != nil {
		t.Errorf("relative URL: %+v, %v", rep, err)
	}
}
