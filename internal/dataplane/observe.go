package dataplane

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/policy"
)

// Denied-origin log lines are rate-limited: a burst of deniedLogBurst, then
// one per deniedLogEvery, so a client probing the policy cannot flood the
// log. Each line says how many were suppressed before it.
const (
	deniedLogBurst = 10
	deniedLogEvery = time.Second
	// maxLoggedValue bounds client-supplied values (Origin, path) in logs.
	maxLoggedValue = 256
)

// finish records one answered request: its counter and, when enabled, its
// access-log line and the rate-limited "origin not allowed" line. st is nil
// for requests refused before routing or without a route. It must not
// retain st, which lives on serve's stack.
func (g *Gateway) finish(r *http.Request, ls *listenerState, st *reqState, status int, start time.Time) {
	o := outcome(st)
	var route *metrics.RouteRequests
	if st != nil {
		route = ls.routeStats(st.route)
	} else {
		route = ls.routeStats(nil)
	}
	route.Inc(r.Method, status, o)
	if o == metrics.DeniedOrigin {
		g.logDeniedOrigin(r, ls, st)
	}
	if g.denyFn != nil && (o == metrics.DeniedOrigin || o == metrics.DeniedMethod || o == metrics.DeniedHeader) {
		g.reportDenied(r, ls, st)
	}
	if g.access != nil {
		g.logAccess(r, ls, st, status, o, start)
	}
}

// outcome maps the engine's decision to the cors metric label. The engine
// checks the syntax of Access-Control-Request-Method and -Headers, never
// their values against the policy's lists (the browser compares them with
// the lists it receives), so denied_method and denied_header are the
// preflights the engine refuses for ReasonInvalidRequestMethod and
// ReasonInvalidRequestHeaders.
func outcome(st *reqState) metrics.Outcome {
	if st == nil || st.cors == nil {
		return metrics.NotCORS
	}
	switch st.dec.Reason {
	case policy.ReasonAllowed:
		if st.dec.Preflight {
			return metrics.PreflightAllowed
		}
		return metrics.Allowed
	case policy.ReasonOriginNotAllowed, policy.ReasonInvalidOrigin:
		return metrics.DeniedOrigin
	case policy.ReasonInvalidRequestMethod:
		return metrics.DeniedMethod
	case policy.ReasonInvalidRequestHeaders:
		return metrics.DeniedHeader
	}
	return metrics.NotCORS
}

func (g *Gateway) logAccess(r *http.Request, ls *listenerState, st *reqState, status int, o metrics.Outcome, start time.Time) {
	ctx := r.Context()
	if !g.access.Enabled(ctx, slog.LevelInfo) {
		return
	}
	route := routeLabel(st)
	listener := ""
	if ls != nil {
		listener = ls.label
	}
	g.access.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("listener", listener), slog.String("method", r.Method),
		slog.String("host", clip(r.Host)), slog.String("path", clip(r.URL.Path)),
		slog.String("route", route), slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.String("origin", clip(firstValue(r.Header[policy.HeaderOrigin]))),
		slog.String("cors", o.String()))
}

func (g *Gateway) logDeniedOrigin(r *http.Request, ls *listenerState, st *reqState) {
	ok, suppressed := g.denied.allow(time.Now())
	if !ok {
		return
	}
	listener := ""
	if ls != nil {
		listener = ls.label
	}
	g.log.LogAttrs(context.Background(), slog.LevelWarn, "origin not allowed",
		slog.String("origin", clip(firstValue(r.Header[policy.HeaderOrigin]))),
		slog.String("route", routeLabel(st)), slog.String("listener", listener),
		slog.Bool("preflight", st.dec.Preflight), slog.String("reason", st.dec.Reason.Label()),
		slog.Uint64("suppressed", suppressed))
}

