package dataplane

import (
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/policy"
)

// sampleValue returns the value of the counter or gauge sample of family
// name whose labels include want, or -1 when there is none.
func sampleValue(t *testing.T, m *metrics.Metrics, name string, want map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case s.GetCounter() != nil:
				return s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				return s.GetGauge().GetValue()
			case s.GetHistogram() != nil:
				return float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

func TestRequestMetricsAndAccessLog(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	r := newRoute("api", prefixMatch("/api"), weighted(b.irBackend(), 1))
	r.CORS = compileCORS(t, strictSpec)
	m := metrics.New()
	var access, logs syncBuffer
	g := startGateway(t, newSnapshot(1, httpListener(7, vhost("", r))), Options{
		Metrics:   m,
		AccessLog: slog.New(slog.NewJSONHandler(&access, nil)),
		Logger:    slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	c := newClient(t)
	url := baseURL(t, g, 7)
	pre := func(extra map[string]string) map[string]string {
		h := map[string]string{"Origin": appOrigin, policy.HeaderRequestMethod: "PUT"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	requests := []struct {
		method, path string
		hdr          map[string]string
		route, class string
		cors         metrics.Outcome
	}{
		{"GET", "/api", nil, "api", "2xx", metrics.NotCORS},
		{"GET", "/api", map[string]string{"Origin": appOrigin}, "api", "2xx", metrics.Allowed},
		{"GET", "/api", map[string]string{"Origin": "https://evil.example"}, "api", "2xx", metrics.DeniedOrigin},
		{"OPTIONS", "/api", pre(nil), "api", "2xx", metrics.PreflightAllowed},
		{"OPTIONS", "/api", pre(map[string]string{"Origin": "https://evil.example"}), "api", "4xx", metrics.DeniedOrigin},
		{"OPTIONS", "/api", pre(map[string]string{policy.HeaderRequestMethod: "P T"}), "api", "4xx", metrics.DeniedMethod},
		{"OPTIONS", "/api", pre(map[string]string{policy.HeaderRequestHeaders: "a b"}), "api", "4xx", metrics.DeniedHeader},
		{"GET", "/other", nil, metrics.RouteNone, "4xx", metrics.NotCORS},
		{"DELETE", "/api/../x", nil, metrics.RouteNone, "4xx", metrics.NotCORS},
	}
	for _, rq := range requests {
		do(t, c, rq.method, url+rq.path, rq.hdr)
	}
	for _, rq := range requests {
		labels := map[string]string{"listener": "7", "route": rq.route, "method": rq.method, "status_class": rq.class, "cors": rq.cors.String()}
		if got := sampleValue(t, m, metrics.RequestsTotal, labels); got != 1 {
			t.Errorf("%s %v = %v, want 1", metrics.RequestsTotal, labels, got)
		}
	}
	if got := sampleValue(t, m, metrics.UpstreamDurationSeconds, map[string]string{"backend": "test/b"}); got != 3 {
		t.Errorf("upstream observations = %v, want 3 (the three proxied GETs)", got)
	}

	lines := strings.Split(strings.TrimSpace(access.String()), "\n")
	if len(lines) != len(requests) {
		t.Fatalf("%d access-log lines for %d requests:\n%s", len(lines), len(requests), access.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &first); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"msg": "request", "route": "api", "status": float64(200), "origin": appOrigin, "cors": "allowed", "listener": "7"} {
		if first[k] != v {
			t.Errorf("access log %q = %v, want %v (line %s)", k, first[k], v, lines[1])
		}
	}
	if _, ok := first["duration"]; !ok {
		t.Errorf("access log line has no duration: %s", lines[1])
	}
	if n := strings.Count(logs.String(), `"msg":"origin not allowed","origin":"https://evil.example","route":"api"`); n != 2 {
		t.Errorf("%d denied-origin lines, want 2:\n%s", n, logs.String())
	}
}

func TestDeniedOriginLogIsRateLimited(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	var logs syncBuffer
	g := startGateway(t, simpleSnapshot(b.irBackend(), compileCORS(t, strictSpec)),
		Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c := newClient(t)
	for range 3 * deniedLogBurst {
		do(t, c, "OPTIONS", baseURL(t, g, 1)+"/", map[string]string{"Origin": "https://evil.example", policy.HeaderRequestMethod: "GET"})
	}
	// The test sends far faster than one per deniedLogEvery.
	if n := strings.Count(logs.String(), "origin not allowed"); n < deniedLogBurst || n > deniedLogBurst+2 {
		t.Errorf("%d denied-origin lines for %d requests, want about %d", n, 3*deniedLogBurst, deniedLogBurst)
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(2, time.Second)
	t0 := time.Unix(1000, 0)
	for i, want := range []bool{true, true, false, false} {
		if ok, _ := l.allow(t0); ok != want {
			t.Errorf("call %d: %v, want %v", i, ok, want)
		}
	}
	ok, suppressed := l.allow(t0.Add(time.Second))
	if !ok || suppressed != 2 {
		t.Errorf("after a second: %v, %d suppressed; want true, 2", ok, suppressed)
	}
	if ok, _ := l.allow(t0.Add(time.Hour)); !ok {
		t.Error("refused after an hour")
	}
}

func TestMetricsFollowReloads(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	m := metrics.New()
	g := startGateway(t, newSnapshot(1, httpListener(1, vhost("", newRoute("old", prefixMatch("/"), weighted(b.irBackend(), 1))))), Options{Metrics: m})
	c := newClient(t)
	do(t, c, "GET", baseURL(t, g, 1)+"/", nil)
	old := map[string]string{"route": "old"}
	if got := sampleValue(t, m, metrics.RequestsTotal, old); got != 1 {
		t.Fatalf("old route counted %v, want 1", got)
	}
	if err := g.Apply(newSnapshot(2, httpListener(1, vhost("", newRoute("new", prefixMatch("/"), weighted(b.irBackend(), 1)))))); err != nil {
		t.Fatal(err)
	}
	do(t, c, "GET", baseURL(t, g, 1)+"/", nil)
	if got := sampleValue(t, m, metrics.RequestsTotal, old); got != -1 {
		t.Errorf("removed route still exported: %v", got)
	}
	if got := sampleValue(t, m, metrics.RequestsTotal, map[string]string{"route": "new"}); got != 1 {
		t.Errorf("new route counted %v, want 1", got)
	}
}

func TestOpenConnectionsGauge(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	m := metrics.New()
	g := startGateway(t, simpleSnapshot(b.irBackend(), nil), Options{Metrics: m})
	open := map[string]string{"listener": "1"}
	conn, err := net.Dial("tcp", g.Addr(1))
	if err != nil {
		t.Fatal(err)
	}
	waitGauge(t, m, open, 1)
	_ = conn.Close()
	waitGauge(t, m, open, 0)
}

func waitGauge(t *testing.T, m *metrics.Metrics, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if sampleValue(t, m, metrics.OpenConnections, labels) == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s %v never became %v", metrics.OpenConnections, labels, want)
}

func TestOnDeniedCORS(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	r := newRoute("api", prefixMatch("/api"), weighted(b.irBackend(), 1))
	r.CORS = compileCORS(t, strictSpec)
	var (
		mu  sync.Mutex
		got []DeniedCORS
	)
	g := startGateway(t, newSnapshot(1, httpListener(7, vhost("", r))), Options{OnDeniedCORS: func(d DeniedCORS) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, d)
	}})
	c := newClient(t)
	url := baseURL(t, g, 7) + "/api"
	evil := "https://evil.example"
	do(t, c, "GET", url, nil)                                    // not CORS
	do(t, c, "GET", url, map[string]string{"Origin": appOrigin}) // allowed
	do(t, c, "GET", url, map[string]string{"Origin": evil})
	do(t, c, "OPTIONS", url, map[string]string{"Origin": evil, policy.HeaderRequestMethod: "PUT"})
	do(t, c, "OPTIONS", url, map[string]string{"Origin": appOrigin, policy.HeaderRequestMethod: "P T"})
	do(t, c, "OPTIONS", url, map[string]string{"Origin": appOrigin, policy.HeaderRequestMethod: "PUT"}) // allowed
	want := []DeniedCORS{
		{Listener: "7", Route: "api", Origin: evil, Reason: "origin_not_allowed"},
		{Listener: "7", Route: "api", Origin: evil, Preflight: true, Reason: "origin_not_allowed"},
		{Listener: "7", Route: "api", Origin: appOrigin, Preflight: true, Reason: "invalid_request_method"},
	}
	// The hook runs after the response was written: wait for the last one.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("OnDeniedCORS called %d times, want %d: %+v", len(got), len(want), got)
	}
	// A forwarded request's hook may run after the next request's.
	count := map[DeniedCORS]int{}
	for _, d := range got {
		count[d]++
	}
	for _, d := range want {
		if count[d] != 1 {
			t.Errorf("OnDeniedCORS got %+v %d times, want once; all calls: %+v", d, count[d], got)
		}
	}
}
