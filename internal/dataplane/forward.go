package dataplane

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// exchange is one proxied request on the direct path: its state, the
// outbound URL and the 1xx trace, in one allocation. The outbound request
// is the inbound one shallow-copied once (r.WithContext), with its own URL
// and a clone of the header; httputil.ReverseProxy copies the inbound
// request twice (WithContext for its context, then Request.Clone) and
// allocates a ProxyRequest and a trace with its own closures on top.
type exchange struct {
	st    reqState
	url   url.URL
	trace httptrace.ClientTrace

	mu   sync.Mutex // guards done against the Transport's 1xx callback
	done bool       // RoundTrip returned: 1xx answers no longer touch w
}

// Values the direct path puts on outbound requests; len == cap, and never
// appended to by the Transport.
var (
	protoHTTP  = []string{"http"}
	protoHTTPS = []string{"https"}
	noUA       = []string{""}
)

// hopHeaders are the hop-by-hop headers httputil.ReverseProxy removes from
// both the outbound request and the response (RFC 9110 §7.6.1 and the older
// RFC 2616 list), in canonical form.
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// reencodeQueries is set when GODEBUG asks net/http/httputil for a
// non-default urlmaxqueryparams, under which ReverseProxy re-encodes every
// query: such requests take the ReverseProxy path.
var reencodeQueries = strings.Contains(os.Getenv("GODEBUG"), "urlmaxqueryparams")

// direct reports whether r can take the direct path, which does what
// httputil.ReverseProxy (configured as newReverseProxy) does for ordinary
// exchanges. Protocol upgrades, TE (trailers announced by the client) and
// queries ReverseProxy would re-encode (";", "%", very many parameters)
// keep going through ReverseProxy.
func direct(r *http.Request) bool {
	if len(r.Header["Upgrade"]) != 0 || len(r.Header["Te"]) != 0 {
		return false
	}
	q := r.URL.RawQuery
	return q == "" || !reencodeQueries && len(q) < 1000 && !strings.ContainsAny(q, ";%")
}

// forwardDirect proxies r to st.target by calling the backend's Transport
// itself. It keeps every behaviour of the ReverseProxy path: hop-by-hop
// headers removed both ways, X-Forwarded-For/-Host/-Proto from the
// connection only, the header filters, 1xx responses passed on, the CORS
// step on the response, streaming responses flushed as they come,
// trailers, passive health and upstream metrics, error statuses with CORS
// headers, and an aborted connection when the body copy fails.
func (g *Gateway) forwardDirect(ctx context.Context, x *exchange, r *http.Request) {
	st := &x.st
	// The 1xx trace goes into the context before the one shallow copy.
	x.trace.Got1xxResponse = x.got1xx
	out := r.WithContext(httptrace.WithClientTrace(ctx, &x.trace))
	x.url = *r.URL
	out.URL = &x.url
	out.Header = r.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	if r.Trailer != nil {
		// The server fills r.Trailer as it reads the body; like
		// ReverseProxy's Request.Clone, send a snapshot of it.
		out.Trailer = r.Trailer.Clone()
	}
	if r.ContentLength == 0 {
		out.Body = nil // as ReverseProxy: lets the Transport retry
	}
	if out.Body != nil {
		// The Transport closes the body it was given; the inbound body
		// belongs to the server (see ReverseProxy's noopCloseReader).
		out.Body = noopCloseReader{out.Body}
		defer out.Body.Close()
	}
	out.Close = false
	removeHopByHop(out.Header)
	st.rewriteOutbound(out, r)
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = noUA // not Go's default User-Agent
	}
	w := &st.w

	res, err := st.roundTrip(out, g.log)
	x.mu.Lock()
	x.done = true
	x.mu.Unlock()
	if err != nil {
		g.upstreamFailed(w, out, st, err)
		return
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Only upgrade requests may switch, and they take ReverseProxy.
		res.Body.Close()
		g.upstreamFailed(w, out, st, errors.New("dataplane: backend switched protocols on a request that did not ask to"))
		return
	}
	removeHopByHop(res.Header)
	st.modifyResponse(res)
	copyResponseHeader(w.Header(), res.Header)
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		w.Header().Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(res.StatusCode)
	if err := g.copyBody(w, res, streaming(res)); err != nil {
		defer res.Body.Close()
		if r.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler) // the server aborts the connection
		}
		return
	}
	res.Body.Close() // now, so that res.Trailer is complete
	if len(res.Trailer) > 0 {
		// Force chunking, so the trailers can follow the body.
		_ = http.NewResponseController(w).Flush()
	}
	if len(res.Trailer) == announced {
		copyResponseHeader(w.Header(), res.Trailer)
		return
	}
	for k, vv := range res.Trailer {
		k = http.TrailerPrefix + k
		for _, v := range vv {
			w.Header().Add(k, v)
		}
	}
}

