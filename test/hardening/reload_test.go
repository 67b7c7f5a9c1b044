package hardening

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

const appOrigin = "https://app.test"

// newBackend serves "ok" on 127.0.0.1, after delay(path) when given.
func newBackend(t *testing.T, delay func(path string) time.Duration) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if delay != nil {
			time.Sleep(delay(r.URL.Path))
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func portOf(s *httptest.Server) int { return s.Listener.Addr().(*net.TCPAddr).Port }

// tally counts requests and keeps the first few failures.
type tally struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	first        []string
}

func (ty *tally) fail(format string) {
	ty.failed.Add(1)
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if len(ty.first) < 10 {
		ty.first = append(ty.first, format)
	}
}

func newLoadClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}
}

// corsRequest sends an actual CORS GET or a preflight to base/api and
// checks the answer; it returns a description of what was wrong, or "".
func corsRequest(c *http.Client, base string, preflight bool) string {
	method := "GET"
	if preflight {
		method = "OPTIONS"
	}
	req, _ := http.NewRequest(method, base+"/api/items", nil)
	req.Header.Set("Origin", appOrigin)
	if preflight {
		req.Header.Set("Access-Control-Request-Method", "PUT")
	}
	res, err := c.Do(req)
	if err != nil {
		return method + ": " + err.Error()
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	want := 200
	if preflight {
		want = 204
	}
	switch {
	case err != nil:
		return method + ": reading body: " + err.Error()
	case res.StatusCode != want:
		return method + ": status " + strconv.Itoa(res.StatusCode) + ": " + string(body)
	case res.Header.Get("Access-Control-Allow-Origin") != appOrigin:
		return method + ": Access-Control-Allow-Origin " + res.Header.Get("Access-Control-Allow-Origin")
	case !preflight && (string(body) != "ok" || !strings.HasPrefix(res.Header.Get("X-Config"), "v")):
		return method + ": body " + string(body) + ", X-Config " + res.Header.Get("X-Config")
	}
	return ""
}

// TestReloadsUnderLoad: 100 reloads (valid, invalid and listener-changing
// mixed; half by file watch, half by SIGHUP) while an in-test client keeps
// sending CORS requests to the listener that stays. Not one request may
// fail, /readyz stays 200, and every rejected config leaves the previous
// one serving.
func TestReloadsUnderLoad(t *testing.T) {
	backends := []int{portOf(newBackend(t, nil)), portOf(newBackend(t, nil))}
	busy, err := net.Listen("tcp", "127.0.0.1:0") // a port a config cannot bind
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	mainPort, extraPort := testutil.FreePort(t), testutil.FreePort(t)
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	cfg := config{mainPort: mainPort, backendPort: backends[0], version: "v0", allowOrigin: appOrigin}
	writeAtomic(t, path, cfg.String())
	g := startGateway(t, path, "--reload-debounce", "30ms", "--drain-timeout", "5s")
	base := "http://127.0.0.1:" + strconv.Itoa(mainPort)

	const reloads, perReload = 100, 30
	var done atomic.Int64 // reloads finished; paces the load
	ty, stopLoad := pacedLoad(base, &done, perReload)

	extraOn := false
	for i := 1; i <= reloads; i++ {
		c, wantErr := reloadStep(cfg, i, &extraOn, backends, busyPort, extraPort)
		before, _ := g.status(t)
		writeAtomic(t, path, c.String())
		if i%2 == 0 {
			g.signal(t, syscall.SIGHUP)
		}
		if wantErr != "" {
			waitReload(t, g, "rejection of reload "+strconv.Itoa(i), func(st reloadStatus, _ string) bool {
				return st.Reload.Failures > before.Reload.Failures && st.Reload.LastFailure != nil &&
					strings.Contains(strings.Join(st.Reload.LastFailure.Errors, "\n"), wantErr)
			})
		} else {
			waitReload(t, g, "reload "+strconv.Itoa(i), func(_ reloadStatus, body string) bool {
				return strings.Contains(body, `"`+c.version+`"`)
			})
			checkExtraListener(t, extraPort, extraOn, ty)
		}
		if code, body := g.get(t, "/readyz"); code != 200 {
			t.Errorf("reload %d: /readyz %d %s", i, code, body)
		}
		done.Add(1)
	}
	stopLoad()

	st, _ := g.status(t)
	logs := g.log.String()
	t.Logf("reloads: %d attempts (%d by file watch, %d by SIGHUP), %d rejected, generation %d; requests: %d sent, %d failed",
		st.Reload.Attempts, strings.Count(logs, `"trigger":"file"`), strings.Count(logs, `"trigger":"signal"`),
		st.Reload.Failures, st.Reload.ActiveGeneration, ty.sent.Load(), ty.failed.Load())
	if n := ty.failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during reloads; first: %q", n, ty.sent.Load(), ty.first)
	}
	if ty.sent.Load() < reloads*perReload/2 {
		t.Errorf("only %d requests sent; the load did not flow", ty.sent.Load())
	}
	if st.Reload.Attempts < reloads+1 || st.Reload.Failures < 30 {
		t.Errorf("status %+v: want at least %d attempts and 30 rejections", st.Reload, reloads+1)
	}
	g.signal(t, syscall.SIGTERM)
	if code := g.waitExit(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	if strings.Contains(g.log.String(), "panic") {
		t.Errorf("the gateway panicked:\n%s", g.log.Tail(4000))
	}
}

// pacedLoad starts 4 clients sending CORS requests (every fourth a
// preflight) to base, at most perReload per finished reload so the load
// spans them all. stop ends them and waits.
func pacedLoad(base string, done *atomic.Int64, perReload int64) (ty *tally, stop func()) {
	ty = &tally{}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			c := newLoadClient()
			defer c.CloseIdleConnections()
			for i := w; ; i++ {
				select {
				case <-quit:
					return
				default:
				}
				if ty.sent.Load() >= perReload*(done.Load()+1) {
					time.Sleep(2 * time.Millisecond) // ahead of the reloads
					continue
				}
				ty.sent.Add(1)
				if msg := corsRequest(c, base, i%4 == 0); msg != "" {
					ty.fail(msg)
				}
			}
		})
	}
	return ty, func() { close(quit); wg.Wait() }
}

