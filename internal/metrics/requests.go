package metrics

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome is the CORS outcome of a request, the value of the cors label.
type Outcome uint8

const (
	// NotCORS: no Origin header, or a route without a CORS policy.
	NotCORS Outcome = iota
	// Allowed: an actual request from an allowed origin.
	Allowed
	// PreflightAllowed: a preflight answered 204.
	PreflightAllowed
	// DeniedOrigin: an origin the policy does not allow, or an Origin
	// header that is not a valid origin (preflight or actual request).
	DeniedOrigin
	// DeniedMethod: a preflight whose Access-Control-Request-Method is not
	// a valid method token.
	DeniedMethod
	// DeniedHeader: a preflight whose Access-Control-Request-Headers is
	// malformed or over the engine's bounds.
	DeniedHeader
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"not_cors", "allowed", "preflight_allowed", "denied_origin", "denied_method", "denied_header"}

// String returns the label value.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Outcomes lists every label value of the cors label.
func Outcomes() []string { return append([]string(nil), outcomeNames[:]...) }

// Method classes: the standard methods browsers and APIs use, and "other",
// so a client cannot create label values at will.
var methodNames = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, "other",
}

const numMethods = len(methodNames)

func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodOptions:
		return 6
	}
	return numMethods - 1
}

var statusNames = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

const numStatus = len(statusNames)

// statusIndex maps a status code to its class; 0 (nothing written, which
// net/http answers with 200) counts as 2xx and anything out of range as 5xx.
func statusIndex(code int) int {
	switch {
	case code == 0:
		return 1
	case code < 200:
		return 0
	case code >= 500:
		return 4
	}
	return code/100 - 1
}

// RouteRequests counts the requests of one (listener, route). Each label
// combination is resolved on its first use and cached, so counting a
// request costs an atomic load and an atomic add. A nil *RouteRequests
// counts nothing.
type RouteRequests struct {
	vec   *prometheus.CounterVec // curried with listener and route
	cells [numMethods][numStatus][numOutcomes]atomic.Pointer[counter]
}

type counter struct{ c prometheus.Counter }

// RouteRequests returns the request counters of route on listener,
// creating them on first use; the same pair always gets the same counters
// until [Metrics.RetainRoutes] drops it.
func (m *Metrics) RouteRequests(listener, route string) *RouteRequests {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := routeKey{listener, route}
	if rr := m.routes[k]; rr != nil {
		return rr
	}
	rr := &RouteRequests{vec: m.requests.MustCurryWith(prometheus.Labels{LabelListener: listener, LabelRoute: route})}
	m.routes[k] = rr
	return rr
}

// Inc counts one request.
func (rr *RouteRequests) Inc(method string, status int, o Outcome) {
	if rr == nil || o >= numOutcomes {
		return
	}
	mi, si := methodIndex(method), statusIndex(status)
	p := &rr.cells[mi][si][o]
	c := p.Load()
	if c == nil {
		// First request with these labels: resolve once. A concurrent
		// first request resolves the same child, so either pointer works.
		c = &counter{rr.vec.WithLabelValues(methodNames[mi], statusNames[si], outcomeNames[o])}
		p.Store(c)
	}
	c.c.Inc()
}

// RetainRoutes deletes the series of every (listener, route) pair for which
// keep returns false, so routes removed by a reload stop being exported.
// Requests still in flight on the old configuration are then not counted.
func (m *Metrics) RetainRoutes(keep func(listener, route string) bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.routes {
		if !keep(k.listener, k.route) {
			delete(m.routes, k)
			m.requests.DeletePartialMatch(prometheus.Labels{LabelListener: k.listener, LabelRoute: k.route})
		}
	}
}

// Upstream records the exchanges with one backend. A nil *Upstream records
// nothing.
type Upstream struct {
	latency prometheus.Observer
	backoff prometheus.Counter
}

// Upstream returns the recorder of backend, creating it on first use.
func (m *Metrics) Upstream(backend string) *Upstream {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if u := m.ups[backend]; u != nil {
		return u
	}
	u := &Upstream{latency: m.upstream.WithLabelValues(backend), backoff: m.backoffs.WithLabelValues(backend)}
	m.ups[backend] = u
	return u
}

// Observe records the time an exchange took until its response headers.
func (u *Upstream) Observe(d time.Duration) {
	if u != nil {
		u.latency.Observe(d.Seconds())
	}
}

// Backoff counts an endpoint taken out of rotation.
func (u *Upstream) Backoff() {
	if u != nil {
		u.backoff.Inc()
	}
}

// RetainBackends deletes the series of every backend for which keep
// returns false.
func (m *Metrics) RetainBackends(keep func(backend string) bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.ups {
		if !keep(id) {
			delete(m.ups, id)
			m.upstream.DeleteLabelValues(id)
			m.backoffs.DeleteLabelValues(id)
		}
	}
}
