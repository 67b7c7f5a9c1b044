package dataplane

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// A minimal HTTP/1.1 client for plain-HTTP endpoints. http.Transport runs
// two goroutines per upstream connection (readLoop, writeLoop) and hands
// every request and response between them and the caller over channels;
// under load that hand-off is a large part of a proxied GET's CPU. This
// client writes the request and reads the response on the caller's (the
// handler's) goroutine over a pooled keep-alive net.Conn.
//
// It does not parse HTTP itself: the request is written by
// http.Request.Write and the response read by http.ReadResponse, the same
// code http.Transport uses, so framing (Content-Length, chunked with
// trailers, close-delimited, HEAD/204/304 without a body) is net/http's.
// What it adds is the connection handling: a per-endpoint LIFO idle pool,
// deadlines from the request context and the response-header timeout,
// cancellation when the context ends, a cap on response header bytes, at
// most five non-terminal 1xx responses, one retry on a fresh connection
// when a reused one fails before any byte of the response arrived, and
// reuse only when the body was read to its end, the response allows
// keep-alive and nothing follows it on the wire.
//
// It takes only the simplest exchanges: GET or HEAD without a body,
// Expect, Upgrade or trailers, to an http:// target, with valid header
// names and values. Everything else (TLS upstreams, HTTP/2, upgrades,
// bodies, 100-continue) goes through http.Transport.

const (
	h1MaxHeaderBytes = 10 << 20 // http.Transport's default MaxResponseHeaderBytes
	h1Max1xx         = 5        // http.Transport's limit on 1xx responses
	h1PeekAfterIdle  = 500 * time.Millisecond
	h1BufSize        = 4 << 10
)

var (
	errH1HeaderTooLarge = fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", h1MaxHeaderBytes)
	errH1Too1xx         = errors.New("net/http: too many 1xx informational responses")
)

// h1Client is the plain-HTTP client of one backend: one idle pool per
// endpoint, a shared cap on idle connections.
type h1Client struct {
	dial      func(ctx context.Context, addr string) (net.Conn, error)
	pools     []h1Pool // one per target
	maxIdle   int      // per backend, as the Transport's MaxIdleConns
	idle      atomic.Int64
	rht       time.Duration // response header timeout; 0 = none
	idleLimit time.Duration // a connection idle longer is closed
	maxHeader int64         // response header bytes, 1xx included per response
}

type h1Pool struct {
	mu     sync.Mutex
	conns  []*h1Conn // LIFO
	closed bool
}

// h1Conn is one upstream connection. It is the bufio.Reader's source, so
// that it can count the response's bytes (for the retry decision) and cap
// the header bytes.
type h1Conn struct {
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	limit  int64 // bytes the next reads may return; reset per response
	nread  int64 // bytes read in this exchange
	idleAt time.Time
	hasDl  bool // a deadline is set on nc
}

func (c *h1Conn) Read(p []byte) (int, error) {
	if c.limit <= 0 {
		return 0, errH1HeaderTooLarge
	}
	if int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	n, err := c.nc.Read(p)
	c.limit -= int64(n)
	c.nread += int64(n)
	return n, err
}

func newH1Client(dial func(ctx context.Context, addr string) (net.Conn, error), targets int, maxIdle int, rht time.Duration) *h1Client {
	if maxIdle <= 0 {
		maxIdle = http.DefaultMaxIdleConnsPerHost
	}
	return &h1Client{dial: dial, pools: make([]h1Pool, targets), maxIdle: maxIdle, rht: rht, idleLimit: upstreamIdleConnTimeout, maxHeader: h1MaxHeaderBytes}
}

// h1Eligible reports whether req is simple enough for the h1 client.
func h1Eligible(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	if (req.Body != nil && req.Body != http.NoBody) || req.ContentLength != 0 || len(req.TransferEncoding) != 0 ||
		req.Close || req.Trailer != nil || req.URL == nil || req.URL.Scheme != "http" || req.URL.Host == "" {
		return false
	}
	h := req.Header
	if len(h["Expect"]) != 0 || len(h["Upgrade"]) != 0 || len(h["Connection"]) != 0 {
		return false
	}
	if !validHostHeader(req.Host) {
		return false
	}
	for k, vv := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return false // the Transport reports it
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	return true
}

// closeIdle closes every idle connection; connections in use are closed
// when their exchange ends.
func (c *h1Client) closeIdle() {
	if c == nil {
		return
	}
	for i := range c.pools {
		p := &c.pools[i]
		p.mu.Lock()
		p.closed = true
		conns := p.conns
		p.conns = nil
		p.mu.Unlock()
		for _, cn := range conns {
			c.idle.Add(-1)
			cn.nc.Close()
		}
	}
}

// get returns an idle connection to target i, or nil.
func (c *h1Client) get(i int) *h1Conn {
	p := &c.pools[i]
	for {
		p.mu.Lock()
		n := len(p.conns)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		cn := p.conns[n-1]
		p.conns[n-1] = nil
		p.conns = p.conns[:n-1]
		p.mu.Unlock()
		c.idle.Add(-1)
		idle := time.Since(cn.idleAt)
		if idle < h1PeekAfterIdle || (idle < c.idleLimit && connQuiet(cn.nc)) {
			return cn
		}
		cn.nc.Close() // expired, closed by the upstream, or unsolicited data
	}
}

