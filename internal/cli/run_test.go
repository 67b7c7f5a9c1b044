package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// syncBuffer collects output written from other goroutines.
type syncBuffer = testutil.SyncBuffer

// startRun runs `corsgate run args...` in-process until the test ends and
// waits for /readyz.
func startRun(t *testing.T, adminPort int, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	args = append([]string{"run", "--admin-addr", "127.0.0.1:" + strconv.Itoa(adminPort), "--drain-timeout", "2s"}, args...)
	go func() { done <- MainContext(ctx, args, io.Discard, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("run exited %d; stderr:\n%s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not stop within 10s of cancellation")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(adminPort) + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return &stderr
			}
		}
		select {
		case code := <-done:
			t.Fatalf("run exited early with %d; stderr:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("gateway not ready within 10s; stderr:\n%s", stderr.String())
	return nil
}

// TestRunEmbeddedDefault is the README's first command end to end: the
// embedded config, the demo petstore, and the three printed curl requests.
func TestRunEmbeddedDefault(t *testing.T) {
	port, adminPort := testutil.FreePort(t), testutil.FreePort(t)
	stderr := startRun(t, adminPort, "--demo-port", strconv.Itoa(port))
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/pets"
	for _, want := range []string{"Access-Control-Request-Method: PUT", "Origin: https://evil.example", "curl -si " + base + " -H 'Origin: https://example.com'"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("startup log lacks %q:\n%s", want, stderr.String())
		}
	}
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
		want    map[string]string // "" means absent
		body    string
	}{
		{"allowed preflight", "OPTIONS", map[string]string{"Origin": "https://example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"}, 204,
			map[string]string{
				"Access-Control-Allow-Origin": "https://example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE", "Access-Control-Allow-Headers": "Content-Type, Authorization",
				"Access-Control-Max-Age": "600", "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
			}, ""},
		{"denied preflight", "OPTIONS", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}, 403,
			map[string]string{
				"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": "", "Access-Control-Allow-Methods": "",
				"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
			}, "not allowed"},
		{"allowed GET", "GET", map[string]string{"Origin": "https://example.com"}, 200,
			map[string]string{
				"Access-Control-Allow-Origin": "https://example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "", "Vary": "Origin", "Content-Type": "application/json",
			}, `"name":"Rex"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for k, v := range tt.want {
				if got := strings.Join(resp.Header.Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(string(body), tt.body) {
				t.Errorf("body %q lacks %q", body, tt.body)
			}
		})
	}

	checkObservability(t, adminPort, port, stderr)
	checkConsole(t, adminPort)
}

// checkConsole: run wires the web console, its lint findings and its
// traffic panel (fed by the denied preflight of TestRunEmbeddedDefault).
func checkConsole(t *testing.T, adminPort int) {
	t.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	for path, wants := range map[string][]string{
		"/":            {"default/petstore/0/0", "https://example.com", "0 errors, 0 warnings"},
		"/api/traffic": {`"origin": "https://evil.example"`, `"route": "default/petstore/0/0"`},
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range wants {
			if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Errorf("GET %s: %d, lacks %q", path, resp.StatusCode, want)
			}
		}
	}
}

// checkObservability: the three requests of TestRunEmbeddedDefault show in
// the metrics and the logs.
func checkObservability(t *testing.T, adminPort, port int, stderr *syncBuffer) {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(adminPort) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`corsgate_http_requests_total{cors="preflight_allowed",listener="` + strconv.Itoa(port) + `",method="OPTIONS",route="default/petstore/0/0",status_class="2xx"} 1`,
		`corsgate_http_requests_total{cors="denied_origin",`,
		`corsgate_config_generation 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, want := range []string{`msg=request`, `route=default/petstore/0/0 status=204`, `msg="origin not allowed" origin=https://evil.example`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// TestRunRefusesBadConfig: every problem is printed as FILE:LINE and
// nothing starts.
func TestRunRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	cfg := `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
  - filters:
    - type: CORS
      cors:
        allowOrigins: ["example.com", "https://*example.com"]
    backendRefs: [{name: svc, port: 80}]
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	code := MainContext(context.Background(), []string{"run", "-c", path, "--admin-addr", ""}, io.Discard, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{
		path + ":17: HTTPRoute default/r: spec.rules[0].filters[0].cors.allowOrigins[0]",
		path + ":17: HTTPRoute default/r: spec.rules[0].filters[0].cors.allowOrigins[1]",
		path + ":18: HTTPRoute default/r: spec.rules[0].backendRefs[0]: backendRef to Service \"svc\"",
		"nothing was started",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}
