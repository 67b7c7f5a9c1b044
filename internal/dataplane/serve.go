package dataplane

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// reqState is what the proxy hooks (Rewrite, Transport, ModifyResponse,
// ErrorHandler) need to know about a request; it travels in the request
// context (for proxied requests; preflights do not allocate it).
type reqState struct {
	route  *ir.Route
	wb     *ir.WeightedBackend // nil when the route has no usable backend
	cors   *ir.CORS            // effective policy, nil for a plain proxy
	dec    policy.Decision
	be     *backendState
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
	rt := g.active.Load() // the one snapshot this request uses
	host := normalizeHost(r.Host)
	var route *ir.Route
	if rt != nil {
		if ls := rt.listeners[port]; ls != nil {
			route = findRoute(ls.l, host, r)
		}
	}
	if route == nil {
		w.Header()[hdrVary] = varyOrigin
		writeText(w, http.StatusNotFound, "no route for "+host+" "+r.URL.Path)
		g.logRequest(r, nil, http.StatusNotFound, "no route")
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
		st.dec = evaluate(st.cors, r)
		if st.dec.Preflight {
			g.answerPreflight(w, r, st)
			return
		}
	}

	switch {
	case route.Invalid != "":
		g.localError(w, r, st, http.StatusInternalServerError, route.Invalid)
		return
	case st.wb == nil:
		g.localError(w, r, st, http.StatusInternalServerError,
			"internal server error: route "+route.ID+" has no backend with a positive weight")
		return
	}
	be := rt.backends[st.wb.Backend]
	t, ok := be.pick()
	if !ok {
		g.localError(w, r, st, http.StatusServiceUnavailable,
			"service unavailable: backend "+st.wb.Backend.ID+" has no endpoints")
		return
	}
	st.be, st.target = be, t
	g.forward(w, r, st)
}

// forward proxies r to st.target.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, local *reqState) {
	st := new(reqState)
	*st = *local
	ctx := context.WithValue(r.Context(), stateKey{}, st)
	// Upgraded connections (WebSocket) live as long as the request context,
	// so the overall timeout applies only to ordinary exchanges.
	if g.opts.UpstreamTimeout > 0 && len(r.Header["Upgrade"]) == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.opts.UpstreamTimeout)
		defer cancel()
	}
	st.w.ResponseWriter = w
	g.proxy.ServeHTTP(&st.w, r.WithContext(ctx))
	g.logRequest(r, st, st.w.status, "request")
}

// answerPreflight answers a CORS preflight locally; it is never forwarded.
func (g *Gateway) answerPreflight(w http.ResponseWriter, r *http.Request, st *reqState) {
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
		g.logRequest(r, st, status, "cors preflight answered")
		return
	}
	writeText(w, status, preflightDeny+d.Reason.String())
	g.logRequest(r, st, status, "cors preflight denied")
}

// localError writes a response the gateway makes itself. On a route with a
// CORS policy it carries the same CORS headers and Vary a proxied response
// would, so browser code can read the error.
func (g *Gateway) localError(w http.ResponseWriter, r *http.Request, st *reqState, status int, msg string) {
	if st.cors != nil {
		setActualHeaders(w.Header(), &st.dec)
	}
	writeText(w, status, msg)
	g.logRequest(r, st, status, "gateway error")
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

// logRequest writes the per-request Debug line; it costs nothing when Debug
// is off.
func (g *Gateway) logRequest(r *http.Request, st *reqState, status int, msg string) {
	ctx := r.Context()
	if !g.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	route, cors := "", ""
	if st != nil {
		route = st.route.ID
		if st.cors != nil {
			cors = st.dec.Reason.Label()
		}
	}
	g.log.LogAttrs(ctx, slog.LevelDebug, msg,
		slog.String("method", r.Method), slog.String("host", r.Host), slog.String("path", r.URL.Path),
		slog.String("route", route), slog.Int("status", status), slog.String("cors", cors))
}
