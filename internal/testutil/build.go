package testutil

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// BuildCorsgate builds the corsgate binary into dir and returns its path,
// for tests that run it as a real process (e2e, hardening, kube).
func BuildCorsgate(dir string) (string, error) {
	bin := filepath.Join(dir, "corsgate")
	build := exec.Command("go", "build", "-o", bin, "github.com/corsgate/corsgate/cmd/corsgate")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building corsgate failed: %w\n%s", err, out)
	}
	return bin, nil
}
