package cli

import (
	"bytes"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/probe/scenario"
)

// The golden files are rewritten with `go test ./internal/cli -run TestCheck -update`.
// The flag is defined here only if no other test file of the package defines it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var (
	portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	dateRE = regexp.MustCompile(`(?m)^([<>] )Date: .*$`)
)

// normalize makes output independent of ports and time.
func normalize(s string) string {
	s = portRE.ReplaceAllString(s, "127.0.0.1:PORT")
	return dateRE.ReplaceAllString(s, "${1}Date: DATE")
}

// checkArgs builds `corsgate check` arguments for a scenario's request.
func checkArgs(run *scenario.Running, r *scenario.Request) []string {
	args := []string{"check", run.URL(r.Server) + r.Path, "--origin", run.Origin(r)}
	if r.Method != "" {
		args = append(args, "-X", r.Method)
	}
	for _, h := range r.Headers {
		args = append(args, "-H", run.Expand(h))
	}
	if r.Credentials != "" {
		args = append(args, "--credentials", r.Credentials)
	}
	if r.ContentType != "" {
		args = append(args, "--content-type", r.ContentType)
	}
	if r.Body != nil {
		args = append(args, "--data", *r.Body)
	}
	return args
}

func TestCheckGolden(t *testing.T) {
	f, err := scenario.Load("../probe/testdata/scenarios.yaml")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*scenario.Scenario{}
	for i := range f.Scenarios {
		byName[f.Scenarios[i].Name] = &f.Scenarios[i]
	}
	tests := []struct {
		golden, scenario string
		extra            []string
		code             int
	}{
		{"put_allowed", "put-json-allowed", nil, 0},
		{"put_allowed_json", "put-json-allowed", []string{"--json"}, 0},
		{"put_allowed_verbose", "put-json-allowed", []string{"-v"}, 0},
		{"method_blocked", "put-method-not-allowed", nil, 1},
		{"method_blocked_json", "put-method-not-allowed", []string{"--json"}, 1},
		{"method_blocked_firefox", "put-method-not-allowed", []string{"--browser", "firefox"}, 1},
		{"nginx_not_found", "nginx-snippet-not-found", nil, 1},
		{"authorization_wildcard_chromium", "authorization-wildcard", nil, 0},
		{"authorization_wildcard_spec", "authorization-wildcard", []string{"--browser", "fetch-spec"}, 1},
		{"redirect_tainted", "redirect-cross-origin-taints-origin", nil, 1},
		{"credentials_wildcard", "credentials-wildcard-origin", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			sc := byName[tt.scenario]
			if sc == nil {
				t.Fatalf("no scenario %q", tt.scenario)
			}
			run, err := scenario.Start(sc, "https://app.example")
			if err != nil {
				t.Fatal(err)
			}
			defer run.Close()
			var stdout, stderr bytes.Buffer
			code := Main(append(checkArgs(run, &sc.Request), tt.extra...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			got := normalize("exit " + strconv.Itoa(code) + "\n--- stdout\n" + stdout.String() + "--- stderr\n" + stderr.String())
			path := filepath.Join("testdata", "check", tt.golden+".golden")
			if updating() {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update after checking):\n%s", path, got)
			}
		})
	}
}

func TestCheckCannotRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", closed, "--origin", "https://app.example"}, "cannot connect: is the server running"},
		{[]string{"check", closed}, `required flag(s) "origin" not set`},
		{[]string{"check", "--origin", "https://app.example"}, "accepts 1 arg(s)"},
		{[]string{"check", closed, "--origin", "https://app.example/"}, `a browser sends "https://app.example"`},
		{[]string{"check", closed, "--origin", "https://app.example", "--browser", "safari"}, "--browser: browser \"safari\": use chromium, firefox or fetch-spec"},
		{[]string{"check", closed, "--origin", "https://app.example", "--credentials", "yes"}, "use omit, same-origin or include"},
		{[]string{"check", closed, "--origin", "https://app.example", "-H", "X-A"}, "-H: header \"X-A\": write it as 'Name: value'"},
		{[]string{"check", closed, "--origin", "https://app.example", "--cacert", "/nonexistent.pem"}, "--cacert"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := Main(tt.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
