package cli

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// Bad controller flags fail fast with an error naming the flag and what to
// use, before anything connects to an API server.
func TestControllerFlagErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-kubeconfig")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"controller", "--address-service", "corsgate"}, `--address-service "corsgate": use NAMESPACE/NAME`},
		{[]string{"controller", "--address-service", "ns/"}, "use NAMESPACE/NAME"},
		{[]string{"controller", "--kubeconfig", missing}, "--kubeconfig " + missing},
		{[]string{"controller", "--log-level", "loud"}, `--log-level "loud"`},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		code := Main(tt.args, io.Discard, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure mentioning %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
