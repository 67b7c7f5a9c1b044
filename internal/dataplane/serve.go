package dataplane

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// reqState is what proxying needs to know about a request. The direct
// path (forward.go) holds it in its exchange; on the ReverseProxy path the
// hooks (Rewrite, Transport, ModifyResponse, ErrorHandler) find it in the
// request context. Preflights and local answers keep it on the stack.
type reqState struct {
	route  *ir.Route
	wb     *ir.WeightedBackend // nil when the route has no usable backend
	cors   *ir.CORS            // effective policy, nil for a plain proxy
	dec    policy.Decision
	be     *backendState
	idx    int // index of target in be.targets
	target target
	w      statusWriter
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// serve handles one request that arrived on the listener with ir port port.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, port int) {
	var start time.Time
	if g.access != nil {
		start = time.Now()
	}
	rt := g.active.Load() // the one snapshot this request uses
	var ls *listenerState
	if rt != nil {
		ls = rt.listeners[port]
	}
	if status, msg := refuse(r); status != 0 {
		writeText(w, status, msg)
		g.finish(r, ls, nil, status, start)
		return
	}
	var route *ir.Route
	host := normalizeHost(r.Host)
	if ls != nil {
		route = findRoute(ls.l, host, r)
	}
	if route == nil {
		g.noRoute(w, r, ls, host, start)
		return
	}

	// st stays on the stack for preflights and local errors; forward copies
	// it to the heap only for requests that are proxied.
	st := &reqState{route: route, wb: pickBackend(route)}
	st.cors = route.CORS
	if st.wb != nil && st.wb.CORS != nil {
		st.cors = st.wb.CORS // a backendRef's policy beats the rule's
	}
	if st.cors != nil && st.cors.Policy == nil {
		st.cors = nil // not compiled: the translator never produces this
	}
	if st.cors != nil {
		evaluate(st.cors, r, &st.dec)
		// A preflight is answered here unless the policy asks for
		// preflights from origins it does not allow to be forwarded
		// (Istio's unmatchedPreflights: FORWARD); the backend's answer then
		// goes through the same CORS step as any response.
		if st.dec.Preflight && !st.dec.Forward {
			g.finish(r, ls, st, g.answerPreflight(w, st), start)
			return
		}
	}

	status, msg := 0, ""
	switch {
	case route.Invalid != "":
		status, msg = http.StatusInternalServerError, route.Invalid
	case st.wb == nil:
		status, msg = http.StatusInternalServerError,
			"internal server error: route "+route.ID+" has no backend with a positive weight"
	case st.wb.Invalid != "":
		status, msg = http.StatusInternalServerError, st.wb.Invalid
	default:
		be := rt.backends[st.wb.Backend]
		i, ok := be.pick()
		if ok {
			st.be, st.idx, st.target = be, i, be.targets[i]
			g.forward(w, r, st, ls, start)
			return
		}
		status, msg = http.StatusServiceUnavailable, "service unavailable: backend "+st.wb.Backend.ID+" has no endpoints"
	}
	g.localError(w, st, status, msg)
	g.finish(r, ls, st, status, start)
}

// noRoute answers a request that matched no route: 404 with Vary: Origin.
// When a Gateway (or listener) CORS policy covers the host, it answers
// preflights as on any route and its CORS headers go on the 404, so a page
// can read why its request failed.
func (g *Gateway) noRoute(w http.ResponseWriter, r *http.Request, ls *listenerState, host string, start time.Time) {
	var st *reqState
	if ls != nil {
		if c := fallbackCORS(ls.l, host); c != nil {
			st = &reqState{cors: c}
			evaluate(c, r, &st.dec)
		}
	}
	if st != nil && st.dec.Preflight {
		g.finish(r, ls, st, g.answerPreflight(w, st), start)
		return
	}
	if st != nil {
		setActualHeaders(w.Header(), &st.dec)
		mergeVary(w.Header(), varyOrigin)
	} else {
		w.Header()[hdrVary] = varyOrigin
	}
	writeText(w, http.StatusNotFound, noRouteBody)
	g.finish(r, ls, st, http.StatusNotFound, start)
}

// fallbackCORS returns the policy of the first Fallback entry whose
// hostname matches host, or nil.
func fallbackCORS(l *ir.Listener, host string) *ir.CORS {
	for _, hp := range l.Fallback {
		if hp.CORS != nil && hp.CORS.Policy != nil && hostMatches(hp.Hostname, host) {
			return hp.CORS
		}
	}
	return nil
}

// noRouteBody never echoes the host or path: they are the client's.
const noRouteBody = "not found: no route matches this host and path"

// forward proxies r to st.target: on the direct path (forward.go) for
// ordinary exchanges, through ReverseProxy for the rest.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, local *reqState, ls *listenerState, start time.Time) {
	x := new(exchange)
	x.st = *local
	st := &x.st
	ctx := r.Context()
	// Upgraded connections (WebSocket) live as long as the request context,
	// so the overall timeout applies only to ordinary exchanges.
	if g.opts.UpstreamTimeout > 0 && len(r.Header["Upgrade"]) == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.opts.UpstreamTimeout)
		defer cancel()
	}
	st.w.ResponseWriter = w
	// Deferred so that an aborted response (http.ErrAbortHandler) is
	// counted and logged too.
	defer func() { g.finish(r, ls, st, st.w.status, start) }()
	if direct(r) {
		g.forwardDirect(ctx, x, r)
		return
	}
	ctx = context.WithValue(ctx, stateKey{}, st)
	g.proxy.ServeHTTP(&st.w, r.WithContext(ctx))
}

// answerPreflight answers a CORS preflight locally (it is never forwarded)
// and returns the status it sent.
func (g *Gateway) answerPreflight(w http.ResponseWriter, st *reqState) int {
	d := &st.dec
	setPreflightHeaders(w.Header(), d)
	status := d.Status
	if status == 0 {
		status = http.StatusForbidden
		if d.Allowed {
			status = http.StatusNoContent
		}
	}
	if status < http.StatusBadRequest {
		w.WriteHeader(status)
		return status
	}
	writeLine(w, status, denyBody(d.Reason))
	return status
}

// localError writes a response the gateway makes itself. On a route with a
// CORS policy it carries the same CORS headers and Vary a proxied response
// would, so browser code can read the error.
func (g *Gateway) localError(w http.ResponseWriter, st *reqState, status int, msg string) {
	if st.cors != nil {
		setActualHeaders(w.Header(), &st.dec)
	}
	writeText(w, status, msg)
}

// writeText writes a one-line text/plain body.
func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h[hdrCType] = textPlain
	h[hdrNoSniff] = noSniff
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	_, _ = io.WriteString(w, "\n")
}

// writeLine is writeText for a body that already ends in a newline: one
// write instead of two.
func writeLine(w http.ResponseWriter, status int, line string) {
	h := w.Header()
	h[hdrCType] = textPlain
	h[hdrNoSniff] = noSniff
	w.WriteHeader(status)
	_, _ = io.WriteString(w, line)
}
