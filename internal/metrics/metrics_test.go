package metrics

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// touchAll gives every family at least one series, so Gather lists it.
func touchAll(m *Metrics) {
	m.RouteRequests("8080", "ns/r/0/0").Inc("GET", 200, Allowed)
	u := m.Upstream("ns/b")
	u.Observe(time.Millisecond)
	u.Backoff()
	m.ConfigLoaded(true, 1, 0, time.Now())
	m.Connections("8080").Inc()
	m.HandOffs("8080").Inc()
}

func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// TestFamiliesMatchRegistry keeps Families (the documented list) and the
// registered collectors in step.
func TestFamiliesMatchRegistry(t *testing.T) {
	m := New()
	touchAll(m)
	got := gather(t, m)
	for _, f := range Families() {
		g := got[f.Name]
		if g == nil {
			t.Errorf("%s is not registered", f.Name)
			continue
		}
		if typ := strings.ToLower(g.GetType().String()); typ != f.Type {
			t.Errorf("%s is a %s, Families says %s", f.Name, typ, f.Type)
		}
		var labels []string
		for _, l := range g.GetMetric()[0].GetLabel() {
			labels = append(labels, l.GetName())
		}
		want := slices.Clone(f.Labels)
		sort.Strings(want)
		if !slices.Equal(labels, want) {
			t.Errorf("%s labels %v, Families says %v", f.Name, labels, want)
		}
		if !strings.HasPrefix(f.Name, "corsgate_") || g.GetHelp() == "" {
			t.Errorf("%s: want the corsgate_ prefix and a help text", f.Name)
		}
	}
	for name := range got {
		if strings.HasPrefix(name, "corsgate_") && !slices.ContainsFunc(Families(), func(f Family) bool { return f.Name == name }) {
			t.Errorf("%s is registered but missing from Families", name)
		}
	}
	if got["go_goroutines"] == nil || got["process_open_fds"] == nil && got["process_cpu_seconds_total"] == nil {
		t.Error("Go runtime or process collector missing")
	}
}

func TestRouteRequestsCountsAndRetains(t *testing.T) {
	m := New()
	rr := m.RouteRequests("80", "a")
	if m.RouteRequests("80", "a") != rr {
		t.Error("the same pair got new counters")
	}
	for range 3 {
		rr.Inc("GET", 204, PreflightAllowed)
	}
	rr.Inc("BREW", 0, NotCORS)      // other method; 0 counts as 2xx
	rr.Inc("GET", 999, NotCORS)     // out of range: 5xx
	rr.Inc("GET", 101, Outcome(99)) // unknown outcome: ignored
	m.RouteRequests("80", "b").Inc("PUT", 403, DeniedOrigin)

	f := gather(t, m)[RequestsTotal]
	series := map[string]float64{}
	for _, s := range f.GetMetric() {
		var parts []string
		for _, l := range s.GetLabel() {
			parts = append(parts, l.GetValue())
		}
		series[strings.Join(parts, " ")] = s.GetCounter().GetValue()
	}
	// Label order is alphabetical: cors listener method route status_class.
	want := map[string]float64{
		"preflight_allowed 80 GET a 2xx": 3,
		"not_cors 80 other a 2xx":        1,
		"not_cors 80 GET a 5xx":          1,
		"denied_origin 80 PUT b 4xx":     1,
	}
	if !mapsEqual(series, want) {
		t.Errorf("series %v, want %v", series, want)
	}

	m.RetainRoutes(func(_, route string) bool { return route == "b" })
	f = gather(t, m)[RequestsTotal]
	if n := len(f.GetMetric()); n != 1 {
		t.Errorf("%d series after retaining route b, want 1", n)
	}
	if m.RouteRequests("80", "a") == rr {
		t.Error("a dropped pair kept its old counters")
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestNilIsSafe(t *testing.T) {
	var m *Metrics
	m.RouteRequests("1", "r").Inc("GET", 200, Allowed)
	m.Upstream("b").Observe(time.Second)
	m.Upstream("b").Backoff()
	m.Connections("1").Inc()
	m.Connections("1").Dec()
	m.ConfigLoaded(false, 0, 3, time.Now())
	m.RetainRoutes(nil)
	m.RetainBackends(nil)
	if m.Registry() != nil {
		t.Error("nil Metrics has a registry")
	}
}

func TestConfigLoaded(t *testing.T) {
	m := New()
	m.ConfigLoaded(true, 4, 0, time.Unix(100, 0))
	m.ConfigLoaded(false, 4, 3, time.Unix(200, 0))
	f := gather(t, m)
	if v := f[ConfigGeneration].GetMetric()[0].GetGauge().GetValue(); v != 4 {
		t.Errorf("generation %v", v)
	}
	if v := f[ConfigLastReloadSuccessful].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("last successful %v, want 0", v)
	}
	if v := f[ConfigLastReloadErrors].GetMetric()[0].GetGauge().GetValue(); v != 3 {
		t.Errorf("last errors %v, want 3", v)
	}
	for _, s := range f[ConfigLastReloadTimestamp].GetMetric() {
		want := map[string]float64{ResultSuccess: 100, ResultFailure: 200}[s.GetLabel()[0].GetValue()]
		if s.GetGauge().GetValue() != want {
			t.Errorf("timestamp %v = %v, want %v", s.GetLabel(), s.GetGauge().GetValue(), want)
		}
	}
}

func TestStatusAndMethodClasses(t *testing.T) {
	for code, want := range map[int]string{0: "2xx", 100: "1xx", 101: "1xx", 200: "2xx", 304: "3xx", 431: "4xx", 504: "5xx", 600: "5xx", -1: "1xx"} {
		if got := statusNames[statusIndex(code)]; got != want {
			t.Errorf("status %d: %s, want %s", code, got, want)
		}
	}
	for _, m := range methodNames[:numMethods-1] {
		if methodNames[methodIndex(m)] != m {
			t.Errorf("method %s not its own class", m)
		}
	}
	if methodNames[methodIndex("get")] != "other" {
		t.Error("methods are case-sensitive; get is other")
	}
}
