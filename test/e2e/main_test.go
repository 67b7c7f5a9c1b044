package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/corsgate/corsgate/internal/testutil"
)

// corsgateBin is the gateway binary TestMain builds once for the suite.
var corsgateBin string

// TestMain builds ./cmd/corsgate into a temporary directory, so the suite
// runs the gateway exactly as users do: a separate process reading YAML.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "corsgate-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if corsgateBin, err = testutil.BuildCorsgate(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}
