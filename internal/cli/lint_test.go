package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compareGolden compares got with the golden file at path (relative to
// the package directory), rewriting it with -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
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
}

// TestLintGolden lints examples/bad-cors from the repository root, so the
// outputs name the files as a user there sees them. The golden files are
// rewritten with `go test ./internal/cli -run TestLint -update`.
func TestLintGolden(t *testing.T) {
	pkg, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	for _, format := range []string{"text", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main([]string{"lint", "-c", "examples/bad-cors", "--format", format}, &stdout, &stderr)
			if code != 1 || stderr.Len() > 0 {
				t.Errorf("exit %d, stderr %q; want 1 and nothing", code, stderr.String())
			}
			compareGolden(t, filepath.Join(pkg, "testdata", "lint", "bad-cors."+format), stdout.String())
		})
	}
}

func TestLintExitStatus(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lint", "-c", "testdata/explain"}, 0, "no findings\n"},
		{[]string{"lint", "-c", "testdata/explain", "--format", "xml"}, 2, `--format "xml": use text, json or sarif`},
		{[]string{"lint"}, 2, "give at least one -c PATH"},
		{[]string{"lint", "-c", "testdata/nonexistent"}, 1, "CG100 config-error"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Main(tt.args, &stdout, &stderr)
		if out := stdout.String() + stderr.String(); code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("%q: exit %d, output %q; want %d and %q", tt.args, code, out, tt.code, tt.want)
		}
	}
}
