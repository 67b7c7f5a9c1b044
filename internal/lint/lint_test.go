package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/config"
)

const badExample = "../../examples/bad-cors"

// TestBadExample: lint finds every mistake of examples/bad-cors, each rule
// the example's comments and README name, and nothing else.
func TestBadExample(t *testing.T) {
	rep := Run([]string{badExample})
	want := []string{
		"CG001", "CG002", "CG003", "CG004", "CG005", "CG006", "CG007", "CG008", "CG009",
		"CG010", "CG011", "CG012", "CG013", "CG014", "CG015", "CG016", "CG017", "CG018",
	}
	if got := rep.IDs(); !slices.Equal(got, want) {
		var b bytes.Buffer
		_ = WriteText(&b, rep)
		t.Fatalf("rule IDs found:\n%q\nwant\n%q\n%s", got, want, b.String())
	}
	if !rep.HasErrors() {
		t.Error("HasErrors = false")
	}
	commented := idsIn(t, filepath.Join(badExample, "*.yaml"))
	if !slices.Equal(commented, want) {
		t.Errorf("the example's comments name %q, want %q", commented, want)
	}
	if readme := idsIn(t, filepath.Join(badExample, "README.md")); !slices.Equal(readme, want) {
		t.Errorf("the example's README names %q, want %q", readme, want)
	}
	for _, f := range rep.Findings {
		if f.Rule == RuleNullOrigin && !strings.Contains(f.Translator, "null") {
			t.Errorf("CG004 does not carry the translator's own error: %+v", f)
		}
		if f.File == "" || f.Line == 0 || f.Object == "" || f.Message == "" || f.Why == "" || f.Fix == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
}

var ruleIDRE = regexp.MustCompile(`CG\d{3}`)

func idsIn(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files %s", pattern)
	}
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ruleIDRE.FindAllString(string(data), -1) {
			seen[id] = true
		}
	}
	var out []string
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

const gatewayYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: app}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: 9000}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{group: corsgate.dev, kind: Backend, name: app}]
`

// withFilter is the route above with a CORS filter.
func withFilter(cors string) string {
	return strings.Replace(gatewayYAML, "  - backendRefs:", "  - filters: [{type: CORS, cors: "+cors+"}]\n    backendRefs:", 1)
}

func withPolicy(spec string) string {
	return gatewayYAML + `---
apiVersion: corsgate.dev/v1alpha1
kind: CORSPolicy
metadata: {name: p}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
` + spec
}

func TestRules(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // "RULE severity field"
		text       string   // in the first finding's message
	}{
		{"clean", withFilter(`{allowOrigins: ["https://app.example.com", "http://localhost:3000"], allowMethods: [GET, PATCH], maxAge: 600}`), nil, ""},
		{"http origin with credentials", withFilter(`{allowOrigins: ["http://app.example.com"], allowCredentials: true}`),
			[]string{"CG005 error spec.rules[0].filters[0].cors.allowOrigins[0]"}, "anyone on the network path"},
		{"any host with credentials", withFilter(`{allowOrigins: ["https://*"], allowCredentials: true}`),
			[]string{"CG001 error spec.rules[0].filters[0].cors.allowOrigins[0]"}, "reflects every https origin"},
		{"opt-in makes CG001 a warning", withPolicy("  allowOrigins: [\"*\"]\n  allowCredentials: true\n  dangerouslyAllowAnyOriginWithCredentials: true\n"),
			[]string{"CG001 warning spec.allowOrigins[0]"}, "acknowledged"},
		{"refused without opt-in", withPolicy("  allowOrigins: [{prefix: \"https://\"}]\n  allowCredentials: true\n"),
			[]string{"CG001 error spec.allowOrigins[0].prefix"}, "admits arbitrary hosts"},
		{"maxAge 0", withPolicy("  allowOrigins: [\"https://a.example\"]\n  maxAge: 0s\n"),
			[]string{"CG007 warning spec.maxAge"}, "maxAge 0"},
		{"maxAge above every cap", withPolicy("  allowOrigins: [\"https://a.example\"]\n  maxAge: 48h\n"),
			[]string{"CG007 warning spec.maxAge"}, "no browser caches"},
		{"lower-case patch", withFilter(`{allowOrigins: ["https://a.example"], allowMethods: [patch]}`),
			[]string{"CG011 warning spec.rules[0].filters[0].cors.allowMethods[0]"}, `write "PATCH"`},
		{"nested wildcards overlap", withFilter(`{allowOrigins: ["https://*.example.com", "https://*.api.example.com"]}`),
			[]string{"CG014 warning spec.rules[0].filters[0].cors.allowOrigins[1]"}, "overlaps with"},
		{"same origin spelled twice", withFilter(`{allowOrigins: ["https://a.example", "https://A.example:443"]}`),
			[]string{"CG006 warning spec.rules[0].filters[0].cors.allowOrigins[1]", "CG014 warning spec.rules[0].filters[0].cors.allowOrigins[1]"}, "read as"},
		{"http prefix", withPolicy("  allowOrigins: [{prefix: \"http://intranet.example:\"}]\n"),
			[]string{"CG005 warning spec.allowOrigins[0].prefix"}, "http origin"},
		{"forward", withPolicy("  allowOrigins: [\"https://a.example\"]\n  unmatchedPreflights: Forward\n"),
			[]string{"CG012 warning spec.unmatchedPreflights"}, "Forward"},
		{"regex with unescaped dots", withPolicy("  allowOrigins: [{regex: \"https://app.example.com\"}]\n"),
			[]string{"CG002 error spec.allowOrigins[0].regex"}, `"https://appxexample.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, probs := config.LoadBytes([]config.NamedBytes{{Name: "in.yaml", Data: []byte(tt.yaml)}})
			rep := Lint(res, probs)
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Rule+" "+f.Severity.String()+" "+f.Field)
			}
			if !slices.Equal(got, tt.want) {
				var b bytes.Buffer
				_ = WriteText(&b, rep)
				t.Fatalf("got %q, want %q\n%s", got, tt.want, b.String())
			}
			if tt.text != "" && !strings.Contains(rep.Findings[0].Message+rep.Findings[0].Fix, tt.text) {
				t.Errorf("message %q, fix %q: want %q", rep.Findings[0].Message, rep.Findings[0].Fix, tt.text)
			}
		})
	}
}

// TestSARIF checks the structure code-scanning services require.
func TestSARIF(t *testing.T) {
	rep := Run([]string{badExample})
	var b bytes.Buffer
	if err := WriteSARIF(&b, rep, "test"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "corsgate" {
		t.Fatalf("bad log header: %+v", log)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(Rules()) || len(run.Results) != len(rep.Findings) {
		t.Fatalf("%d rules, %d results", len(run.Tool.Driver.Rules), len(run.Results))
	}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d is not %s", r.RuleIndex, r.RuleID)
		}
		if !slices.Contains([]string{"error", "warning", "note"}, r.Level) || r.Message.Text == "" {
			t.Errorf("result %+v", r)
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" ||
			r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("locations %+v", r.Locations)
		}
	}
}
