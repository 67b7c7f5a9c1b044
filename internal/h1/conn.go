package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Connection states, for Shutdown: idle connections (waiting for a
// request, or with only part of its head) are closed at once, new ones
// after 5 s of silence, as net/http does.
const (
	stateActive int32 = iota
	stateIdle
	stateNew
)

// conn is one plain connection on the fast path. Its request, header
// maps, URL and buffers are reused from one request to the next: the
// handler must not keep them after it returns (the data plane copies what
// it forwards).
type conn struct {
	srv     *Server
	rw      net.Conn
	remote  string
	state   atomic.Int32
	born    time.Time   // accepted at; read under Server.mu
	closing atomic.Bool // Shutdown is closing it: no 400 for a cut head

	rbuf []byte // read buffer; rbuf[:rn] holds unconsumed bytes
	rn   int

	dlKind int       // what the read deadline was set for (deadline*)
	dlSet  time.Time // when
	bw     *bufio.Writer

	req  http.Request
	tmpl http.Request // the zero request with the connection's context
	hdr  http.Header
	url  url.URL
	res  response
	ctx  context.Context // canceled when the client is gone or the conn ends
	stop context.CancelFunc
	rctx reqContext

	// The background read that notices a client going away while the
	// handler waits (started by reqContext.Done, from any goroutine; wmu
	// guards inHandler, armed and watching).
	wmu        sync.Mutex
	inHandler  bool
	armed      bool // watchTimer set for this request
	watching   bool // the read runs
	watchTimer *time.Timer
	watchN     int
	watchErr   error
	watchEnd   chan struct{}
}

func (c *conn) serve() {
	s := c.srv
	handedOff := false
	defer func() {
		v := recover()
		if v != nil && !handedOff {
			_ = c.bw.Flush() // as net/http's finalFlush
		}
		if v != nil && v != http.ErrAbortHandler {
			const size = 64 << 10
			buf := make([]byte, size)
			buf = buf[:runtime.Stack(buf, false)]
			s.logf("http: panic serving %v: %v\n%s", c.remote, v, buf)
		}
		c.leaveHandler()
		c.stop()
		s.forget(c)
		if !handedOff {
			_ = c.rw.Close()
			if s.ConnState != nil {
				s.ConnState(c.rw, http.StateClosed)
			}
		}
	}()

	c.remote = c.rw.RemoteAddr().String()
	max := s.MaxHeadBytes
	if max <= 0 {
		max = defaultMaxHeadBytes
	}
	c.rbuf = make([]byte, max)
	c.bw = bufio.NewWriterSize(c.rw, 4<<10)
	c.hdr = make(http.Header)
	c.res.hdr = make(http.Header)
	c.res.c = c
	base := context.WithValue(context.Background(), http.ServerContextKey, s.Fallback)
	base = context.WithValue(base, http.LocalAddrContextKey, c.rw.LocalAddr())
	c.ctx, c.stop = context.WithCancel(base)
	c.rctx.c = c
	c.tmpl = *new(http.Request).WithContext(&c.rctx)
	c.watchEnd = make(chan struct{}, 1)

	first := true
	for {
		ok, pending := c.readHead(first)
		first = false
		if !ok {
			if pending >= 0 {
				handedOff = true
				if s.OnHandOff != nil {
					s.OnHandOff()
				}
				s.forget(c)
				var hdrDeadline time.Time
				if c.dlKind == deadlineHeader && s.ReadHeaderTimeout > 0 {
					hdrDeadline = c.dlSet.Add(s.ReadHeaderTimeout)
				}
				s.handOff(c.rw, c.rbuf[:c.rn], hdrDeadline)
			}
			return
		}
		if !c.serveOne(pending) {
			return
		}
		if s.inShutdown.Load() {
			return
		}
	}
}

// readHead reads until a complete head is parsed into c.req. It returns
// ok with the head's length, or !ok with pending ≥ 0 to hand the
// connection off, or -1 to close it (timeout, client gone, shutdown).
func (c *conn) readHead(first bool) (ok bool, n int) {
	s := c.srv
	if !first {
		c.state.Store(stateIdle)
		if s.inShutdown.Load() {
			return false, -1
		}
	}
	switch {
	case first:
		c.setDeadline(time.Now(), s.ReadHeaderTimeout, deadlineHeader)
	case c.rn == 0:
		d := s.IdleTimeout
		if d <= 0 {
			d = s.ReadHeaderTimeout
		}
		c.idleDeadline(time.Now(), d)
	default: // a pipelined head has started
		c.setDeadline(time.Now(), s.ReadHeaderTimeout, deadlineHeader)
	}
	for {
		if c.rn > 0 {
			c.req = c.tmpl
			n, res := parseHead(c.rbuf[:c.rn], &c.req, c.hdr, &c.url)
			switch res {
			case parsed:
				c.state.Store(stateActive)
				return true, n
			case handOff:
				c.state.Store(stateActive)
				return false, c.rn
			}
			if c.rn == len(c.rbuf) {
				return false, c.rn // head longer than we serve
			}
			if c.dlKind != deadlineHeader {
				// The head started and is not complete: from now on the
				// header timeout applies, as net/http's from its first byte.
				c.setDeadline(time.Now(), s.ReadHeaderTimeout, deadlineHeader)
			}
		}
		m, err := c.rw.Read(c.rbuf[c.rn:])
		c.rn += m
		if err != nil {
			if c.rn > 0 && isTimeout(err) && !c.closing.Load() {
				_, _ = c.rw.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"))
			}
			return false, -1
		}
	}
}

// What the connection's read deadline was last set for.
const (
	deadlineNone   = iota // unknown: set by the watch, or never
	deadlineHeader        // a request head is being read
	deadlineIdle          // waiting for the next request
)

// setDeadline sets the read deadline d after now (none for d ≤ 0).
func (c *conn) setDeadline(now time.Time, d time.Duration, kind int) {
	if d > 0 {
		_ = c.rw.SetReadDeadline(now.Add(d))
	} else {
		_ = c.rw.SetReadDeadline(time.Time{})
	}
	c.dlKind, c.dlSet = kind, now
}

// idleDeadline sets the keep-alive wait's deadline, unless an idle
// deadline set less than d/64 ago is still in place: a busy connection
// then keeps one deadline for many requests instead of moving the timer on
// every one, and its idle timeout is at most 1/64 shorter.
func (c *conn) idleDeadline(now time.Time, d time.Duration) {
	if c.dlKind == deadlineIdle && d > 0 && now.Sub(c.dlSet) < d/64 {
		return
	}
	c.setDeadline(now, d, deadlineIdle)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serveOne runs the handler for the parsed request whose head is n bytes,
// finishes the response and reports whether the connection stays open.
func (c *conn) serveOne(n int) bool {
	s := c.srv
	// Move what follows the head (a pipelined request) to the front.
	c.rn = copy(c.rbuf, c.rbuf[n:c.rn])
	if s.WriteTimeout > 0 {
		_ = c.rw.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
	}
	r := &c.req
	r.RemoteAddr = c.remote
	w := &c.res
	w.reset(r)
	c.wmu.Lock()
	c.inHandler = true
	c.wmu.Unlock()
	s.Handler.ServeHTTP(w, r)
	s.served.Add(1)
	keep := w.finish()
	if !c.leaveHandler() {
		keep = false
	}
	if err := c.bw.Flush(); err != nil {
		return false
	}
	return keep && c.ctx.Err() == nil
}

// watchDelay is how long a handler waits on the request context before
// the background read starts: a proxied exchange that ends sooner (nearly
// all of them) never pays for it, and a client that went away is still
// noticed within this of the start of the wait.
var watchDelay = 50 * time.Millisecond

// watch arms the background read, once per request and only while the
// handler runs. It reads after any bytes of a next request already
// buffered (a client may pipeline a byte and leave), unless the buffer is
// full.
func (c *conn) watch() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.inHandler || c.armed || c.watching || c.rn == len(c.rbuf) || c.ctx.Err() != nil {
		return
	}
	c.armed = true
	if c.watchTimer == nil {
		c.watchTimer = time.AfterFunc(watchDelay, c.startWatch)
		return
	}
	c.watchTimer.Reset(watchDelay)
}

// startWatch runs on the timer's goroutine and reads there: a read that
// fails (not by the deadline leaveHandler sets) means the client is gone.
// A late timer of an earlier request finds the handler gone or not armed,
// or starts the read early for the current one: both harmless.
func (c *conn) startWatch() {
	c.wmu.Lock()
	if !c.inHandler || !c.armed || c.watching {
		c.wmu.Unlock()
		return
	}
	c.watching = true
	// Under the lock, so that leaveHandler's deadline comes after it.
	_ = c.rw.SetReadDeadline(time.Time{})
	c.wmu.Unlock()
	n, err := c.rw.Read(c.rbuf[c.rn:]) // after any pipelined bytes
	c.watchN, c.watchErr = n, err
	if n == 0 && err != nil && !isTimeout(err) {
		c.stop() // the client is gone: cancel what the handler waits for
	}
	c.watchEnd <- struct{}{}
}

// leaveHandler ends the request's watch: it disarms the timer or stops the
// background read, and reports whether the connection is still usable;
// bytes the read got start the next request.
func (c *conn) leaveHandler() bool {
	c.wmu.Lock()
	c.inHandler = false
	if c.armed && !c.watching {
		c.watchTimer.Stop()
	}
	c.armed = false
	watching := c.watching
	c.watching = false
	c.wmu.Unlock()
	if !watching {
		return true
	}
	_ = c.rw.SetReadDeadline(aLongTimeAgo)
	c.dlKind = deadlineNone
	<-c.watchEnd
	c.rn += c.watchN
	err := c.watchErr
	c.watchN, c.watchErr = 0, nil
	return err == nil || isTimeout(err)
}

// reqContext is the request's context: the connection's, with Done
// starting the background read, so that only handlers that wait on it
// (proxying) pay for noticing a client that goes away.
type reqContext struct{ c *conn }

func (x *reqContext) Deadline() (time.Time, bool) { return x.c.ctx.Deadline() }
func (x *reqContext) Err() error                  { return x.c.ctx.Err() }
func (x *reqContext) Value(key any) any           { return x.c.ctx.Value(key) }
func (x *reqContext) Done() <-chan struct{} {
	x.c.watch()
	return x.c.ctx.Done()
}

func (x *reqContext) String() string { return "h1.reqContext" }

var (
	_ context.Context = (*reqContext)(nil)
	_ fmt.Stringer    = (*reqContext)(nil)
)
