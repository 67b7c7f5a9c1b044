package hardening

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// TestShutdownUnderLoadLosesNothing: SIGTERM while requests flow, some of
// them slow. /readyz turns 503 at once, new connections are refused, every
// request the gateway accepted completes with 200, and the exit status is 0.
func TestShutdownUnderLoadLosesNothing(t *testing.T) {
	be := newBackend(t, func(path string) time.Duration {
		if strings.HasSuffix(path, "/slow") {
			return time.Second
		}
		return 20 * time.Millisecond
	})
	port := testutil.FreePort(t)
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	writeAtomic(t, path, config{mainPort: port, backendPort: portOf(be), version: "v1", allowOrigin: appOrigin}.String())
	g := startGateway(t, path, "--drain-timeout", "10s")
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/api/"

	var ld shutdownLoad
	ld.start(base, 8, 2000)
	ok, slowOK := &ld.ok, &ld.slowOK
	waitCount(t, ok, 200)
	// A slow request has been in flight for a while: it was accepted.
	inFlight := ld.slowStarted.Load() - slowOK.Load()
	okBefore := ok.Load()
	g.signal(t, syscall.SIGTERM)
	sawNotReady := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		code, body := g.get(t, "/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, "draining") {
			sawNotReady = true
			break
		}
		if code == 0 {
			break // the admin server is gone: the process is exiting
		}
		time.Sleep(5 * time.Millisecond)
	}
	exit := g.waitExit(t, 15*time.Second)
	ld.wg.Wait()
	ty := &ld.ty

	t.Logf("shutdown: %d requests answered 200 (%d of them after SIGTERM, %d slow), %d refused after the listener closed, %d lost",
		ok.Load(), ok.Load()-okBefore, slowOK.Load(), ld.refused.Load(), ty.failed.Load())
	if exit != 0 {
		t.Errorf("exit status %d, want 0", exit)
	}
	if !sawNotReady {
		t.Error("/readyz never answered 503 during the drain")
	}
	if n := ty.failed.Load(); n != 0 {
		t.Errorf("%d accepted requests lost; first: %q", n, ty.first)
	}
	if inFlight < 1 || slowOK.Load() < inFlight {
		t.Errorf("%d slow requests in flight at SIGTERM, %d completed; want every one", inFlight, slowOK.Load())
	}
	for _, want := range []string{`"msg":"shutting down","signal":"terminated"`, `"msg":"stopped"`} {
		if !strings.Contains(g.log.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

// shutdownLoad is clients that send until the gateway refuses connections:
// one sends only slow requests, the others fast ones.
type shutdownLoad struct {
	ok, refused, slowOK, slowStarted, sent atomic.Int64
	ty                                     tally
	wg                                     sync.WaitGroup
}

func (ld *shutdownLoad) start(base string, workers int, maxRequests int64) {
	for w := range workers {
		ld.wg.Go(func() {
			c := newLoadClient()
			defer c.CloseIdleConnections()
			for ld.sent.Add(1) <= maxRequests {
				url := base + "items"
				if w == 0 {
					url = base + "slow"
					ld.slowStarted.Add(1)
				}
				res, err := c.Get(url)
				if err != nil {
					if isRefused(err) {
						ld.refused.Add(1) // stopped accepting: not an accepted request
						return
					}
					ld.ty.fail(err.Error())
					return
				}
				body, err := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if err != nil || res.StatusCode != 200 || string(body) != "ok" {
					ld.ty.fail("status " + strconv.Itoa(res.StatusCode) + " body " + string(body))
					continue
				}
				ld.ok.Add(1)
				if w == 0 {
					ld.slowOK.Add(1)
				}
			}
		})
	}
}

func waitCount(t *testing.T, n *atomic.Int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d responses within 10s", n.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestInvalidConfigAtStartup: the real binary refuses a broken
// configuration with every error (FILE:LINE) and a non-zero exit status,
// and binds nothing.
func TestInvalidConfigAtStartup(t *testing.T) {
	port := testutil.FreePort(t)
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	cfg := config{mainPort: port, backendPort: 1, version: "v1", allowOrigin: "example.com"}.String()
	cfg = strings.Replace(cfg, "protocol: HTTP}", "protocol: UDP}", 1)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", "-c", path, "--admin-addr", "")
	out, err := cmd.CombinedOutput()
	ee, isExit := err.(*exec.ExitError)
	if !isExit || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; output:\n%s", err, out)
	}
	for _, want := range []string{
		path + ":7: Gateway default/gw: spec.listeners[0].protocol",
		path + ":19: HTTPRoute default/api: spec.rules[0].filters[0].cors.allowOrigins[0]",
		"the configuration has 2 error(s); nothing was started",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
