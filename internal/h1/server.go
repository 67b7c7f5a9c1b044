// Package h1 is the data plane's lean HTTP/1.1 front end for plain-TCP
// listeners. A connection is served here while its requests are in the
// strict subset parseHead accepts (the requests browsers and API clients
// send without a body: preflights, GET, HEAD, DELETE ...); at the first
// request outside it — a body, an upgrade, HTTP/1.0, anything malformed or
// over the head-size cap — the connection, with the bytes already read, is
// handed to a net/http server for the rest of its life. TLS connections go
// to net/http from the start (HTTP/2, ALPN).
//
// What it saves over net/http on the fast path: the per-request header
// map, request and response objects and buffers are reused per
// connection; the request head is one allocation; the response header is
// not cloned at WriteHeader; a response written by a finished handler goes
// out in one write; and the goroutine that watches for the client going
// away is started only when the handler waits on the request context
// (proxied requests), not for answers made locally (preflights).
package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves HTTP/1.1 on plain connections with Handler, and gives
// every connection it does not keep to Fallback.
//
// One difference from net/http is visible to handlers: on the fast path
// the request's context is the connection's, cancelled when the client is
// seen to go away or the connection ends, not when ServeHTTP returns.
// Handlers must cancel what they derive from it (the data plane does).
type Server struct {
	// Handler answers every request, on either path.
	Handler http.Handler
	// Fallback serves the connections handed off; Server sets its Handler
	// if nil. Its ConnState sees handed-off connections as new; use
	// Server.ConnState for accounting instead.
	Fallback *http.Server
	// ConnState, if set, is called with StateNew when a connection is
	// accepted and StateClosed or StateHijacked when it ends, on either
	// path.
	ConnState func(net.Conn, http.ConnState)

	// ReadHeaderTimeout bounds reading a request head, from its first byte
	// (for the first request, from the accept); IdleTimeout bounds the
	// wait for the next request on a kept-alive connection; WriteTimeout,
	// if set, bounds writing each response. Fallback has its own.
	ReadHeaderTimeout, IdleTimeout, WriteTimeout time.Duration
	// MaxHeadBytes caps a request head served here; longer heads are
	// handed off (Fallback applies its MaxHeaderBytes). Default 8 KiB.
	MaxHeadBytes int
	// ErrorLog receives handler panics and misuse, as http.Server's.
	ErrorLog *log.Logger
	// OnHandOff, if set, is called when a plain connection is handed to
	// Fallback because of a request outside the fast path's subset (not
	// for TLS connections, which never start here).
	OnHandOff func()

	mu         sync.Mutex
	conns      map[*conn]struct{}
	listeners  map[*net.Listener]struct{}
	handoff    *handoffListener
	startOnce  sync.Once
	fbDone     chan struct{}
	inShutdown atomic.Bool

	served, handedOff atomic.Uint64
}

// Stats returns how many requests the fast path served and how many
// connections went to Fallback (TLS ones included).
func (s *Server) Stats() (served, handedOff uint64) {
	return s.served.Load(), s.handedOff.Load()
}

const defaultMaxHeadBytes = 8 << 10

// ErrServerClosed is http.ErrServerClosed: Serve returns it after
// Shutdown or Close.
var ErrServerClosed = http.ErrServerClosed

func (s *Server) start() {
	s.startOnce.Do(func() {
		s.conns = make(map[*conn]struct{})
		s.listeners = make(map[*net.Listener]struct{})
		s.handoff = newHandoffListener()
		s.fbDone = make(chan struct{})
		if s.Fallback == nil {
			s.Fallback = &http.Server{}
		}
		if s.Fallback.Handler == nil {
			s.Fallback.Handler = s.Handler
		}
		user := s.Fallback.ConnState
		own := s.ConnState
		s.Fallback.ConnState = func(c net.Conn, st http.ConnState) {
			if user != nil {
				user(c, st)
			}
			if own != nil && (st == http.StateClosed || st == http.StateHijacked) {
				own(unwrap(c), st)
			}
		}
		go func() {
			defer close(s.fbDone)
			_ = s.Fallback.Serve(s.handoff)
		}()
	})
}