// reloadStep returns the configuration for reload i and, for one that must
// be rejected, a text its errors contain. Of every ten: two add or remove
// the "extra" listener, one has an origin without scheme, one a misspelled
// field, one a listener on a busy port (refused by the data plane, not the
// translator); the others change the backend and a response header.
func reloadStep(base config, i int, extraOn *bool, backends []int, busyPort, extraPort int) (config, string) {
	c := base
	c.version = "v" + strconv.Itoa(i)
	c.backendPort = backends[i%2]
	var wantErr string
	switch i % 10 {
	case 1, 5:
		*extraOn = !*extraOn
	case 3:
		c.allowOrigin = "bad-origin-" + strconv.Itoa(i)
		wantErr = `"bad-origin-` + strconv.Itoa(i) + `"`
	case 6:
		c.typo = true
		wantErr = `unknown field "alowOrigins"`
	case 9:
		c.extraPort = busyPort
		wantErr = "address already in use"
	}
	if *extraOn && c.extraPort == 0 {
		c.extraPort = extraPort
	}
	return c, wantErr
}

// waitReload polls /config until ok holds, for at most 10s.
func waitReload(t *testing.T, g *gateway, what string, ok func(reloadStatus, string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := g.status(t)
		if ok(st, body) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s; /config:\n%s\nlog:\n%s", what, body, g.log.Tail(3000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkExtraListener checks that the listener that comes and goes is there
// (one request, counted in ty) or gone (connections refused).
func checkExtraListener(t *testing.T, port int, on bool, ty *tally) {
	t.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if on {
		c := newLoadClient()
		defer c.CloseIdleConnections()
		ty.sent.Add(1)
		if msg := corsRequest(c, base, false); msg != "" {
			ty.fail("added listener: " + msg)
		}
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			return
		}
		_ = conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("removed listener on port %d still accepts connections", port)
}
