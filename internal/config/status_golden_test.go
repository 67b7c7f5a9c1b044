package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestStatusGolden runs every testdata/status/NAME.in.yaml through Load and
// TranslateStatus and compares the problems, the report and the snapshot
// with NAME.out.yaml. The first line of an input may set the options as
// JSON: "# options: {"Kubernetes": true, "PortOffset": 10000}".
// Regenerate with: go test ./internal/config -run TestStatusGolden -update
func TestStatusGolden(t *testing.T) {
	runGolden(t, "testdata/status", statusGolden)
}

func statusGolden(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var opts Options
	first, _, _ := strings.Cut(string(data), "\n")
	if js, ok := strings.CutPrefix(first, "# options: "); ok {
		if err := json.Unmarshal([]byte(js), &opts); err != nil {
			t.Fatalf("options line: %v", err)
		}
	}
	res, problems := Load([]string{path})
	if problems.Err() != nil {
		t.Fatalf("load: %v", problems)
	}
	snap, rep, tp := TranslateStatus(res, opts)
	var b strings.Builder
	b.WriteString("# problems\n")
	for _, p := range tp {
		b.WriteString("# " + p.Error() + "\n")
	}
	y, err := yaml.Marshal(map[string]any{"report": rep, "listeners": snap.Listeners, "backends": snap.Backends})
	if err != nil {
		t.Fatal(err)
	}
	b.Write(y)
	return []byte(b.String())
}
