package h1

import (
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// bufferBeforeChunking is how much body a response buffers before it
// commits to chunked encoding (net/http's bufferBeforeChunkingSize): a
// handler that writes less and returns gets a Content-Length.
const bufferBeforeChunking = 2048

// response is the http.ResponseWriter of the fast path. It frames
// responses as net/http's server does (server.go, chunkWriter.writeHeader:
// Content-Length for a finished short body, chunked otherwise, sniffed
// Content-Type, Date, Connection: close, trailers, the headers a status
// without body must not carry); TestResponsesMatchNetHTTP holds it to that.
// Unlike net/http it serialises the header at WriteHeader instead of
// cloning the map, so later changes are ignored just the same.
type response struct {
	c   *conn
	req *http.Request
	hdr http.Header

	status      int
	wroteHeader bool
	committed   bool // the head is in the connection's buffer
	handlerDone bool

	// Taken at WriteHeader.
	head      []byte // status line and every header but the framing ones
	clen      int64  // from the handler's Content-Length, or -1
	clVals    []string
	clPresent bool
	teVals    []string
	connVals  []string
	clBuf     [2]string // backing for the three above
	teBuf     [2]string
	connBuf   [2]string
	haveType  bool
	hasCE     bool
	hasDate   bool
	trailers  bool
	declared  []string // names the Trailer header announced
	switching bool     // 101 with Upgrade

	body       []byte // body held back before the commit
	sniff      [sniffLen]byte
	err        error // the first error writing to the connection
	chunking   bool
	written    int64
	closeAfter bool

	keys    []string // scratch for the trailers
	fields  []field  // scratch for the header
	dateSec int64
	date    []byte
}

func (w *response) reset(r *http.Request) {
	// A very large response must not stay pinned by a kept-alive
	// connection: drop what grew past the usual sizes.
	if cap(w.head) > maxKeptHead {
		w.head = nil
	}
	if cap(w.fields) > maxKeptFields || len(w.hdr) > maxKeptFields {
		w.fields = nil
		w.hdr = make(http.Header)
	}
	if cap(w.keys) > maxKeptFields {
		w.keys = nil
	}
	w.err = nil
	clear(w.hdr)
	w.req = r
	w.status = 0
	w.wroteHeader, w.committed, w.handlerDone = false, false, false
	w.head = w.head[:0]
	w.clen = -1
	w.clVals, w.teVals, w.connVals = nil, nil, nil
	w.haveType, w.hasCE, w.hasDate, w.trailers, w.switching, w.clPresent = false, false, false, false, false, false
	w.declared = w.declared[:0]
	w.body = w.body[:0]
	w.chunking = false
	w.written = 0
	w.closeAfter = r.Close
}

func (w *response) Header() http.Header { return w.hdr }

func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199, status == 204, status == 304:
		return false
	}
	return true
}

func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		w.c.srv.logf("http: superfluous response.WriteHeader call (status %d after %d)", code, w.status)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// Informational responses (103 Early Hints) go out at once.
		b := appendStatusLine(w.head[:0], code)
		b = w.appendInformational(b)
		b = append(b, "\r\n"...)
		_, _ = w.c.bw.Write(b)
		_ = w.c.bw.Flush()
		return
	}
	w.wroteHeader = true
	w.status = code
	w.head = w.snapshot(appendStatusLine(w.head[:0], code), code)
}

// snapshot takes what the framing needs from the handler's header and
// appends the rest sorted by name, as http.Header.Write does (names that
// are not tokens dropped, CR and LF in values turned into spaces), in one
// pass over the map.
func (w *response) snapshot(b []byte, code int) []byte {
	h := w.hdr
	fields := w.fields[:0]
	upgrade := false
	for k, vv := range h {
		switch k {
		case "Content-Length":
			w.clPresent = true
			if len(vv) > 0 && vv[0] != "" {
				v, err := strconv.ParseInt(vv[0], 10, 64)
				if err == nil && v >= 0 {
					// Copied: the handler may change its slice later.
					w.clen, w.clVals = v, append(w.clBuf[:0], vv...)
				} else {
					w.c.srv.logf("http: invalid Content-Length of %q", vv[0])
					delete(h, k)
				}
			}
			continue
		case "Transfer-Encoding":
			if len(vv) > 0 {
				w.teVals = append(w.teBuf[:0], vv...)
			}
			continue
		case "Connection":
			w.connVals = append(w.connBuf[:0], vv...)
			continue
		case "Content-Type":
			w.haveType = true
			if code == http.StatusNotModified {
				continue
			}
		case "Content-Encoding":
			w.hasCE = len(vv) > 0 && vv[0] != ""
		case "Date":
			w.hasDate = true
		case "Upgrade":
			upgrade = len(vv) > 0 && vv[0] != ""
		case "Trailer":
			w.trailers = true
			for _, v := range vv {
				forEachElement(v, func(name string) {
					name = textproto.CanonicalMIMEHeaderKey(name)
					if httpguts.ValidTrailerHeader(name) {
						w.declared = append(w.declared, name)
					}
				})
			}
		}
		if strings.HasPrefix(k, http.TrailerPrefix) {
			w.trailers = true
			continue
		}
		fields = append(fields, field{k, vv})
	}
	w.switching = code == http.StatusSwitchingProtocols && upgrade &&
		httpguts.HeaderValuesContainsToken(w.connVals, "Upgrade")
	b = appendSorted(b, fields)
	clear(fields) // drop the references until the next response
	w.fields = fields[:0]
	return b
}

