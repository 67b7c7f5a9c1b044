package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// gatewayTemplate is the suite's configuration; see the comments in it.
const gatewayTemplate = "testdata/gateway.yaml.tmpl"

// upstreamHeaderTimeout is the gateway's --upstream-response-header-timeout:
// short, so the slow backend yields a 504 quickly.
const upstreamHeaderTimeout = 500 * time.Millisecond

// gatewayConfig is the data gateway.yaml.tmpl is rendered with.
type gatewayConfig struct {
	HTTP, HTTPS, Page int
	CertPEM, KeyPEM   string
	// Backends maps a Backend name to its 127.0.0.1 port.
	Backends map[string]int
	// BasicPaths maps a path prefix guarded by the /basic policy to the
	// name of its Backend.
	BasicPaths map[string]string
}

// renderConfig writes the rendered configuration into a new directory and
// returns the directory.
func renderConfig(t *testing.T, cfg gatewayConfig) string {
	t.Helper()
	tmpl, err := template.New(filepath.Base(gatewayTemplate)).Funcs(template.FuncMap{
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
		},
	}).ParseFiles(gatewayTemplate)
	if err != nil {
		t.Fatalf("parse %s: %v", gatewayTemplate, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, cfg); err != nil {
		t.Fatalf("render %s: %v", gatewayTemplate, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gateway.yaml"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lockedBuffer collects output written from other goroutines.
type lockedBuffer = testutil.SyncBuffer

// startGateway runs `corsgate run -c dir` with its admin server on
// adminPort until the test ends, waits for /readyz, and returns the process
// output (its tail is printed when the test fails).
func startGateway(t *testing.T, dir string, adminPort int) *lockedBuffer {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(corsgateBin, "run", "-c", dir,
		"--admin-addr", "127.0.0.1:"+strconv.Itoa(adminPort),
		"--upstream-response-header-timeout", upstreamHeaderTimeout.String(),
		"--drain-timeout", "1s", "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start corsgate: %v", err)
	}
	exited := make(chan struct{}) // closed when the process has ended
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("corsgate did not stop within 5s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("corsgate output (last %d lines):\n%s", logTail, tail(out.String(), logTail))
		}
	})
	waitReady(t, "http://127.0.0.1:"+strconv.Itoa(adminPort)+"/readyz", exited, func() error { return waitErr }, out)
	return out
}

// waitReady polls url until it answers 200, for at most 15 seconds.
func waitReady(t *testing.T, url string, exited <-chan struct{}, waitErr func() error, out *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("corsgate exited before it was ready (%v); output:\n%s", waitErr(), out.String())
		case <-ctx.Done():
			t.Fatalf("corsgate not ready within 15s; output:\n%s", out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// logTail is how many lines of the gateway's log a failure shows.
const logTail = 80

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
