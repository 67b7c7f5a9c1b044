package dataplane

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
)

// Options tunes a [Gateway]. A zero field takes the documented default; for
// the durations whose default is not zero, a negative value means "no
// limit".
type Options struct {
	// Logger receives Warn lines for upstream failures, endpoint back-offs
	// and denied origins ("origin not allowed", rate-limited). Default: a
	// logger that discards everything.
	Logger *slog.Logger
	// AccessLog, when set, receives one Info line per request (see
	// doc.go). Default: nil, no access log.
	AccessLog *slog.Logger
	// Metrics records requests, upstream latency, endpoint back-offs and
	// open connections. Default: nil, record nothing.
	Metrics *metrics.Metrics
	// OnDeniedCORS, when set, is called once per request whose CORS
	// outcome is denied (the cors metric label denied_origin,
	// denied_method or denied_header), after its response was written, on
	// the request's goroutine: it must be quick, safe for concurrent use,
	// and bound what it keeps (DeniedCORS.Origin is the client's). The
	// admin console's traffic panel is fed this way. Default: nil, nothing
	// is called and nothing is built.
	OnDeniedCORS func(DeniedCORS)

	// ReadHeaderTimeout bounds reading a request's headers. Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout and WriteTimeout bound a whole request body read and
	// response write. Default 0 (none), so long downloads and streams work.
	ReadTimeout, WriteTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections. Default 120s.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps request header size. Default 64 KiB.
	MaxHeaderBytes int

	// UpstreamDialTimeout bounds connecting to an endpoint. Default 5s.
	UpstreamDialTimeout time.Duration
	// UpstreamResponseHeaderTimeout bounds the wait for the upstream's
	// response headers after the request is sent; past it the client gets
	// 504. Default 30s.
	UpstreamResponseHeaderTimeout time.Duration
	// UpstreamTimeout bounds a whole proxied exchange, body included; past
	// it the client gets 504, or an aborted connection when the response
	// had started. Default 60s.
	UpstreamTimeout time.Duration
	// MaxIdleConnsPerBackend caps the idle upstream connections kept per
	// backend. Default 64.
	MaxIdleConnsPerBackend int
	// DisableH1Client sends every proxied request through http.Transport,
	// also the simple GET/HEAD exchanges with plain-HTTP backends that
	// otherwise take the data plane's own HTTP/1.1 client (h1client.go).
	DisableH1Client bool
	// DisableFastHTTP1 serves every client connection with net/http's
	// server, also the plain-HTTP/1.1 requests without a body that
	// otherwise take the lean front end (internal/h1). Set ReadTimeout
	// has the same effect.
	DisableFastHTTP1 bool

	// EndpointBackoff is how long an endpoint that failed to connect is
	// skipped while its backend has other endpoints; it doubles with each
	// further consecutive failure, up to 30 times this. Default 1s.
	EndpointBackoff time.Duration

	// DrainTimeout bounds how long a listener removed by Apply waits for its
	// in-flight requests before its connections are closed. Default 30s.
	DrainTimeout time.Duration
}

const (
	defaultReadHeaderTimeout     = 10 * time.Second
	defaultIdleTimeout           = 120 * time.Second
	defaultMaxHeaderBytes        = 64 << 10
	defaultDialTimeout           = 5 * time.Second
	defaultResponseHeaderTimeout = 30 * time.Second
	defaultUpstreamTimeout       = 60 * time.Second
	defaultMaxIdleConns          = 64
	defaultDrainTimeout          = 30 * time.Second
	defaultEndpointBackoff       = 1 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	o.ReadHeaderTimeout = durationOr(o.ReadHeaderTimeout, defaultReadHeaderTimeout)
	o.IdleTimeout = durationOr(o.IdleTimeout, defaultIdleTimeout)
	o.UpstreamDialTimeout = durationOr(o.UpstreamDialTimeout, defaultDialTimeout)
	o.UpstreamResponseHeaderTimeout = durationOr(o.UpstreamResponseHeaderTimeout, defaultResponseHeaderTimeout)
	o.UpstreamTimeout = durationOr(o.UpstreamTimeout, defaultUpstreamTimeout)
	o.DrainTimeout = durationOr(o.DrainTimeout, defaultDrainTimeout)
	if o.EndpointBackoff <= 0 {
		o.EndpointBackoff = defaultEndpointBackoff
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = defaultMaxHeaderBytes
	}
	if o.MaxIdleConnsPerBackend <= 0 {
		o.MaxIdleConnsPerBackend = defaultMaxIdleConns
	}
	return o
}

