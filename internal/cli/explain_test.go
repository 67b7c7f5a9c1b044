package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestExplainGolden runs explain on testdata/explain/config.yaml; the
// golden files are rewritten with `go test ./internal/cli -run TestExplain -update`.
func TestExplainGolden(t *testing.T) {
	base := []string{"explain", "-c", "testdata/explain"}
	tests := []struct {
		golden string
		args   []string
		code   int
	}{
		// The preflight matches the partner rule, the PUT the write rule.
		{"put_preflight_other_rule", []string{"http://127.0.0.1:8080/items/1", "--origin", "https://shop.example.com",
			"-X", "PUT", "--content-type", "application/json", "--data", "{}", "--credentials", "include"}, 1},
		{"put_preflight_other_rule_json", []string{"http://127.0.0.1:8080/items/1", "--origin", "https://shop.example.com",
			"-X", "PUT", "--content-type", "application/json", "--data", "{}", "--credentials", "include", "--json"}, 1},
		{"get_forwarded", []string{"http://127.0.0.1:8080/items?page=2", "--origin", "https://partner.example.com"}, 0},
		{"get_forwarded_json", []string{"http://127.0.0.1:8080/items?page=2", "--origin", "https://partner.example.com", "--json"}, 0},
		{"header_not_allowed_firefox", []string{"http://127.0.0.1:8080/items", "--origin", "https://partner.example.com",
			"-H", "X-Trace: 1", "--browser", "firefox"}, 1},
		{"no_route_fallback", []string{"http://localhost/cart", "--listener", "8080", "--origin", "https://www.example.com"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(append(append([]string(nil), base...), tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			got := "exit " + strconv.Itoa(code) + "\n--- stdout\n" + stdout.String() + "--- stderr\n" + stderr.String()
			compareGolden(t, filepath.Join("testdata", "explain", tt.golden+".golden"), got)
		})
	}
}

func TestExplainCannotRun(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {gatewayClassName: corsgate, listeners: [{name: h, port: 99999, protocol: HTTP}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:8080/items"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"explain", url, "--origin", "https://a.example"}, "give at least one -c PATH"},
		{[]string{"explain", "-c", "testdata/explain", url}, `required flag(s) "origin" not set`},
		{[]string{"explain", "-c", "testdata/explain", "http://127.0.0.1:9090/", "--origin", "https://a.example"},
			"no listener on port 9090; the configuration listens on 8080 (HTTP)"},
		{[]string{"explain", "-c", bad, url, "--origin", "https://a.example"}, "the configuration has errors"},
		{[]string{"explain", "-c", "testdata/explain", "/items", "--origin", "https://a.example"}, "give an absolute http://"},
		{[]string{"explain", "-c", "testdata/explain", url, "--origin", "https://a.example", "--browser", "safari"}, "--browser"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := Main(tt.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
