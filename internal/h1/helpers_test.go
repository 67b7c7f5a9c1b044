package h1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// This file holds the helpers of server_test.go: real servers on
// 127.0.0.1 (net/http's and ours), a raw client that reads responses with
// http.ReadResponse, and the ConnState accounting every h1 server in the
// tests is checked against when it is torn down.

// connTracker records Server.ConnState per connection.
type connTracker struct {
	mu     sync.Mutex
	states map[net.Conn][]http.ConnState
	order  []net.Conn
}

func newConnTracker() *connTracker {
	return &connTracker{states: make(map[net.Conn][]http.ConnState)}
}

func (ct *connTracker) hook(c net.Conn, st http.ConnState) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if _, ok := ct.states[c]; !ok {
		ct.order = append(ct.order, c)
	}
	ct.states[c] = append(ct.states[c], st)
}

func terminal(st http.ConnState) bool {
	return st == http.StateClosed || st == http.StateHijacked
}

// snapshot returns each connection's states, in accept order.
func (ct *connTracker) snapshot() [][]http.ConnState {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	out := make([][]http.ConnState, 0, len(ct.order))
	for _, c := range ct.order {
		out = append(out, slices.Clone(ct.states[c]))
	}
	return out
}

// counts reports how many connections were seen and how many ended as
// closed and hijacked.
func (ct *connTracker) counts() (conns, closed, hijacked int) {
	for _, ss := range ct.snapshot() {
		conns++
		for _, s := range ss {
			switch s {
			case http.StateClosed:
				closed++
			case http.StateHijacked:
				hijacked++
			}
		}
	}
	return
}

// verify waits (polling) until every connection has ended, then checks
// that each saw exactly StateNew then one of StateClosed/StateHijacked.
func (ct *connTracker) verify(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		done := true
		for _, ss := range ct.snapshot() {
			if len(ss) < 2 {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	// Let a duplicate StateClosed, if any, arrive before judging.
	time.Sleep(10 * time.Millisecond)
	for i, ss := range ct.snapshot() {
		if len(ss) != 2 || ss[0] != http.StateNew || !terminal(ss[1]) {
			t.Errorf("ConnState of connection #%d: %v; want [new closed] or [new hijacked]", i, ss)
		}
	}
}

// testServer is one server listening on 127.0.0.1.
type testServer struct {
	addr  string
	ln    net.Listener
	h1    *Server      // set for ours
	std   *http.Server // set for net/http's
	log   *testutil.SyncBuffer
	conns *connTracker // ours only

	done     chan struct{}
	serveErr error
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startStd serves h with a plain net/http server.
func startStd(t *testing.T, h http.Handler, cfg func(*http.Server)) *testServer {
	t.Helper()
	ln := listen(t)
	ts := &testServer{addr: ln.Addr().String(), ln: ln, log: &testutil.SyncBuffer{}, done: make(chan struct{})}
	ts.std = &http.Server{Handler: h, ErrorLog: log.New(ts.log, "", 0)}
	if cfg != nil {
		cfg(ts.std)
	}
	go func() {
		defer close(ts.done)
		ts.serveErr = ts.std.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = ts.std.Close()
		ts.waitServe(t)
	})
	return ts
}

// startH1 serves h with an h1.Server; at cleanup it closes the server and
// checks that Serve returned ErrServerClosed and the ConnState accounting.
func startH1(t *testing.T, h http.Handler, cfg func(*Server)) *testServer {
	t.Helper()
	ln := listen(t)
	ts := &testServer{addr: ln.Addr().String(), ln: ln, log: &testutil.SyncBuffer{}, conns: newConnTracker(), done: make(chan struct{})}
	ts.h1 = &Server{
		Handler:   h,
		ErrorLog:  log.New(ts.log, "", 0),
		ConnState: ts.conns.hook,
		Fallback:  &http.Server{ErrorLog: log.New(ts.log, "", 0)},
	}
	if cfg != nil {
		cfg(ts.h1)
	}
	go func() {
		defer close(ts.done)
		ts.serveErr = ts.h1.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = ts.h1.Close()
		ts.waitServe(t)
		ts.conns.verify(t)
	})
	return ts
}

func (ts *testServer) waitServe(t *testing.T) {
	t.Helper()
	select {
	case <-ts.done:
		if !errors.Is(ts.serveErr, http.ErrServerClosed) {
			t.Errorf("Serve returned %v; want http.ErrServerClosed", ts.serveErr)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("Serve did not return after Close")
	}
}

// dial connects to addr with an overall deadline, closed at cleanup.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// summary is what a client can observe of one response.
type summary struct {
	Status     string
	Proto      string
	Header     http.Header
	Body       string
	BodyErr    string
	Trailer    http.Header
	TE         []string
	CL         int64
	Close      bool
	Uncompress bool
}

func (s summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s CL=%d TE=%q Close=%v\n", s.Proto, s.Status, s.CL, s.TE, s.Close)
	keys := make([]string, 0, len(s.Header))
	for k := range s.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %q\n", k, s.Header[k])
	}
	if len(s.Body) > 80 {
		fmt.Fprintf(&b, "  body (%d bytes) %q...\n", len(s.Body), s.Body[:80])
	} else {
		fmt.Fprintf(&b, "  body %q\n", s.Body)
	}
	if s.BodyErr != "" {
		fmt.Fprintf(&b, "  body error %s\n", s.BodyErr)
	}
	if s.Trailer != nil {
		fmt.Fprintf(&b, "  trailer %v\n", s.Trailer)
	}
	return b.String()
}

// normDate replaces a Date header that is about now by a placeholder, so
// that its presence is compared but not its value.
func normDate(h http.Header) {
	vv, ok := h["Date"]
	if !ok || len(vv) != 1 {
		return
	}
	if d, err := http.ParseTime(vv[0]); err == nil && time.Since(d).Abs() < time.Minute {
		h["Date"] = []string{"<now>"}
	}
}

func summarize(r *http.Response) summary {
	s := summary{
		Status: r.Status, Proto: r.Proto, Header: r.Header.Clone(),
		TE: r.TransferEncoding, CL: r.ContentLength, Close: r.Close,
	}
	normDate(s.Header)
	b, err := io.ReadAll(r.Body)
	s.Body = string(b)
	if err != nil {
		s.BodyErr = errKind(err)
	}
	s.Trailer = r.Trailer
	return s
}

// errKind turns an I/O error into a stable description.
func errKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, net.ErrClosed), strings.Contains(err.Error(), "reset by peer"), strings.Contains(err.Error(), "broken pipe"):
		return "EOF" // the server closed; how the client learns it is a race
	}
	return err.Error()
}

