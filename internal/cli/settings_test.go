package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// TestProxySettings: limits come from a ProxySettings object unless the
// flag is given, which wins.
func TestProxySettings(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		_, _ = w.Write([]byte("late"))
	}))
	t.Cleanup(slow.Close)
	_, bport, err := net.SplitHostPort(slow.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		flags []string
		want  int
	}{
		{"ProxySettings timeout applies", nil, http.StatusGatewayTimeout},
		{"the flag wins over ProxySettings", []string{"--upstream-response-header-timeout", "5s"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := testutil.FreePort(t)
			dir := t.TempDir()
			cfg := fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: %d, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{group: corsgate.dev, kind: Backend, name: slow}]}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: slow}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: %s}}]
---
apiVersion: corsgate.dev/v1alpha1
kind: ProxySettings
metadata: {name: limits}
spec:
  upstream:
    responseHeaderTimeout: 200ms
`, port, bport)
			if err := os.WriteFile(filepath.Join(dir, "gw.yaml"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			startRun(t, testutil.FreePort(t), append([]string{"-c", dir}, tt.flags...)...)
			resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
