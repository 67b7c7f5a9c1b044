package testutil

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// YAMLFiles lists the YAML files of root/dir, relative to root, and fails
// the test when there are none.
func YAMLFiles(t testing.TB, root, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example %s has no YAML: %v", filepath.Join(root, dir), err)
	}
	for i, f := range files {
		if files[i], err = filepath.Rel(root, f); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// CopyWithPorts copies files (relative to root) into a new temp dir, flat
// ("a/b.yaml" becomes "a-b.yaml"), replacing each whole number that is a
// key of ports by its value, and returns the dir. Tests use it to move an
// example's listeners and upstreams to free loopback ports.
func CopyWithPorts(t testing.TB, root string, files []string, ports map[int]int) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for from, to := range ports {
			b = regexp.MustCompile(`\b`+strconv.Itoa(from)+`\b`).ReplaceAll(b, []byte(strconv.Itoa(to)))
		}
		if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(f, "/", "-")), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