// DeniedCORS describes a request whose CORS outcome was denied, for
// [Options.OnDeniedCORS].
type DeniedCORS struct {
	// Listener is the listener's port, as in the metrics label.
	Listener string
	// Route is the route ID, or metrics.RouteNone when no route matched
	// (a Gateway's fallback policy answered).
	Route string
	// Origin is the request's first Origin header as sent: client-supplied
	// and unbounded (up to the header size limit).
	Origin string
	// Preflight is true for a preflight (answered 403 by the gateway).
	Preflight bool
	// Reason is the engine's reason label: origin_not_allowed,
	// invalid_origin, invalid_request_method or invalid_request_headers.
	Reason string
}

func (g *Gateway) reportDenied(r *http.Request, ls *listenerState, st *reqState) {
	d := DeniedCORS{Route: routeLabel(st), Origin: firstValue(r.Header[policy.HeaderOrigin]),
		Preflight: st.dec.Preflight, Reason: st.dec.Reason.Label()}
	if ls != nil {
		d.Listener = ls.label
	}
	g.denyFn(d)
}

// routeLabel names the route of st for logs: its ID, or metrics.RouteNone
// for a request that matched no route (answered, perhaps, by a Gateway's
// fallback CORS policy).
func routeLabel(st *reqState) string {
	if st == nil || st.route == nil {
		return metrics.RouteNone
	}
	return st.route.ID
}

func firstValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// clip bounds a client-supplied value for logging; the log handlers quote
// it, so control characters cannot forge lines.
func clip(s string) string {
	if len(s) <= maxLoggedValue {
		return s
	}
	return s[:maxLoggedValue] + "...(truncated)"
}

// rateLimiter is a token bucket for log lines.
type rateLimiter struct {
	mu         sync.Mutex
	burst      float64
	every      time.Duration
	tokens     float64
	last       time.Time
	suppressed uint64
}

func newRateLimiter(burst int, every time.Duration) rateLimiter {
	return rateLimiter{burst: float64(burst), every: every, tokens: float64(burst)}
}

// allow takes a token at now. When it gets one it returns true and the
// number of calls refused since the previous success.
func (l *rateLimiter) allow(now time.Time) (bool, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+float64(now.Sub(l.last))/float64(l.every))
	}
	l.last = now
	if l.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	n := l.suppressed
	l.suppressed = 0
	return true, n
}

// refuse returns the status and body for a request refused before routing,
// or 0. It never echoes the offending value.
//
//   - CONNECT: 405; the gateway is a reverse proxy, never a tunnel.
//   - An absolute-form target ("GET http://host/ HTTP/1.1") is routed by its
//     host, as RFC 9112 requires, and still goes only to the configured
//     backends; one whose scheme is not http or https gets 400.
//   - A path with a "." or ".." segment, literal or percent-encoded
//     ("%2e%2e"), and with "/" or "\" as the separator: 400. A PathPrefix
//     route for /public must not be reachable as /public/../admin by a
//     backend that normalises the path; browsers never send such paths
//     (they resolve dot segments before sending), so refusing is safe.
func refuse(r *http.Request) (int, string) {
	switch {
	case r.Method == http.MethodConnect:
		return http.StatusMethodNotAllowed, "method not allowed: CONNECT; corsgate is a reverse proxy, not a tunnel"
	case r.URL.Scheme != "" && r.URL.Scheme != "http" && r.URL.Scheme != "https":
		return http.StatusBadRequest, "bad request: an absolute request target must use http or https"
	case hasDotSegment(r.URL.Path):
		return http.StatusBadRequest, "bad request: the path has a . or .. segment; send the normalised path"
	}
	return 0, ""
}

// hasDotSegment reports whether the decoded path has a segment "." or "..",
// with "/" or "\" as separators.
func hasDotSegment(p string) bool {
	segStart := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' && p[i] != '\\' {
			continue
		}
		if seg := p[segStart:i]; seg == "." || seg == ".." {
			return true
		}
		segStart = i + 1
	}
	return false
}