// readOne reads one response (1xx included) and its body.
func readOne(br *bufio.Reader, method string) (summary, error) {
	r, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return summary{}, err
	}
	return summarize(r), nil
}

// readFinal reads the informational responses and the final one.
func readFinal(br *bufio.Reader, method string) (info []summary, final summary, err error) {
	for {
		s, err := readOne(br, method)
		if err != nil {
			return info, s, err
		}
		code := 0
		_, _ = fmt.Sscanf(s.Status, "%d", &code)
		if code >= 200 || code == http.StatusSwitchingProtocols {
			return info, s, nil
		}
		info = append(info, s)
	}
}

// afterClose reports what is left on a connection the server should
// close: "closed" at EOF, "open" if nothing arrives for a while, or the
// stray bytes.
func afterClose(c net.Conn, br *bufio.Reader, wait time.Duration) string {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(br)
	switch {
	case len(b) > 0:
		return fmt.Sprintf("stray bytes %q then %s", b, errKind(err))
	case errKind(err) == "timeout":
		return "open"
	}
	return "closed"
}

// outcome is a whole exchange on one connection.
type outcome struct {
	Info    []summary
	Final   summary
	Err     string
	Next    *outcome // the request sent again, when the first kept the connection
	End     string   // "closed" or "open", when not kept
	Records []string // what the handler recorded, per request
}

func (o *outcome) String() string {
	var b strings.Builder
	for _, s := range o.Info {
		fmt.Fprintf(&b, "informational: %s", s)
	}
	if o.Err != "" {
		fmt.Fprintf(&b, "error: %s\n", o.Err)
	} else {
		b.WriteString(o.Final.String())
	}
	if o.Next != nil {
		fmt.Fprintf(&b, "next request on the same connection:\n%s", o.Next)
	}
	if o.End != "" {
		fmt.Fprintf(&b, "then: %s\n", o.End)
	}
	if len(o.Records) > 0 {
		fmt.Fprintf(&b, "handler records: %q\n", o.Records)
	}
	return b.String()
}

