package hardening

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// binary is the corsgate executable TestMain builds for every test.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testutil.RunInTempDir(m, "corsgate-hardening-", func(dir string) (err error) {
		binary, err = testutil.BuildCorsgate(dir)
		return err
	}))
}

// logBuffer collects output written from other goroutines.
type logBuffer = testutil.SyncBuffer

// gateway is a running corsgate process.
type gateway struct {
	cmd    *exec.Cmd
	log    *logBuffer
	admin  string        // admin server host:port
	exited chan struct{} // closed when the process ended
	err    error         // Wait's result, once exited is closed
}

// startGateway runs `corsgate run -c cfg args...` with JSON logs and an
// admin server on a free port, and waits until /readyz answers 200. The
// process is killed at the end of the test if it still runs.
func startGateway(t *testing.T, cfg string, args ...string) *gateway {
	t.Helper()
	args = append([]string{"run", "-c", cfg, "--admin-addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	g := &gateway{cmd: exec.Command(binary, args...), log: &logBuffer{}, exited: make(chan struct{})}
	pr, pw := io.Pipe()
	g.cmd.Stderr = pw
	adminAddr := make(chan string, 1)
	go scanLog(pr, g.log, adminAddr)
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.err = g.cmd.Wait()
		_ = pw.Close()
		close(g.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-g.exited:
		default:
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	})
	select {
	case g.admin = <-adminAddr:
	case <-g.exited:
		t.Fatalf("corsgate exited at start-up (%v):\n%s", g.err, g.log.Tail(4000))
	case <-time.After(20 * time.Second):
		t.Fatalf("no admin server address logged within 20s:\n%s", g.log.Tail(4000))
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := g.get(t, "/readyz"); code == 200 {
			return g
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("/readyz not 200 within 10s:\n%s", g.log.Tail(4000))
	return nil
}

// scanLog copies the JSON log lines to buf and reports the admin address.
func scanLog(r io.Reader, buf *logBuffer, adminAddr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = buf.Write(append(line, '\n'))
		if sent || !bytes.Contains(line, []byte(`"msg":"admin server"`)) {
			continue
		}
		var rec struct{ Address string }
		if json.Unmarshal(line, &rec) == nil && rec.Address != "" {
			adminAddr <- rec.Address
			sent = true
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

var adminClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}

// get fetches an admin path; code is 0 when the request failed.
func (g *gateway) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := adminClient.Get("http://" + g.admin + path)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// reloadStatus is the part of /config these tests read.
type reloadStatus struct {
	Generation uint64 `json:"generation"`
	Listeners  []struct {
		Port int `json:"port"`
	} `json:"listeners"`
	Reload struct {
		ActiveGeneration uint64 `json:"activeGeneration"`
		Attempts         uint64 `json:"attempts"`
		Failures         uint64 `json:"failures"`
		LastFailure      *struct {
			Number uint64   `json:"attempt"`
			Errors []string `json:"errors"`
		} `json:"lastFailure"`
	} `json:"reload"`
}

func (g *gateway) status(t *testing.T) (reloadStatus, string) {
	t.Helper()
	code, body := g.get(t, "/config")
	var st reloadStatus
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("/config: %d %s", code, body)
	}
	return st, body
}

func (g *gateway) signal(t *testing.T, s os.Signal) {
	t.Helper()
	if err := g.cmd.Process.Signal(s); err != nil {
		t.Fatalf("signal %v: %v", s, err)
	}
}

// waitExit waits for the process to end and returns its exit code.
func (g *gateway) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-g.exited:
	case <-time.After(within):
		t.Fatalf("corsgate still running %v after the signal:\n%s", within, g.log.Tail(4000))
	}
	var ee *exec.ExitError
	if errors.As(g.err, &ee) {
		return ee.ExitCode()
	}
	if g.err != nil {
		t.Fatalf("wait: %v", g.err)
	}
	return 0
}

// writeAtomic replaces path the way editors and Kubernetes do: write a
// temporary file, then rename it over the original.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// isRefused reports whether err is a refused connection: the request was
// never accepted, which is what a stopped listener does.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// config renders the test configuration: listener "main" (and "extra" when
// extraPort is set) routing /api to the backend on backendPort with a CORS
// policy for allowOrigin and an X-Config response header.
type config struct {
	mainPort, extraPort, backendPort int
	version                          string
	allowOrigin                      string
	typo                             bool // misspell a field: a decode error
}

func (c config) String() string {
	var b strings.Builder
	b.WriteString(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners:
  - {name: main, port: ` + strconv.Itoa(c.mainPort) + `, protocol: HTTP}
`)
	if c.extraPort != 0 {
		b.WriteString(`  - {name: extra, port: ` + strconv.Itoa(c.extraPort) + `, protocol: HTTP}
`)
	}
	origins := "allowOrigins"
	if c.typo {
		origins = "alowOrigins"
	}
	b.WriteString(`---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    filters:
    - type: CORS
      cors:
        ` + origins + `: ["` + c.allowOrigin + `"]
        allowMethods: [GET, PUT]
        allowCredentials: true
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: X-Config, value: "` + c.version + `"}]
    backendRefs: [{group: corsgate.dev, kind: Backend, name: app}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: app}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ` + strconv.Itoa(c.backendPort) + `}}]
`)
	return b.String()
}
