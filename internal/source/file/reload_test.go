package file

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/source"
)

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// applier records what a Reloader applies and can be told to refuse.
type applier struct {
	refuse atomic.Bool
	mu     sync.Mutex
	snaps  []*ir.Snapshot
}

func (a *applier) apply(s *ir.Snapshot) error {
	if a.refuse.Load() {
		return errors.New("dataplane: listener port 8080: address already in use\nsecond line")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.snaps = append(a.snaps, s)
	return nil
}

func (a *applier) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.snaps)
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

const invalidConfig = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: UDP}]
`

func TestReloaderKeepsValidConfigAndRecordsFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	writeFile(t, path, validConfig)
	var logs logBuffer
	m := metrics.New()
	a := &applier{}
	r := NewReloader(&Source{Paths: []string{dir}}, a.apply, ReloaderOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: m})

	if ps, err := r.Start(); err != nil || len(ps) != 0 {
		t.Fatalf("Start: %v %v", ps, err)
	}
	if logs.String() != "" {
		t.Errorf("Start logged (the CLI prints start-up problems): %s", logs.String())
	}

	writeFile(t, path, invalidConfig)
	if err := r.Reload(source.TriggerSignal); err == nil {
		t.Fatal("invalid config reloaded")
	}
	st := r.Status()
	if st.ActiveGeneration != 1 || st.Attempts != 2 || st.Failures != 1 || st.LastResult != "failure" || a.count() != 1 {
		t.Errorf("after a rejected reload: %+v, %d applied", st, a.count())
	}
	f := st.LastFailure
	if f == nil || f.Number != 2 || f.Generation != 1 || f.Trigger != "signal" || f.Time.IsZero() ||
		len(f.Errors) != 1 || !strings.HasPrefix(f.Errors[0], path+":6: Gateway default/gw: spec.listeners[0].protocol") {
		t.Errorf("last failure = %+v", f)
	}
	for _, want := range []string{"configuration problem", path + ":6:", "reload rejected: the running configuration keeps serving", "generation=1"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}

	// Refused by apply (a port in use): also a failure, the error recorded.
	writeFile(t, path, validConfig)
	a.refuse.Store(true)
	if err := r.Reload(source.TriggerFile); err == nil {
		t.Fatal("apply error not returned")
	}
	if f := r.Status().LastFailure; f.Number != 3 || len(f.Errors) != 2 || !strings.Contains(f.Errors[0], "address already in use") {
		t.Errorf("apply failure = %+v", f)
	}

	a.refuse.Store(false)
	if err := r.Reload(source.TriggerFile); err != nil {
		t.Fatal(err)
	}
	st = r.Status()
	// Generation 2 went to the snapshot apply refused.
	if st.ActiveGeneration != 3 || st.LastSuccess.Number != 4 || st.LastResult != "success" || st.Failures != 2 {
		t.Errorf("after recovery: %+v", st)
	}

	for name, want := range map[string]float64{
		metrics.ConfigGeneration:           3,
		metrics.ConfigLastReloadSuccessful: 1,
		metrics.ConfigLastReloadErrors:     0,
	} {
		if got := gauge(t, m, name, ""); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := gauge(t, m, metrics.ConfigReloadsTotal, "failure"); got != 2 {
		t.Errorf("failed reloads = %v, want 2", got)
	}
}

// gauge returns the value of the sample of name (with result label result
// when not empty).
func gauge(t *testing.T, m *metrics.Metrics, name, result string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			if result != "" && (len(s.GetLabel()) != 1 || s.GetLabel()[0].GetValue() != result) {
				continue
			}
			if s.GetCounter() != nil {
				return s.GetCounter().GetValue()
			}
			return s.GetGauge().GetValue()
		}
	}
	return -1
}

func TestErrorLinesAreBounded(t *testing.T) {
	lines := errorLines(nil, errors.New(strings.Repeat("x\n", 500)+"x"))
	if len(lines) != source.MaxErrors || !strings.Contains(lines[len(lines)-1], "402 more") {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestWatchSet(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "routes")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	ws := watchSetFor([]string{filepath.Join(dir, "gw.yaml"), sub})
	for name, want := range map[string]bool{
		filepath.Join(dir, "gw.yaml"):        true,
		filepath.Join(dir, "other.yaml"):     false,
		filepath.Join(dir, "..data"):         true, // a ConfigMap update
		filepath.Join(sub, "a.yml"):          true,
		filepath.Join(sub, "a.yaml.swp"):     false,
		filepath.Join(sub, "..2024_01_01"):   true,
		filepath.Join(t.TempDir(), "x.yaml"): false,
	} {
		if got := ws.relevant(name); got != want {
			t.Errorf("relevant(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestWatchReloadsOnceAfterBurst: a burst of writes causes one debounced
// reload; an invalid save is rejected and the valid config keeps serving.
func TestWatchReloadsOnceAfterBurst(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	writeFile(t, path, validConfig)
	a := &applier{}
	r := NewReloader(&Source{Paths: []string{path}}, a.apply, ReloaderOptions{Debounce: 50 * time.Millisecond})
	if _, err := r.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the watch start

	for i := range 5 {
		writeFile(t, path, validConfig+strings.Repeat("\n", i))
	}
	waitStatus(t, r, func(st source.Status) bool { return st.Attempts >= 2 })
	time.Sleep(200 * time.Millisecond) // no second reload for the same burst
	if st := r.Status(); st.Attempts != 2 || st.ActiveGeneration != 2 {
		t.Errorf("after one burst: %+v, want exactly one reload", st)
	}

	// Editors often write a temporary file and rename it over the original.
	tmp := filepath.Join(dir, ".gw.yaml.tmp")
	writeFile(t, tmp, invalidConfig)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r, func(st source.Status) bool { return st.Failures == 1 })
	if st := r.Status(); st.ActiveGeneration != 2 || a.count() != 2 {
		t.Errorf("invalid save replaced the config: %+v", st)
	}
}

func waitStatus(t *testing.T, r *Reloader, ok func(source.Status) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok(r.Status()) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never reached the expected state: %+v", r.Status())
}
