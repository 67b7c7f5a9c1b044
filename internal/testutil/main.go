package testutil

import (
	"fmt"
	"os"
	"testing"
)

// RunInTempDir is the body of a TestMain whose tests share a temporary
// directory: it creates one (named as os.MkdirTemp names it from pattern),
// lets setup fill it (build a binary, point a tool's home there), runs the
// tests, removes the directory and returns the exit code for os.Exit. A
// failure to create or set up the directory is printed and returns 1.
func RunInTempDir(m *testing.M, pattern string, setup func(dir string) error) int {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