// field is one header of the response being serialised.
type field struct {
	k  string
	vv []string
}

func appendSorted(b []byte, fields []field) []byte {
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.k, b.k) })
	for _, f := range fields {
		b = appendField(b, f.k, f.vv)
	}
	return b
}

// appendInformational appends the header of a 1xx response: everything
// but Content-Length, Transfer-Encoding and trailers.
func (w *response) appendInformational(b []byte) []byte {
	fields := w.fields[:0]
	for k, vv := range w.hdr {
		if k == "Content-Length" || k == "Transfer-Encoding" || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		fields = append(fields, field{k, vv})
	}
	b = appendSorted(b, fields)
	clear(fields)
	w.fields = fields[:0]
	return b
}

func appendField(b []byte, k string, vv []string) []byte {
	if !httpguts.ValidHeaderFieldName(k) {
		return b
	}
	for _, v := range vv {
		b = append(b, k...)
		b = append(b, ": "...)
		b = appendValue(b, v)
		b = append(b, "\r\n"...)
	}
	return b
}

// appendValue appends v trimmed, with CR and LF as spaces.
func appendValue(b []byte, v string) []byte {
	v = textproto.TrimString(v)
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			clean = false
			break
		}
	}
	if clean {
		return append(b, v...)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

func appendStatusLine(b []byte, code int) []byte {
	b = append(b, "HTTP/1.1 "...)
	if text := http.StatusText(code); text != "" {
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, ' ')
		b = append(b, text...)
	} else {
		b = fmt.Appendf(b, "%03d status code %d", code, code)
	}
	return append(b, "\r\n"...)
}

func forEachElement(v string, fn func(string)) {
	for f := range strings.SplitSeq(v, ",") {
		if f = textproto.TrimString(f); f != "" {
			fn(f)
		}
	}
}

