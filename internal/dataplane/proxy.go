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
	"time"

	"github.com/corsgate/corsgate/internal/ir"
)

// proxyBufferSize is the size of the buffers the proxy copies bodies with.
const proxyBufferSize = 32 << 10

// newReverseProxy returns the one ReverseProxy every route shares; the
// per-request choices travel in the request context (reqState).
func (g *Gateway) newReverseProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      backendRoundTripper{log: g.log},
		ModifyResponse: modifyResponse,
		ErrorHandler:   g.proxyError,
		BufferPool:     newBufferPool(),
		ErrorLog:       log.New(serverLogWriter{log: g.log}, "", 0),
	}
}

// rewrite points the outbound request at the chosen endpoint. It keeps the
// inbound Host header (the Gateway API and Envoy default), sets
// X-Forwarded-For/-Host/-Proto ("https" on TLS listeners) from the
// connection only, dropping the client's own values since the gateway is the
// edge and cannot trust them, and applies the
// rule's, then the backendRef's, RequestHeaderModifier.
func rewrite(pr *httputil.ProxyRequest) {
	st := stateOf(pr.In.Context())
	pr.Out.URL.Scheme = st.target.scheme
	pr.Out.URL.Host = st.target.host
	pr.SetXForwarded()
	applyModifier(pr.Out.Header, st.route.RequestHeaders)
	applyModifier(pr.Out.Header, st.wb.RequestHeaders)
}

// modifyResponse applies the rule's, then the backendRef's,
// ResponseHeaderModifier, and only then the CORS step. The order matters: the
// CORS step deletes every Access-Control-* header before setting the
// gateway's own, so neither the upstream nor a header filter can inject,
// override or duplicate one.
func modifyResponse(res *http.Response) error {
	st := stateOf(res.Request.Context())
	applyModifier(res.Header, st.route.ResponseHeaders)
	applyModifier(res.Header, st.wb.ResponseHeaders)
	if st.cors != nil {
		setActualHeaders(res.Header, &st.dec)
	}
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

// backendRoundTripper sends a request with the transport of the backend
// chosen for it, records the time to the response headers, and keeps the
// endpoint's passive health: a connect failure starts a back-off, a
// completed exchange ends it.
type backendRoundTripper struct{ log *slog.Logger }

var errNoBackend = errors.New("dataplane: request has no backend; this is a gateway bug")

func (rt backendRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateOf(req.Context())
	if st == nil || st.be == nil {
		return nil, errNoBackend
	}
	start := time.Now()
	res, err := st.be.transport.RoundTrip(req)
	st.be.up.Observe(time.Since(start))
	switch {
	case err == nil:
		st.be.exchanged(st.idx, rt.log)
	case isConnectError(err) && req.Context().Err() == nil:
		// Not the client leaving or the overall timeout: the endpoint
		// refused or did not answer the connection.
		st.be.connectFailed(st.idx, rt.log)
	}
	if res != nil && res.Request == nil {
		res.Request = req // modifyResponse finds the request state through it
	}
	return res, err
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
	if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
		panic(http.ErrAbortHandler)
	}
	st := stateOf(r.Context())
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