// durationOr maps 0 to def and a negative value to 0 (no limit).
func durationOr(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Gateway is the data plane. Create it with [New], give it configuration
// with [Gateway.Apply] and stop it with [Gateway.Shutdown]. It is safe for
// concurrent use.
type Gateway struct {
	opts    Options
	log     *slog.Logger
	access  *slog.Logger // nil: no access log
	metrics *metrics.Metrics
	denyFn  func(DeniedCORS) // Options.OnDeniedCORS; nil: none
	proxy   *httputil.ReverseProxy
	buffers *bufferPool // body copy buffers, shared by both proxy paths
	denied  rateLimiter // for the "origin not allowed" lines

	// active is the state every request loads once: the snapshot plus what
	// was derived from it (parsed certificates, backend transports).
	active atomic.Pointer[runtime]

	mu        sync.Mutex // serialises Apply and Shutdown; guards the fields below
	closed    bool
	listeners map[int]*listener        // by ir.Listener.Port
	backends  map[string]*backendState // by backendKey
	retired   map[*listener]struct{}   // removed listeners still draining
	draining  sync.WaitGroup           // counts the retired listeners' drains
}

// New returns a Gateway with no configuration: it serves nothing until the
// first successful [Gateway.Apply].
func New(opts Options) *Gateway {
	opts = opts.withDefaults()
	g := &Gateway{
		opts:      opts,
		log:       opts.Logger,
		access:    opts.AccessLog,
		metrics:   opts.Metrics,
		denyFn:    opts.OnDeniedCORS,
		denied:    newRateLimiter(deniedLogBurst, deniedLogEvery),
		listeners: make(map[int]*listener),
		backends:  make(map[string]*backendState),
		retired:   make(map[*listener]struct{}),
	}
	g.buffers = newBufferPool()
	g.proxy = g.newReverseProxy()
	return g
}

// Current returns the active snapshot, nil before the first Apply.
func (g *Gateway) Current() *ir.Snapshot {
	if rt := g.active.Load(); rt != nil {
		return rt.snap
	}
	return nil
}

// errShutDown is returned by Apply after Shutdown.
var errShutDown = errors.New("dataplane: gateway is shut down; create a new one with dataplane.New")

// Apply makes snap the active configuration. Requests already in flight
// finish on the snapshot they started with. Listeners whose port is new are
// bound, listeners whose port disappeared stop accepting at once and drain
// in the background (up to Options.DrainTimeout), and the others keep their
// sockets and connections: their TLS certificates and protocol are read from
// the active snapshot on each new connection. Backend transports are rebuilt
// only for backends whose endpoints or TLS settings changed.
//
// When a listener cannot be bound, a certificate cannot be parsed or a
// backend's CA bundle is unusable, Apply returns the error and the previous
// snapshot stays active, unchanged.
func (g *Gateway) Apply(snap *ir.Snapshot) error {
	if snap == nil {
		return errors.New("dataplane: nil snapshot; pass the result of config.Translate")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errShutDown
	}
	rt, fresh, err := g.buildRuntime(snap)
	if err != nil {
		closeBackends(fresh)
		return err
	}
	opened, err := g.bindListeners(snap)
	if err != nil {
		closeBackends(fresh)
		return err
	}
	g.active.Store(rt)
	g.swapListeners(snap, opened)
	g.retireBackends(rt, fresh)
	g.retainMetrics(rt)
	if g.log.Enabled(context.Background(), slog.LevelDebug) {
		g.log.Debug("configuration applied", slog.Uint64("generation", snap.Generation),
			slog.Int("listeners", len(snap.Listeners)), slog.Int("backends", len(rt.backends)))
	}
	return nil
}

// Addr returns the address the listener for ir port is bound to (useful
// when Listener.Address asks for port 0), or "" when there is none.
func (g *Gateway) Addr(port int) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l := g.listeners[port]; l != nil {
		return l.ln.Addr().String()
	}
	return ""
}

// ServeHTTP routes r with the active snapshot, taking the listener port from
// the connection's local address (http.LocalAddrContextKey). Servers started
// by Apply use [Gateway.HandlerFor] instead, which also works when the bound
// port differs from Listener.Port (port 0).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	port := 0
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		port = a.Port
	}
	g.serve(w, r, port)
}

// HandlerFor returns a handler that routes every request as if it arrived on
// the listener with ir port port, whatever socket it came through. Tests can
// mount it on an httptest.Server.
func (g *Gateway) HandlerFor(port int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.serve(w, r, port)
	})
}

// Shutdown stops accepting on every listener, waits for in-flight requests
// (including those of listeners removed earlier) until ctx is done, then
// closes the remaining connections and idle upstream connections. Apply
// fails after Shutdown.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	ls := g.listeners
	g.listeners = make(map[int]*listener)
	g.mu.Unlock()

	var wg sync.WaitGroup
	errs := make([]error, 0, len(ls)+1)
	var errMu sync.Mutex
	for _, l := range ls {
		wg.Go(func() {
			if err := l.shutdown(ctx); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		})
	}
	wg.Wait()

	drained := make(chan struct{})
	go func() { g.draining.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
		g.mu.Lock()
		for l := range g.retired {
			l.close()
		}
		g.mu.Unlock()
	}

	g.mu.Lock()
	closeBackends(g.backends)
	g.backends = make(map[string]*backendState)
	g.mu.Unlock()
	return errors.Join(errs...)
}

var _ http.Handler = (*Gateway)(nil)