// commit decides the framing and writes the head; first is the start of
// the body (for the sniffed Content-Type, and its length when the handler
// is done).
func (w *response) commit(first []byte) {
	w.committed = true
	srv := w.c.srv
	keepAlives := !srv.inShutdown.Load()
	isHEAD := w.req.Method == http.MethodHead
	bodyOK := bodyAllowedForStatus(w.status)
	te := ""
	if len(w.teVals) > 0 {
		te = w.teVals[0]
	}
	hasTE := te != ""
	var autoCL bool
	if w.handlerDone && !w.trailers && !hasTE && bodyOK && !w.clPresent && (!isHEAD || len(first) > 0) {
		w.clen, autoCL = int64(len(first)), true
	}
	hasCL := w.clen != -1
	conn := ""
	if len(w.connVals) > 0 {
		conn = w.connVals[0]
	}
	if conn == "close" || !keepAlives {
		w.closeAfter = true
	}
	ctype := ""
	if bodyOK && !w.hasCE && !w.haveType && !hasTE && len(first) > 0 {
		ctype = http.DetectContentType(first)
	}
	clVals, teVals, connVals := w.clVals, w.teVals, w.connVals
	if !bodyOK {
		clVals, teVals = nil, nil // suppressed for this status
	}
	if hasCL && hasTE && te != "identity" {
		srv.logf("http: WriteHeader called with both Transfer-Encoding of %q and a Content-Length of %d", te, w.clen)
		clVals, hasCL, w.clen = nil, false, -1
	}
	teExtra := ""
	switch {
	case isHEAD || !bodyOK || w.status == http.StatusNoContent:
		teVals = nil
	case hasCL:
		teVals = nil
	case hasTE && te == "identity":
		w.closeAfter = true
		teVals = nil
	default:
		w.chunking = true
		teExtra = "chunked"
		if te == "chunked" {
			teVals = nil
		}
	}
	if w.chunking {
		clVals = nil
	}
	connExtra := ""
	if w.closeAfter && (!keepAlives || !httpguts.HeaderValuesContainsToken([]string{conn}, "close")) && !w.switching {
		connVals, connExtra = nil, "close"
	}

	b := w.head
	b = appendField(b, "Content-Length", clVals)
	b = appendField(b, "Transfer-Encoding", teVals)
	b = appendField(b, "Connection", connVals)
	if ctype != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, ctype...)
		b = append(b, "\r\n"...)
	}
	if connExtra != "" {
		b = append(b, "Connection: close\r\n"...)
	}
	if teExtra != "" {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if !w.hasDate {
		b = append(b, "Date: "...)
		b = append(b, w.now()...)
		b = append(b, "\r\n"...)
	}
	if autoCL {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, w.clen, 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	w.head = b
	_, _ = w.c.bw.Write(b)
}

// now is the Date value, formatted once per second.
func (w *response) now() []byte {
	t := time.Now()
	if sec := t.Unix(); sec != w.dateSec || w.date == nil {
		w.dateSec = sec
		w.date = t.UTC().AppendFormat(w.date[:0], http.TimeFormat)
	}
	return w.date
}

func (w *response) Write(p []byte) (int, error) { return w.write(p, "") }

func (w *response) WriteString(s string) (int, error) { return w.write(nil, s) }

// write takes p, or s when p is nil.
func (w *response) write(p []byte, s string) (int, error) {
	n := len(p)
	if p == nil {
		n = len(s)
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if n == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(n)
	if w.clen != -1 && w.written > w.clen {
		return 0, http.ErrContentLength
	}
	if !w.committed {
		if len(w.body)+n <= bufferBeforeChunking {
			if p != nil {
				w.body = append(w.body, p...)
			} else {
				w.body = append(w.body, s...)
			}
			return n, nil
		}
		// Too much to hold back: commit with what the sniffer sees.
		first := w.body
		if len(first) < sniffLen {
			first = appendN(append(w.sniff[:0], w.body...), p, s, sniffLen-len(first))
		}
		w.commit(first)
		w.writeBody(w.body, "")
		w.body = w.body[:0]
	}
	w.writeBody(p, s)
	if w.err != nil {
		// The client is gone (or the write timed out): tell the handler,
		// as net/http does, so a proxied body stops being copied.
		return 0, w.err
	}
	return n, nil
}

// What a connection keeps between responses; larger buffers are dropped.
const (
	maxKeptHead   = 16 << 10
	maxKeptFields = 64
)

// sniffLen is how much of the body http.DetectContentType looks at.
const sniffLen = 512

func appendN(b, p []byte, s string, n int) []byte {
	if p != nil {
		return append(b, p[:min(n, len(p))]...)
	}
	return append(b, s[:min(n, len(s))]...)
}

// writeBody sends body bytes (p, or s when p is nil) after the commit.
func (w *response) writeBody(p []byte, s string) {
	n := len(p)
	if p == nil {
		n = len(s)
	}
	if n == 0 || w.req.Method == http.MethodHead {
		return
	}
	bw := w.c.bw
	var err error
	if w.chunking {
		var hex [16]byte
		_, _ = bw.Write(strconv.AppendInt(hex[:0], int64(n), 16))
		_, _ = bw.WriteString("\r\n")
	}
	if p != nil {
		_, err = bw.Write(p)
	} else {
		_, err = bw.WriteString(s)
	}
	if w.chunking {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil && w.err == nil {
		w.err = err // bufio.Writer keeps returning it
	}
}

// FlushError sends what was written so far (http.ResponseController).
func (w *response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(w.body)
		w.writeBody(w.body, "")
		w.body = w.body[:0]
	}
	err := w.c.bw.Flush()
	if err != nil && w.err == nil {
		w.err = err
	}
	return err
}

func (w *response) Flush() { _ = w.FlushError() }

// finish completes the response after the handler returned and reports
// whether the connection may serve another request.
func (w *response) finish() bool {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(w.body)
		w.writeBody(w.body, "")
	}
	bw := w.c.bw
	if w.chunking {
		_, _ = bw.WriteString("0\r\n")
		w.writeTrailers()
		_, _ = bw.WriteString("\r\n")
	}
	if w.req.Method != http.MethodHead && w.clen != -1 && bodyAllowedForStatus(w.status) && w.clen != w.written {
		w.closeAfter = true // did not write what it announced
	}
	return !w.closeAfter
}

func (w *response) writeTrailers() {
	if len(w.declared) == 0 && !w.prefixedTrailers() {
		return
	}
	t := make(http.Header)
	for k, vv := range w.hdr {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			t[name] = vv
		}
	}
	for _, k := range w.declared {
		if vv, ok := w.hdr[k]; ok {
			t[k] = vv
		}
	}
	keys := w.keys[:0]
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b []byte
	for _, k := range keys {
		b = appendField(b, k, t[k])
	}
	w.keys = keys[:0]
	_, _ = w.c.bw.Write(b)
}

// prefixedTrailers reports whether the handler set a trailer with
// http.TrailerPrefix.
func (w *response) prefixedTrailers() bool {
	for k := range w.hdr {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

var (
	_ http.ResponseWriter = (*response)(nil)
	_ http.Flusher        = (*response)(nil)
)
