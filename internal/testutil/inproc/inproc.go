// Package inproc runs `corsgate run` inside the test process, for tests
// that serve real configuration without building the binary. It is apart
// from testutil because it imports internal/cli, whose own tests import
// testutil.
package inproc

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/cli"
	"github.com/corsgate/corsgate/internal/testutil"
)

// Run runs `corsgate run -c dir extra...` in-process, with its admin
// server on a free port, until the test ends, and returns its stderr once
// /readyz answers 200. It fails the test if the gateway exits or is not
// ready within 10s, or does not stop within 10s of the test's end.
func Run(t testing.TB, dir string, extra ...string) *testutil.SyncBuffer {
	t.Helper()
	admin := strconv.Itoa(testutil.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &testutil.SyncBuffer{}
	done := make(chan int, 1)
	args := append([]string{"run", "-c", dir, "--admin-addr", "127.0.0.1:" + admin, "--drain-timeout", "1s"}, extra...)
	go func() { done <- cli.MainContext(ctx, args, io.Discard, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("corsgate run -c %s did not stop within 10s", dir)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if resp, err := http.Get("http://127.0.0.1:" + admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stderr
			}
		}
		select {
		case code := <-done:
			t.Fatalf("corsgate run -c %s exited with %d:\n%s", dir, code, stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("corsgate run -c %s not ready within 10s:\n%s", dir, stderr)
	return nil
}