// put returns cn to target i's pool, or closes it.
func (c *h1Client) put(i int, cn *h1Conn) {
	if c.idle.Add(1) > int64(c.maxIdle) {
		c.idle.Add(-1)
		cn.nc.Close()
		return
	}
	cn.idleAt = time.Now()
	p := &c.pools[i]
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.idle.Add(-1)
		cn.nc.Close()
		return
	}
	p.conns = append(p.conns, cn)
	p.mu.Unlock()
}

// roundTrip sends req to target i (addr) and reads the response head. The
// caller must close the response body; the connection goes back to the
// pool when the body was read to its end.
func (c *h1Client) roundTrip(req *http.Request, i int, addr string) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		cn := c.get(i)
		reused := cn != nil
		if cn == nil {
			nc, err := c.dial(ctx, addr)
			if err != nil {
				return nil, err
			}
			cn = &h1Conn{nc: nc}
			cn.br = bufio.NewReaderSize(cn, h1BufSize)
			cn.bw = bufio.NewWriterSize(nc, h1BufSize)
		}
		res, retry, err := c.exchange(ctx, req, cn, i)
		if err == nil {
			return res, nil
		}
		cn.nc.Close()
		if cerr := ctxErr(ctx, err); cerr != err {
			return nil, cerr
		}
		if reused && retry && attempt == 0 {
			continue // the idle connection had gone stale: GET/HEAD are replayable
		}
		return nil, err
	}
}

// exchange writes req on cn and reads the response head. retry reports
// that nothing of a response was received.
func (c *h1Client) exchange(ctx context.Context, req *http.Request, cn *h1Conn, i int) (res *http.Response, retry bool, err error) {
	stop := context.AfterFunc(ctx, func() { cn.nc.SetDeadline(aLongTimeAgo) })
	defer func() {
		if err != nil {
			stop()
		}
	}()
	dl, hasDl := ctx.Deadline()
	if hasDl || cn.hasDl {
		cn.nc.SetDeadline(dl) // zero clears an earlier exchange's deadline
		cn.hasDl = hasDl
	}
	cn.nread = 0
	if err := req.Write(cn.bw); err != nil {
		return nil, true, err
	}
	if err := cn.bw.Flush(); err != nil {
		return nil, true, err
	}
	hdrDl := false
	if c.rht > 0 {
		if t := time.Now().Add(c.rht); !hasDl || t.Before(dl) {
			cn.nc.SetReadDeadline(t)
			cn.hasDl, hdrDl = true, true
		}
	}
	trace := httptrace.ContextClientTrace(ctx)
	for n1xx := 0; ; {
		cn.limit = c.maxHeader
		res, err = http.ReadResponse(cn.br, req)
		if err != nil {
			return nil, cn.nread == 0 && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err)), err
		}
		code := res.StatusCode
		if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
			break
		}
		if n1xx++; n1xx > h1Max1xx {
			return nil, false, errH1Too1xx
		}
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(res.Header)); err != nil {
				return nil, false, err
			}
		}
	}
	cn.limit = 1<<63 - 1
	if hdrDl {
		cn.nc.SetReadDeadline(dl) // back to the overall deadline (or none)
		cn.hasDl = hasDl
	}
	b := &h1Body{c: c, cn: cn, i: i, ctx: ctx, stop: stop, rc: res.Body, eof: res.Body == http.NoBody,
		reuse: !res.Close && res.StatusCode != http.StatusSwitchingProtocols && !req.Close}
	res.Body = b
	return res, false, nil
}

// ctxErr returns the context's error in place of err when the context
// ended, as http.Transport does: also when the connection's deadline, set
// from the context's, fired before the context's own timer.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return err
}

// aLongTimeAgo is a deadline in the past: it unblocks every read and write.
var aLongTimeAgo = time.Unix(1, 0)

// h1Body is the response body: it returns the connection to the pool once
// the body was read to its end, and closes it otherwise.
type h1Body struct {
	c     *h1Client
	cn    *h1Conn
	i     int
	ctx   context.Context
	stop  func() bool
	rc    io.ReadCloser
	eof   bool
	reuse bool
	done  bool
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, errors.New("http: read on closed response body")
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	} else if err != nil {
		err = ctxErr(b.ctx, err)
		b.reuse = false
	}
	return n, err
}

func (b *h1Body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	cn := b.cn
	// stop fails when the context ended meanwhile: the deadline may have
	// been poisoned, so the connection is not reused.
	if b.eof && b.reuse && b.stop() && cn.br.Buffered() == 0 {
		if b.rc != http.NoBody {
			b.rc.Close() // at EOF: returns at once
		}
		b.c.put(b.i, cn)
		return nil
	}
	b.stop()
	cn.nc.Close() // before rc.Close, which would drain an unread body
	return nil
}

// validHostHeader is a conservative Host check: printable ASCII without
// spaces or the bytes that would end or split the request line. Anything
// else goes to the Transport, which has the exact rule.
func validHostHeader(h string) bool {
	for i := 0; i < len(h); i++ {
		if b := h[i]; b <= ' ' || b >= 0x7f || b == '/' || b == '?' || b == '#' || b == '\\' || b == '"' {
			return false
		}
	}
	return true
}
