package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/ir"

	"sigs.k8s.io/yaml"
)

// TestTranslateGolden runs every testdata/translate/NAME.in.yaml through
// Load and Translate and compares the problems and the snapshot with
// NAME.out.yaml. Regenerate with: go test ./internal/config -run TestTranslateGolden -update
func TestTranslateGolden(t *testing.T) {
	runGolden(t, "testdata/translate", translateGolden)
}

// runGolden renders every DIR/NAME.in.yaml, in a subtest NAME, and
// compares the result with DIR/NAME.out.yaml, or writes it there with
// -update.
func runGolden(t *testing.T, dir string, render func(t *testing.T, in string) []byte) {
	t.Helper()
	ins, err := filepath.Glob(filepath.Join(dir, "*.in.yaml"))
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			got := render(t, in)
			out := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != string(got) {
				t.Errorf("%s differs from the translation; diff with -update and review:\n--- got ---\n%s", out, got)
			}
		})
	}
}

// translateGolden renders what Translate made of one input file.
func translateGolden(t *testing.T, path string) []byte {
	t.Helper()
	res, problems := Load([]string{path})
	var snap *ir.Snapshot
	if problems.Err() == nil {
		var tp Problems
		snap, tp = Translate(res, Options{})
		problems = append(problems, tp...)
	}
	problems.Sort()
	var b strings.Builder
	b.WriteString("# problems\n")
	for _, p := range problems {
		b.WriteString("# " + p.Error() + "\n")
	}
	if snap != nil {
		y, err := yaml.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(y)
	}
	return []byte(b.String())
}
