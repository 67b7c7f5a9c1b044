package dataplane

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"

	"github.com/corsgate/corsgate/internal/ir"
)

// proxyBufferSize is the size of the buffers the proxy copies bodies with.
const proxyBufferSize = 32 << 10

// newReverseProxy returns the one ReverseProxy every route shares, for the
// requests the direct path (forward.go) leaves to it: protocol upgrades and
// the rare requests whose TE or query ReverseProxy treats specially. The
// per-request choices travel in the request context (reqState).
func (g *Gateway) newReverseProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      backendRoundTripper{log: g.log},
		ModifyResponse: modifyResponse,
		ErrorHandler:   g.proxyError,
		BufferPool:     g.buffers,
		ErrorLog:       log.New(serverLogWriter{log: g.log}, "", 0),
	}
}

// rewrite is the ReverseProxy hook for reqState.rewriteOutbound.
func rewrite(pr *httputil.ProxyRequest) {
	stateOf(pr.In.Context()).rewriteOutbound(pr.Out, pr.In)
}

// modifyResponse is the ReverseProxy hook for reqState.modifyResponse.
func modifyResponse(res *http.Response) error {
	stateOf(res.Request.Context()).modifyResponse(res)
	return nil
}

// applyModifier applies a header filter: remove first, then set, then add
// (the order Envoy uses). Set and Add names are canonical.
func applyModifier(h http.Header, m *ir.HeaderModifier) {
	if m == nil {
		return
	}
	for _, name := range m.Remove {
		h.Del(name)
	}
	for _, hv := range m.Set {
		h[hv.Name] = []string{hv.Value}
	}
	for _, hv := range m.Add {
		h[hv.Name] = append(h[hv.Name], hv.Value)
	}
}

// backendRoundTripper is ReverseProxy's Transport: reqState.roundTrip
// for the request's state.
type backendRoundTripper struct{ log *slog.Logger }

var errNoBackend = errors.New("dataplane: request has no backend; this is a gateway bug")

func (rt backendRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	return stateOf(req.Context()).roundTrip(req, rt.log)
}

// isConnectError reports whether err is a failure to connect (nothing was
// sent to the endpoint).
func isConnectError(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// proxyError answers a failed upstream exchange: 504 for timeouts, 502 for
// connection failures and anything else, with the route's CORS headers. If
// the response has already started, a complete-looking error is no longer
// possible, so the connection is aborted instead.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	g.upstreamFailed(w, r, stateOf(r.Context()), err)
}

// upstreamFailed is proxyError for a request whose state is st.
func (g *Gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, st *reqState, err error) {
	if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
		panic(http.ErrAbortHandler)
	}
	backend := st.be.id
	status, msg := classifyUpstreamError(err, backend)
	level := slog.LevelWarn
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		level = slog.LevelDebug // the client went away; nobody reads the answer
	}
	g.log.LogAttrs(r.Context(), level, "upstream request failed",
		slog.String("route", st.route.ID), slog.String("backend", backend),
		slog.String("endpoint", st.target.host), slog.Int("status", status), slog.Any("error", err))
	g.localError(w, st, status, msg)
}

// classifyUpstreamError maps a transport error to a status and a short body.
func classifyUpstreamError(err error, backend string) (int, string) {
	if isConnectError(err) {
		return http.StatusBadGateway, "bad gateway: cannot connect to backend " + backend
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return http.StatusGatewayTimeout, "gateway timeout: backend " + backend + " did not answer in time"
	}
	return http.StatusBadGateway, "bad gateway: backend " + backend + " failed to answer"
}

// statusWriter records the status of the response so proxyError knows
// whether it has started. Unwrap keeps http.ResponseController (flush,
// hijack for upgrades, deadlines) working through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx (except 101) are informational: the real response is still to come.
	if (code >= 200 || code == http.StatusSwitchingProtocols) && w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferPool recycles the proxy's body copy buffers.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any {
		b := make([]byte, proxyBufferSize)
		return &b
	}}}
}

func (bp *bufferPool) Get() []byte { return *bp.p.Get().(*[]byte) }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) == proxyBufferSize {
		b = b[:proxyBufferSize]
		bp.p.Put(&b)
	}
}

var (
	_ http.RoundTripper   = backendRoundTripper{}
	_ httputil.BufferPool = (*bufferPool)(nil)
	_ http.ResponseWriter = (*statusWriter)(nil)
)
