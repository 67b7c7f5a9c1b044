package testutil

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// BuildCorsgate builds the corsgate binary into dir and returns its path,
// for tests that run it as a real process (e2e, hardening, kube). flags go
// to `go build` (for example -race).
func BuildCorsgate(dir string, flags ...string) (string, error) {
	bin := filepath.Join(dir, "corsgate")
	args := append(append([]string{"build"}, flags...), "-o", bin, "github.com/corsgate/corsgate/cmd/corsgate")
	build := exec.Command("go", args...)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building corsgate failed: %w\n%s", err, out)
	}
	return bin, nil
}
