package scale

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
)

// Cases are the sizes measured. The growth ratios of docs/performance.md
// compare routes=10 with routes=10000 (same origins), the config-wide
// origin pool 10 with 10000 (10,000 routes), and 10 with 64 origins per
// policy (64 is the most a policy may list).
var Cases = []Case{
	{Routes: 10, OriginsPerPolicy: 10, OriginPool: 10},
	{Routes: 1000, OriginsPerPolicy: 10, OriginPool: 10},
	{Routes: 10000, OriginsPerPolicy: 10, OriginPool: 10},
	{Routes: 1000, OriginsPerPolicy: 10, OriginPool: 10000},
	{Routes: 10000, OriginsPerPolicy: 10, OriginPool: 10000},
	{Routes: 10, OriginsPerPolicy: 64, OriginPool: 64},
}

// fixture is one case loaded, translated and applied, shared by every
// benchmark and -count repetition of the case.
type fixture struct {
	res       *config.Resources
	snap      *ir.Snapshot
	gw        *dataplane.Gateway
	port      int
	reqs      []*http.Request
	snapBytes uint64 // heap retained by the snapshot
	rtBytes   uint64 // heap retained by Gateway.Apply on top of it
	yamlBytes int
}

var fixtures = map[Case]*fixture{}

func TestMain(m *testing.M) {
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	for _, f := range fixtures {
		_ = f.gw.Shutdown(ctx)
	}
	cancel()
	os.Exit(code)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// heap returns the live heap after a full collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func load(tb testing.TB, c Case) *fixture {
	if f := fixtures[c]; f != nil {
		return f
	}
	port := freePort(tb)
	yaml := c.YAML(port)
	res, probs := config.LoadBytes([]config.NamedBytes{{Name: "scale.yaml", Data: yaml}})
	if err := probs.Err(); err != nil {
		tb.Fatalf("%s: %v", c.Name(), err)
	}
	before := heap()
	snap, probs := config.Translate(res, config.Options{})
	if err := probs.Err(); err != nil {
		tb.Fatalf("%s: %v", c.Name(), err)
	}
	mid := heap()
	gw := dataplane.New(dataplane.Options{
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(),
	})
	if err := gw.Apply(snap); err != nil {
		tb.Fatalf("%s: apply: %v", c.Name(), err)
	}
	after := heap()
	f := &fixture{res: res, snap: snap, gw: gw, port: port, reqs: c.Requests(),
		snapBytes: mid - min(before, mid), rtBytes: after - min(mid, after), yamlBytes: len(yaml)}
	fixtures[c] = f
	return f
}

// BenchmarkTranslate measures config.Translate (route translation and CORS
// policy compilation) of an already decoded configuration, and reports the
// heap the resulting snapshot retains (snapshot-B) and what Apply adds to it
// (runtime-B).
func BenchmarkTranslate(b *testing.B) {
	for _, c := range Cases {
		b.Run(c.Name(), func(b *testing.B) {
			f := load(b, c)
			b.ReportAllocs()
			for b.Loop() {
				if _, probs := config.Translate(f.res, config.Options{}); len(probs.Errors()) > 0 {
					b.Fatal(probs.Err())
				}
			}
			b.ReportMetric(float64(f.snapBytes), "snapshot-B")
			b.ReportMetric(float64(f.rtBytes), "runtime-B")
			b.ReportMetric(float64(f.yamlBytes), "yaml-B")
		})
	}
}

// BenchmarkRequest measures one allowed preflight through
// Gateway.HandlerFor(port).ServeHTTP: listener lookup, host and path
// routing, CORS evaluation and the local 204, with metrics on as in
// `corsgate run`. It cycles through Probes requests aimed at routes spread
// evenly over the configuration.
func BenchmarkRequest(b *testing.B) {
	for _, c := range Cases {
		b.Run(c.Name(), func(b *testing.B) {
			f := load(b, c)
			h := f.gw.HandlerFor(f.port)
			w := &discard{h: make(http.Header, 16)}
			for _, r := range f.reqs { // every probe must reach its policy
				clear(w.h)
				w.status = 0
				h.ServeHTTP(w, r)
				if w.status != http.StatusNoContent || w.h.Get("Access-Control-Allow-Origin") != r.Header.Get("Origin") {
					b.Fatalf("%s %s%s: status %d, ACAO %q", c.Name(), r.Host, r.URL.Path, w.status, w.h.Get("Access-Control-Allow-Origin"))
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, f.reqs[i%Probes])
				i++
			}
		})
	}
}

// TestPolicyOriginLimit records that a single policy cannot list 10,000
// origins: corsgate refuses more than 64 per allowOrigins (the Gateway API
// limit), so "10,000 allowed origins" is measured as a config-wide pool.
func TestPolicyOriginLimit(t *testing.T) {
	c := Case{Routes: 1, OriginsPerPolicy: 10000, OriginPool: 10000}
	res, probs := config.LoadBytes([]config.NamedBytes{{Name: "one-policy.yaml", Data: c.YAML(18080)}})
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	_, probs = config.Translate(res, config.Options{})
	errs := probs.Errors()
	if len(errs) == 0 {
		t.Fatal("a policy of 10,000 origins compiled; update docs/performance.md and add it to Cases")
	}
	msg := errs[0].Error()
	if i := strings.Index(msg, "has 10000 entries"); i >= 0 {
		msg = msg[i:]
	}
	t.Logf("one policy with 10,000 allowOrigins is refused: %s", msg)
}

type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header               { return d.h }
func (d *discard) Write(b []byte) (int, error)       { return len(b), nil }
func (d *discard) WriteString(s string) (int, error) { return len(s), nil }
func (d *discard) WriteHeader(code int)              { d.status = code }
