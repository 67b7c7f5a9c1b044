package dataplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/corsgate/corsgate/internal/h1"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
)

// listener is one bound socket and the server on it: the lean HTTP/1.1
// front end (internal/h1) with net/http behind it for TLS and for every
// connection outside the fast path, or net/http alone with
// Options.DisableFastHTTP1.
type listener struct {
	port    int
	address string // ir.Listener.Address it was bound for
	ln      *gateListener
	srv     *http.Server
	fast    *h1.Server // nil with Options.DisableFastHTTP1
}

// gateListener wraps a bound socket. It decides per accepted connection
// whether to speak TLS, from the active snapshot, so a kept listener follows
// a protocol change without rebinding; and its Close is idempotent because
// both Apply and http.Server close it.
type gateListener struct {
	net.Listener
	g       *Gateway
	port    int
	tlsConf *tls.Config

	closing   atomic.Bool // set before a deliberate close: no error log
	closeOnce sync.Once
	closeErr  error
}

func (l *gateListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if l.g.listenerIsHTTPS(l.port) {
		return tls.Server(c, l.tlsConf), nil
	}
	return c, nil
}

func (l *gateListener) Close() error {
	l.closing.Store(true)
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

func (g *Gateway) listenerIsHTTPS(port int) bool {
	rt := g.active.Load()
	if rt == nil {
		return false
	}
	ls := rt.listeners[port]
	return ls != nil && ls.https
}

// bindListeners binds every listener of snap whose port is new or whose
// address changed. On any failure it closes what it bound and returns the
// error, leaving the running listeners untouched. Call with g.mu held.
func (g *Gateway) bindListeners(snap *ir.Snapshot) (map[int]*listener, error) {
	opened := make(map[int]*listener)
	for _, l := range snap.Listeners {
		if l == nil {
			continue
		}
		if cur := g.listeners[l.Port]; cur != nil && cur.address == l.Address {
			continue
		}
		ln, err := net.Listen("tcp", l.Address)
		if err != nil {
			for _, o := range opened {
				_ = o.ln.Close()
			}
			return nil, fmt.Errorf("dataplane: listener port %d: %w; free the address or change the Gateway listener (an address change that overlaps the old one needs the old listener removed first)",
				l.Port, err)
		}
		opened[l.Port] = g.newListener(l.Port, l.Address, ln)
	}
	return opened, nil
}

// newListener wraps ln in the server for ir port port.
func (g *Gateway) newListener(port int, address string, ln net.Listener) *listener {
	tlsConf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Listing h2 makes http.Server.Serve configure HTTP/2 for the TLS
		// connections gateListener hands it.
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return g.certificate(port, hello.ServerName)
		},
	}
	handler := g.HandlerFor(port)
	errLog := log.New(serverLogWriter{log: g.log, port: port}, "", 0)
	counter := connCounter(g.metrics.Connections(metrics.ListenerLabel(port)))
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: g.opts.ReadHeaderTimeout,
		ReadTimeout:       g.opts.ReadTimeout,
		WriteTimeout:      g.opts.WriteTimeout,
		IdleTimeout:       g.opts.IdleTimeout,
		MaxHeaderBytes:    g.opts.MaxHeaderBytes,
		ErrorLog:          errLog,
	}
	gl := &gateListener{Listener: ln, g: g, port: port, tlsConf: tlsConf}
	l := &listener{port: port, address: address, ln: gl, srv: srv}
	if g.opts.DisableFastHTTP1 || g.opts.ReadTimeout > 0 {
		// ReadTimeout bounds request bodies, which only net/http reads.
		srv.ConnState = counter
		return l
	}
	l.fast = &h1.Server{
		Handler:           handler,
		Fallback:          srv,
		ConnState:         counter,
		ReadHeaderTimeout: g.opts.ReadHeaderTimeout,
		IdleTimeout:       g.opts.IdleTimeout,
		WriteTimeout:      g.opts.WriteTimeout,
		MaxHeadBytes:      min(g.opts.MaxHeaderBytes, fastMaxHeadBytes),
		ErrorLog:          errLog,
	}
	if c := g.metrics.HandOffs(metrics.ListenerLabel(port)); c != nil {
		l.fast.OnHandOff = c.Inc
	}
	return l
}

// fastMaxHeadBytes caps the request heads the fast path reads (its buffer
// per connection); longer heads go to net/http and MaxHeaderBytes.
const fastMaxHeadBytes = 8 << 10

// connCounter keeps the open-connections gauge of a listener: a connection
// counts from its accept until it is closed or hijacked (upgraded
// connections leave the server's accounting).
func connCounter(open *metrics.Gauge) func(net.Conn, http.ConnState) {
	if open == nil {
		return nil
	}
	return func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Inc()
		case http.StateClosed, http.StateHijacked:
			open.Dec()
		}
	}
}