// Serve accepts connections on ln until it fails or the server is shut
// down; it always returns a non-nil error (ErrServerClosed after Shutdown
// or Close). Like http.Server.Serve it closes ln when it returns.
func (s *Server) Serve(ln net.Listener) error {
	s.start()
	if s.inShutdown.Load() {
		return ErrServerClosed
	}
	s.mu.Lock()
	s.listeners[&ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		_ = ln.Close()
		s.mu.Lock()
		delete(s.listeners, &ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		rw, err := ln.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Temporary, as net/http treats it (EMFILE and the like).
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("h1: accept error: %v; retrying in %v", err, backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if s.ConnState != nil {
			s.ConnState(rw, http.StateNew)
		}
		if _, isTLS := rw.(*tls.Conn); isTLS {
			s.handOff(rw, nil, time.Time{})
			continue
		}
		c := s.newConn(rw)
		if c == nil {
			continue // shut down meanwhile
		}
		go c.serve()
	}
}

// handOff gives rw to Fallback; pending is what was read from it and not
// consumed.
// A head cut off at hdrDeadline (zero: none) keeps that deadline in
// net/http, instead of getting a second ReadHeaderTimeout.
func (s *Server) handOff(rw net.Conn, pending []byte, hdrDeadline time.Time) {
	s.handedOff.Add(1)
	if len(pending) > 0 {
		rw = &prefixConn{Conn: rw, pending: append([]byte(nil), pending...), hdrDeadline: hdrDeadline}
	}
	if !s.handoff.give(rw) {
		_ = rw.Close()
		if s.ConnState != nil {
			s.ConnState(unwrap(rw), http.StateClosed)
		}
	}
}

func (s *Server) newConn(rw net.Conn) *conn {
	c := &conn{srv: s, rw: rw, born: time.Now()}
	c.state.Store(stateNew)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		_ = rw.Close()
		if s.ConnState != nil {
			s.ConnState(rw, http.StateClosed)
		}
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Shutdown stops accepting, closes idle connections, lets requests in
// flight finish (their responses say Connection: close) and waits for
// every connection, on both paths, to close or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.start()
	s.inShutdown.Store(true)
	s.closeListeners()
	fbErr := make(chan error, 1)
	go func() { fbErr <- s.Fallback.Shutdown(ctx) }()

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	select {
	case err := <-fbErr:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.start()
	s.inShutdown.Store(true)
	s.closeListeners()
	err := s.Fallback.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.rw.Close()
	}
	s.mu.Unlock()
	return err
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	for ln := range s.listeners {
		_ = (*ln).Close()
	}
	s.mu.Unlock()
	_ = s.handoff.Close()
}

// closeIdle wakes the connections waiting for a request so they close, and
// reports whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for c := range s.conns {
		st := c.state.Load()
		if st == stateIdle || st == stateNew && now.Sub(c.born) > 5*time.Second {
			c.closing.Store(true)
			_ = c.rw.SetReadDeadline(aLongTimeAgo)
		}
	}
	return len(s.conns) == 0
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

var aLongTimeAgo = time.Unix(1, 0)

// handoffListener is the net.Listener Fallback serves: its connections are
// the ones Server hands over.
type handoffListener struct {
	ch        chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newHandoffListener() *handoffListener {
	return &handoffListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return handoffAddr{} }

type handoffAddr struct{}

func (handoffAddr) Network() string { return "h1-handoff" }
func (handoffAddr) String() string  { return "h1-handoff" }

// prefixConn replays the bytes read before the hand-off, and clamps
// net/http's first read deadline (its header deadline) to the one the
// head already had.
type prefixConn struct {
	net.Conn
	pending     []byte
	hdrDeadline time.Time
	clamped     bool
}

func (c *prefixConn) SetReadDeadline(t time.Time) error {
	if !c.clamped {
		c.clamped = true
		if !c.hdrDeadline.IsZero() && (t.IsZero() || c.hdrDeadline.Before(t)) {
			t = c.hdrDeadline
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *prefixConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func unwrap(c net.Conn) net.Conn {
	if p, ok := c.(*prefixConn); ok {
		return p.Conn
	}
	return c
}

var _ net.Listener = (*handoffListener)(nil)
