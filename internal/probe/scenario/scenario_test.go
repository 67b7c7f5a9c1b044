package scenario

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRefusesMistakes(t *testing.T) {
	ok := "  servers: {api: {routes: {}}}\n  request: {server: api, path: /}\n  expect: {verdict: ALLOWED}\n"
	for _, tt := range []struct{ body, want string }{
		{"version: 2\nscenarios: []\n", "this reader knows version 1"},
		{"version: 1\nscenarios:\n- name: Bad_Name\n" + ok, "use lower-case words"},
		{"version: 1\nscenarios:\n- name: a\n" + ok + "- name: a\n" + ok, "used twice"},
		{"version: 1\nscenarios:\n- name: a\n  servers: {api: {routes: {}}}\n  request: {server: cdn, path: /}\n  expect: {verdict: ALLOWED}\n", `request.server "cdn"`},
		{"version: 1\nscenarios:\n- name: a\n  servers: {api: {routes: {}}}\n  request: {server: api, path: /}\n  expect: {verdict: OK}\n", "use ALLOWED or BLOCKED"},
		{"version: 1\nscenarios:\n- name: a\n  sever: {}\n" + ok, "unknown field"},
	} {
		if _, err := Load(write(t, tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q) = %v, want %q", tt.body, err, tt.want)
		}
	}
}

func TestServe(t *testing.T) {
	f, err := Load(write(t, `version: 1
scenarios:
- name: a
  servers:
    api:
      routes:
        /x:
          preflight: {status: 204, headers: ["Access-Control-Allow-Origin: {{origin}}", "X-Next: {{url:cdn}}/y"]}
          actual: {status: 200, headers: ["A: 1", "A: 2"], body: "from {{origin}}"}
    cdn: {routes: {}}
  request: {server: api, path: /x}
  expect: {verdict: ALLOWED}
`))
	if err != nil {
		t.Fatal(err)
	}
	run, err := Start(&f.Scenarios[0], "https://app.example")
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if !strings.HasPrefix(run.URL("api"), "http://127.0.0.1:") {
		t.Fatalf("api at %s", run.URL("api"))
	}
	pre, _ := http.NewRequest("OPTIONS", run.URL("api")+"/x", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "PUT")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("X-Next") != run.URL("cdn")+"/y" {
		t.Errorf("preflight answer %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = http.Get(run.URL("api") + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "from https://app.example" || len(resp.Header.Values("A")) != 2 || resp.Header.Get("Content-Type") != "" {
		t.Errorf("actual answer %q %v", body, resp.Header)
	}
	resp, err = http.Get(run.URL("cdn") + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unconfigured route: %d", resp.StatusCode)
	}
	got := run.Received()
	if len(got) != 3 || got[0].Kind != "preflight" || got[1].Kind != "actual" || got[2].Server != "cdn" || got[0].Header().Get("Access-Control-Request-Method") != "PUT" {
		t.Errorf("received %+v", got)
	}
}