// pause starts a part that exchange sends after a short pause instead of
// after reading a response.
const pause = "\x00pause:"

// exchange sends parts on a new connection to addr (reading one response
// between two parts, e.g. a 100 Continue), reads the informational and
// final responses, and then either sends again (again; the same request if
// empty) when the response kept the connection, or waits to see it
// closed.
func exchange(t *testing.T, addr, method string, parts []string, again string) *outcome {
	t.Helper()
	c, br := dial(t, addr)
	return exchangeOn(t, c, br, method, parts, again, true)
}

func exchangeOn(t *testing.T, c net.Conn, br *bufio.Reader, method string, parts []string, again string, follow bool) *outcome {
	t.Helper()
	o := &outcome{}
	for i, p := range parts {
		if rest, ok := strings.CutPrefix(p, pause); ok {
			// A piece of the same message: no response in between.
			time.Sleep(10 * time.Millisecond)
			_, _ = io.WriteString(c, rest)
			continue
		}
		if i > 0 {
			s, err := readOne(br, method)
			if err != nil {
				o.Err = "before part " + fmt.Sprint(i) + ": " + errKind(err)
				o.End = afterClose(c, br, time.Second)
				return o
			}
			o.Info = append(o.Info, s)
		}
		_, _ = io.WriteString(c, p)
	}
	if _, err := br.Peek(1); err != nil && !isTimeout(err) {
		// Closed before any byte of a response: whether the client sees
		// a FIN or a reset (its request written after the server closed)
		// is a race, so both read as one outcome.
		o.Err = "closed before a response"
		o.End = afterClose(c, br, time.Second)
		return o
	}
	info, final, err := readFinal(br, method)
	o.Info = append(o.Info, info...)
	if err != nil {
		o.Err = errKind(err)
		o.End = afterClose(c, br, time.Second)
		return o
	}
	o.Final = final
	if !follow {
		return o
	}
	if !final.Close && final.BodyErr == "" {
		if again == "" {
			again = strings.ReplaceAll(strings.Join(parts, ""), pause, "")
		}
		o.Next = exchangeOn(t, c, br, method, []string{again}, again, false)
		if o.Next.Err == "" {
			o.Next.End = afterClose(c, br, 20*time.Millisecond)
		}
		return o
	}
	o.End = afterClose(c, br, 2*time.Second)
	return o
}

// recorder collects what handlers record, per request path, and whether
// ours served them on the fast path.
type recorder struct {
	mu       sync.Mutex
	recs     map[string][]string
	fast     map[string][]bool
	started  map[string]int
	finished map[string]int
}

func newRecorder() *recorder {
	return &recorder{recs: map[string][]string{}, fast: map[string][]bool{}, started: map[string]int{}, finished: map[string]int{}}
}

type recFunc func(format string, args ...any)

// wrap returns a handler running h with a rec function for r's path.
func (rc *recorder) wrap(h func(w http.ResponseWriter, r *http.Request, rec recFunc)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		_, fast := w.(*response)
		rc.mu.Lock()
		rc.started[key]++
		rc.fast[key] = append(rc.fast[key], fast)
		rc.mu.Unlock()
		defer func() {
			rc.mu.Lock()
			rc.finished[key]++
			rc.mu.Unlock()
		}()
		h(w, r, func(format string, args ...any) {
			rc.mu.Lock()
			rc.recs[key] = append(rc.recs[key], fmt.Sprintf(format, args...))
			rc.mu.Unlock()
		})
	})
}

// get waits until every handler started for key has returned and gives
// its records and fast-path flags.
func (rc *recorder) get(t *testing.T, key string) ([]string, []bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rc.mu.Lock()
		done := rc.started[key] == rc.finished[key]
		recs, fast := slices.Clone(rc.recs[key]), slices.Clone(rc.fast[key])
		rc.mu.Unlock()
		if done {
			return recs, fast
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler for %s did not return", key)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
