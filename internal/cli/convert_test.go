package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/config"
)

// Golden files: go test ./internal/cli -run TestConvertGolden -update
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

// convertCLI runs `corsgate convert args...` in-process.
func convertCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = MainContext(context.Background(), append([]string{"convert"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestConvertGolden converts every testdata/convert/NAME.yaml and compares
// the exit code, stderr (as comments) and stdout with NAME.golden.
func TestConvertGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/convert/*.yaml")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := convertCLI("-c", in)
			var b strings.Builder
			b.WriteString("# exit " + strconv.Itoa(code) + "\n")
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if l != "" {
					b.WriteString("# stderr: " + l + "\n")
				}
			}
			b.WriteString(stdout)
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if updating() {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != b.String() {
				t.Errorf("%s differs; review with -update and git diff. got:\n%s", golden, b.String())
			}
		})
	}
}

// TestConvertKeepsIR proves, for every example, that serving the converted
// output gives the same IR as serving the example itself (Source fields,
// which name the files, aside), and that the output has one file per
// input file with a comment per converted object.
func TestConvertKeepsIR(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*")
	n := 0
	for _, dir := range dirs {
		if ys, _ := filepath.Glob(filepath.Join(dir, "*.yaml")); len(ys) == 0 {
			continue
		}
		if res, ps := config.Load([]string{dir}); ps.Err() != nil && len(res.Objects) == 0 {
			t.Logf("%s: not a corsgate configuration (no object decodes), skipped", dir)
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			before, errs := translateDir(t, dir)
			if errs != nil {
				// A deliberately broken example: convert must refuse it
				// with the same errors and write nothing.
				code, stdout, stderr := convertCLI("-c", dir)
				if code != 1 || stdout != "" {
					t.Fatalf("convert of a config with errors: exit %d, stdout %q", code, stdout)
				}
				for _, e := range errs {
					if !strings.Contains(stderr, e.Error()) {
						t.Errorf("convert does not report %q; stderr:\n%s", e.Error(), stderr)
					}
				}
				return
			}
			out := t.TempDir()
			code, stdout, stderr := convertCLI("-c", dir, "-o", out)
			if code != 0 || stdout != "" {
				t.Fatalf("convert exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			ins, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
			for _, in := range ins {
				b, err := os.ReadFile(filepath.Join(out, filepath.Base(in)))
				if err != nil {
					t.Fatalf("no output for %s: %v", in, err)
				}
				if !bytes.Contains(b, []byte("# corsgate convert: native configuration for "+in)) {
					t.Errorf("%s lacks its header comment", in)
				}
			}
			after, errs := translateDir(t, out)
			if errs != nil {
				t.Fatalf("the converted output does not translate:\n%s", errs)
			}
			if !reflect.DeepEqual(before, after) {
				a, _ := json.MarshalIndent(before, "", " ")
				b, _ := json.MarshalIndent(after, "", " ")
				t.Errorf("IR differs after conversion.\nbefore:\n%s\nafter:\n%s", a, b)
			}
		})
	}
	if n == 0 {
		t.Fatal("no examples found")
	}
}

// translateDir loads and translates dir and returns the IR as generic JSON
// without "source" fields, or the errors.
func translateDir(t *testing.T, dir string) (any, config.Problems) {
	t.Helper()
	res, ps := config.Load([]string{dir})
	snap, tp := config.Translate(res, config.Options{})
	if ps = append(ps, tp...); ps.Err() != nil {
		return nil, ps.Errors()
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return dropSource(v), nil
}

// locationRE matches a FILE:LINE reference inside IR text, such as the
// "(policy.yaml:21)" of a CORS chain entry.
var locationRE = regexp.MustCompile(`\s*\(?[^\s()]+\.ya?ml:\d+\)?`)

// dropSource removes what names the input files: "source" fields and
// FILE:LINE references in text.
func dropSource(v any) any {
	switch x := v.(type) {
	case string:
		return locationRE.ReplaceAllString(x, "")
	case map[string]any:
		delete(x, "source")
		for k, e := range x {
			x[k] = dropSource(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropSource(e)
		}
	}
	return v
}

func TestConvertOutputDirRefusals(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(in, []byte("apiVersion: corsgate.dev/v1alpha1\nkind: Backend\nmetadata: {name: b}\nspec: {endpoints: [{ip: {address: 127.0.0.1, port: 1}}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := convertCLI("-c", in, "-o", dir)
	if code != 2 || !strings.Contains(stderr, "would overwrite the input") {
		t.Errorf("exit %d, stderr %q; want a refusal to overwrite the input", code, stderr)
	}
	other := t.TempDir()
	sub := filepath.Join(other, "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	in2 := filepath.Join(sub, "a.yaml")
	if err := os.WriteFile(in2, []byte("apiVersion: corsgate.dev/v1alpha1\nkind: Backend\nmetadata: {name: c}\nspec: {endpoints: [{ip: {address: 127.0.0.1, port: 1}}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = convertCLI("-c", in, "-c", in2, "-o", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "would both be written to") {
		t.Errorf("exit %d, stderr %q; want a refusal to write two sources to one file", code, stderr)
	}
	if code, _, stderr = convertCLI(); code != 2 || !strings.Contains(stderr, "give at least one -c PATH") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
