// Package metrics defines every Prometheus metric corsgate exports: names,
// help texts and labels live here and nowhere else. Each [Metrics] has a
// registry of its own (never the global default registry), served by the
// admin server at /metrics.
//
// Recording is built for the request path: the data plane resolves a
// [RouteRequests] per (listener, route) and an [Upstream] per backend once,
// when a configuration is applied, and a request then only increments a
// cached counter (no label lookup, no allocation). Every method is safe on a
// nil receiver and then does nothing, so callers need no "metrics enabled"
// checks.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric family names. Dashboards and alerts in examples/monitoring use
// these; a test checks that every name they reference exists.
const (
	RequestsTotal              = "corsgate_http_requests_total"
	UpstreamDurationSeconds    = "corsgate_upstream_request_duration_seconds"
	UpstreamBackoffsTotal      = "corsgate_upstream_endpoint_backoffs_total"
	ConfigReloadsTotal         = "corsgate_config_reloads_total"
	ConfigGeneration           = "corsgate_config_generation"
	ConfigLastReloadSuccessful = "corsgate_config_last_reload_successful"
	ConfigLastReloadTimestamp  = "corsgate_config_last_reload_timestamp_seconds"
	ConfigLastReloadErrors     = "corsgate_config_last_reload_errors"
	OpenConnections            = "corsgate_open_connections"
	HTTP1HandOffsTotal         = "corsgate_http1_handoffs_total"
)

// Label names.
const (
	LabelListener    = "listener"     // the listener's port, e.g. "8080"
	LabelRoute       = "route"        // ir.Route.ID, or RouteNone
	LabelMethod      = "method"       // a standard method or "other"
	LabelStatusClass = "status_class" // "1xx" ... "5xx"
	LabelCORS        = "cors"         // an Outcome
	LabelBackend     = "backend"      // ir.Backend.ID
	LabelResult      = "result"       // "success" or "failure"
)

// RouteNone is the route label of requests that matched no route or were
// refused before routing (400 for a dot segment, 405 for CONNECT, 404).
const RouteNone = "none"

// Reload results, the values of the result label.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Family describes one metric family, for documentation and tests.
type Family struct {
	Name   string
	Type   string // "counter", "gauge" or "histogram"
	Labels []string
}

// Families lists every corsgate metric family.
func Families() []Family {
	return []Family{
		{RequestsTotal, "counter", []string{LabelListener, LabelRoute, LabelMethod, LabelStatusClass, LabelCORS}},
		{UpstreamDurationSeconds, "histogram", []string{LabelBackend}},
		{UpstreamBackoffsTotal, "counter", []string{LabelBackend}},
		{ConfigReloadsTotal, "counter", []string{LabelResult}},
		{ConfigGeneration, "gauge", nil},
		{ConfigLastReloadSuccessful, "gauge", nil},
		{ConfigLastReloadTimestamp, "gauge", []string{LabelResult}},
		{ConfigLastReloadErrors, "gauge", nil},
		{OpenConnections, "gauge", []string{LabelListener}},
		{HTTP1HandOffsTotal, "counter", []string{LabelListener}},
	}
}

// upstreamBuckets cover fast local backends up to the default overall
// upstream timeout (60s).
var upstreamBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics holds corsgate's collectors and their registry.
type Metrics struct {
	reg *prometheus.Registry

	requests   *prometheus.CounterVec
	upstream   *prometheus.HistogramVec
	backoffs   *prometheus.CounterVec
	reloads    *prometheus.CounterVec
	generation prometheus.Gauge
	lastOK     prometheus.Gauge
	lastTime   *prometheus.GaugeVec
	lastErrors prometheus.Gauge
	conns      *prometheus.GaugeVec
	handOffs   *prometheus.CounterVec

	mu     sync.Mutex
	routes map[routeKey]*RouteRequests
	ups    map[string]*Upstream
}

type routeKey struct{ listener, route string }