// swapListeners starts the opened listeners and retires those snap no
// longer has or that opened replaces. Call with g.mu held, after the new
// runtime is active.
func (g *Gateway) swapListeners(snap *ir.Snapshot, opened map[int]*listener) {
	want := make(map[int]bool, len(snap.Listeners))
	for _, l := range snap.Listeners {
		if l != nil {
			want[l.Port] = true
		}
	}
	for port, l := range g.listeners {
		if !want[port] || opened[port] != nil {
			delete(g.listeners, port)
			g.retire(l)
		}
	}
	for port, l := range opened {
		g.listeners[port] = l
		go l.serve(g.log)
	}
}

// retire stops l accepting now and drains it in the background for up to
// Options.DrainTimeout.
// Shutdown waits for the drain, and closes the connections left when its
// own context ends first. Call with g.mu held.
func (g *Gateway) retire(l *listener) {
	_ = l.ln.Close()
	g.retired[l] = struct{}{}
	g.draining.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), g.opts.DrainTimeout)
		defer cancel()
		if err := l.shutdown(ctx); err != nil {
			g.log.Warn("removed listener did not drain in time; connections closed",
				slog.Int("port", l.port), slog.Any("error", err))
		}
		g.mu.Lock()
		delete(g.retired, l)
		g.mu.Unlock()
	})
}

func (l *listener) serve(lg *slog.Logger) {
	var err error
	if l.fast != nil {
		err = l.fast.Serve(l.ln)
	} else {
		err = l.srv.Serve(l.ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) && !l.ln.closing.Load() {
		lg.Error("listener stopped", slog.Int("port", l.port), slog.String("address", l.address), slog.Any("error", err))
	}
}

// shutdown closes the socket, waits for in-flight requests until ctx is
// done, then closes what is left.
func (l *listener) shutdown(ctx context.Context) error {
	_ = l.ln.Close()
	var err error
	if l.fast != nil {
		err = l.fast.Shutdown(ctx)
	} else {
		err = l.srv.Shutdown(ctx)
	}
	if err != nil {
		l.close()
		return fmt.Errorf("dataplane: listener port %d: drain: %w", l.port, err)
	}
	return nil
}

// close closes the listener's connections at once.
func (l *listener) close() {
	if l.fast != nil {
		_ = l.fast.Close()
		return
	}
	_ = l.srv.Close()
}

// errNoCertificate is returned to a TLS handshake on a listener without a
// certificate; Apply refuses such snapshots, so it only shows in races with
// a listener being removed.
var errNoCertificate = errors.New("dataplane: no certificate for this listener")

// certificate chooses the certificate for SNI name on the listener for ir
// port port, from the active snapshot's parsed certificates.
func (g *Gateway) certificate(port int, name string) (*tls.Certificate, error) {
	rt := g.active.Load()
	if rt == nil {
		return nil, errNoCertificate
	}
	ls := rt.listeners[port]
	if ls == nil || len(ls.certs) == 0 {
		return nil, errNoCertificate
	}
	return pickCertificate(ls.certs, name), nil
}

// pickCertificate returns the certificate for SNI name: an exact hostname,
// else the longest matching wildcard, else the one for any host (""), else
// the first. certs must not be empty.
func pickCertificate(certs []certEntry, name string) *tls.Certificate {
	name = strings.TrimSuffix(name, ".")
	var wildcard, anyHost *tls.Certificate
	wildLen := 0
	for i := range certs {
		c := &certs[i]
		switch {
		case c.hostname == "":
			if anyHost == nil {
				anyHost = c.cert
			}
		case strings.HasPrefix(c.hostname, "*."):
			if len(c.hostname) > wildLen && matchWildcard(c.hostname, name) {
				wildcard, wildLen = c.cert, len(c.hostname)
			}
		case strings.EqualFold(c.hostname, name):
			return c.cert
		}
	}
	switch {
	case wildcard != nil:
		return wildcard
	case anyHost != nil:
		return anyHost
	}
	return certs[0].cert
}

// serverLogWriter routes the error logs of http.Server and of the reverse
// proxy (port 0) to slog: TLS handshake failures (scanners, clients that
// give up) at Debug, the rest at Warn.
type serverLogWriter struct {
	log  *slog.Logger
	port int
}

func (w serverLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	level := slog.LevelWarn
	if strings.HasPrefix(msg, "http: TLS handshake error") {
		level = slog.LevelDebug
	}
	if w.port == 0 { // the reverse proxy's log, not a listener's
		w.log.Log(context.Background(), level, msg)
		return len(p), nil
	}
	w.log.Log(context.Background(), level, msg, slog.Int("port", w.port))
	return len(p), nil
}

var (
	_ net.Listener = (*gateListener)(nil)
	_ io.Writer    = serverLogWriter{}
)