// got1xx passes an informational response (103 Early Hints and the like)
// on to the client, as ReverseProxy does.
func (x *exchange) got1xx(code int, header textproto.MIMEHeader) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done {
		return nil
	}
	h := x.st.w.Header()
	copyResponseHeader(h, http.Header(header))
	x.st.w.WriteHeader(code)
	clear(h) // WriteHeader does not clear the map after a 1xx
	return nil
}

// copyResponseHeader adds src's lines to dst. A name dst lacks takes src's
// value list as is (src is the Transport's, read once and dropped), so a
// response does not allocate a list per header line.
func copyResponseHeader(dst, src http.Header) {
	for k, vv := range src {
		if have, ok := dst[k]; ok {
			dst[k] = append(have, vv...)
			continue
		}
		dst[k] = vv
	}
}

// removeHopByHop removes the headers named in Connection, then the fixed
// hop-by-hop list, like ReverseProxy.
func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				h.Del(sf)
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name)
	}
}

// streaming reports whether the response body must be flushed as it
// arrives: server-sent events, or a body of unknown length (ReverseProxy's
// flushInterval of -1).
func streaming(res *http.Response) bool {
	if res.ContentLength == -1 {
		return true
	}
	ct := res.Header["Content-Type"]
	if len(ct) == 0 || !containsFold(ct[0], "event-stream") {
		return false // the cheap test first: ParseMediaType allocates
	}
	base, _, _ := mime.ParseMediaType(ct[0])
	return base == "text/event-stream"
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// copyBody streams the response body to w with a pooled buffer, flushing
// after every write when flush is set (and once before, so the headers of
// a slow stream go out at once).
func (g *Gateway) copyBody(w *statusWriter, res *http.Response, flush bool) error {
	var fl func() error
	if flush {
		fl = http.NewResponseController(w).Flush
		_ = fl()
	}
	buf := g.buffers.Get()
	defer g.buffers.Put(buf)
	for {
		nr, rerr := res.Body.Read(buf)
		if rerr != nil && rerr != io.EOF && rerr != context.Canceled {
			g.log.Warn("upstream body read failed", slog.Any("error", rerr))
		}
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			if werr != nil {
				return werr
			}
			if nw != nr {
				return io.ErrShortWrite
			}
			if fl != nil {
				_ = fl()
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				return nil
			}
			return rerr
		}
	}
}

// noopCloseReader keeps the Transport from closing the server's request
// body.
type noopCloseReader struct{ io.Reader }

func (noopCloseReader) Close() error { return nil }

// rewriteOutbound points out at the chosen endpoint, sets
// X-Forwarded-For/-Host/-Proto from the connection only (a client's own
// values, and Forwarded, are dropped: the gateway is the edge) and applies
// the rule's, then the backendRef's, RequestHeaderModifier. Shared by both
// paths (rewrite is the ReverseProxy hook).
func (st *reqState) rewriteOutbound(out, in *http.Request) {
	out.URL.Scheme = st.target.scheme
	out.URL.Host = st.target.host
	h := out.Header
	delete(h, "Forwarded")
	if ip, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		h["X-Forwarded-For"] = []string{ip}
	} else {
		delete(h, "X-Forwarded-For")
	}
	h["X-Forwarded-Host"] = []string{in.Host}
	if in.TLS == nil {
		h["X-Forwarded-Proto"] = protoHTTP
	} else {
		h["X-Forwarded-Proto"] = protoHTTPS
	}
	applyModifier(h, st.route.RequestHeaders)
	applyModifier(h, st.wb.RequestHeaders)
}

// modifyResponse applies the rule's, then the backendRef's,
// ResponseHeaderModifier, and only then the CORS step. The order matters:
// the CORS step deletes every Access-Control-* header before setting the
// gateway's own, so neither the upstream nor a header filter can inject,
// override or duplicate one.
func (st *reqState) modifyResponse(res *http.Response) {
	applyModifier(res.Header, st.route.ResponseHeaders)
	applyModifier(res.Header, st.wb.ResponseHeaders)
	if st.cors != nil {
		setActualHeaders(res.Header, &st.dec)
	}
}

// roundTrip sends req with the transport of the chosen backend, records
// the time to the response headers, and keeps the endpoint's passive
// health: a connect failure starts a back-off, a completed exchange ends it.
func (st *reqState) roundTrip(req *http.Request, log *slog.Logger) (*http.Response, error) {
	if st == nil || st.be == nil {
		return nil, errNoBackend
	}
	start := time.Now()
	var res *http.Response
	var err error
	if st.be.h1 != nil && h1Eligible(req) {
		res, err = st.be.h1.roundTrip(req, st.idx, st.target.host)
	} else {
		res, err = st.be.transport.RoundTrip(req)
	}
	st.be.up.Observe(time.Since(start))
	switch {
	case err == nil:
		st.be.exchanged(st.idx, log)
	case isConnectError(err) && req.Context().Err() == nil:
		// Not the client leaving or the overall timeout: the endpoint
		// refused or did not answer the connection.
		st.be.connectFailed(st.idx, log)
	}
	if res != nil && res.Request == nil {
		res.Request = req
	}
	return res, err
}