// New returns a Metrics with its own registry, which also carries the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: RequestsTotal,
			Help: "Requests served, by listener port, route, method, status class and CORS outcome.",
		}, []string{LabelListener, LabelRoute, LabelMethod, LabelStatusClass, LabelCORS}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    UpstreamDurationSeconds,
			Help:    "Time from sending a request to a backend until its response headers (or the error) arrived.",
			Buckets: upstreamBuckets,
		}, []string{LabelBackend}),
		backoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: UpstreamBackoffsTotal,
			Help: "Times an endpoint that failed to connect was taken out of rotation for a back-off.",
		}, []string{LabelBackend}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: ConfigReloadsTotal,
			Help: "Configuration load attempts (the initial load included), by result.",
		}, []string{LabelResult}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: ConfigGeneration,
			Help: "Generation of the configuration being served.",
		}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: ConfigLastReloadSuccessful,
			Help: "1 if the last configuration load attempt succeeded, 0 if it was rejected (the previous configuration keeps serving).",
		}),
		lastTime: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: ConfigLastReloadTimestamp,
			Help: "Unix time of the last configuration load attempt with the given result.",
		}, []string{LabelResult}),
		lastErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: ConfigLastReloadErrors,
			Help: "Number of errors of the last configuration load attempt (0 after a success).",
		}),
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: OpenConnections,
			Help: "Client connections currently open, by listener port.",
		}, []string{LabelListener}),
		handOffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: HTTP1HandOffsTotal,
			Help: "Plain-HTTP client connections the lean HTTP/1.1 front end handed to net/http's server because a request was outside its subset (a body, HTTP/1.0, an upgrade, a malformed or oversized head), by listener port.",
		}, []string{LabelListener}),
		routes: make(map[routeKey]*RouteRequests),
		ups:    make(map[string]*Upstream),
	}
	m.reg.MustRegister(m.requests, m.upstream, m.backoffs, m.reloads, m.generation,
		m.lastOK, m.lastTime, m.lastErrors, m.conns, m.handOffs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry the collectors are registered with.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ListenerLabel is the listener label value for an ir.Listener port.
func ListenerLabel(port int) string { return strconv.Itoa(port) }

// ConfigLoaded records one configuration load attempt. generation is the
// generation being served after it; errors is the number of errors that
// rejected it (0 on success).
func (m *Metrics) ConfigLoaded(ok bool, generation uint64, errors int, at time.Time) {
	if m == nil {
		return
	}
	result := ResultFailure
	if ok {
		result = ResultSuccess
		m.lastOK.Set(1)
	} else {
		m.lastOK.Set(0)
	}
	m.reloads.WithLabelValues(result).Inc()
	m.lastTime.WithLabelValues(result).Set(float64(at.UnixNano()) / 1e9)
	m.lastErrors.Set(float64(errors))
	m.generation.Set(float64(generation))
}

// Connections returns the open-connections gauge of a listener.
func (m *Metrics) Connections(listener string) *Gauge {
	if m == nil {
		return nil
	}
	return &Gauge{g: m.conns.WithLabelValues(listener)}
}

// HandOffs returns the hand-off counter of a listener.
func (m *Metrics) HandOffs(listener string) *Counter {
	if m == nil {
		return nil
	}
	return &Counter{c: m.handOffs.WithLabelValues(listener)}
}

// Counter is a resolved counter; nil does nothing.
type Counter struct{ c prometheus.Counter }

// Inc adds one.
func (c *Counter) Inc() {
	if c != nil {
		c.c.Inc()
	}
}

// Gauge is a resolved gauge; nil does nothing.
type Gauge struct{ g prometheus.Gauge }

// Inc adds one.
func (g *Gauge) Inc() {
	if g != nil {
		g.g.Inc()
	}
}

// Dec subtracts one.
func (g *Gauge) Dec() {
	if g != nil {
		g.g.Dec()
	}
}
