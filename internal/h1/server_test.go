package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

var big = strings.Repeat("0123456789abcdef", 200) // 3200 bytes, > bufferBeforeChunking

// responseCases are handlers whose responses the fast path must frame as
// net/http does. rec records what Write returned, so that is compared too.
var responseCases = []struct {
	name string
	h    func(w http.ResponseWriter, r *http.Request, rec recFunc)
}{
	{"empty", func(w http.ResponseWriter, r *http.Request, rec recFunc) {}},
	{"204", func(w http.ResponseWriter, r *http.Request, rec recFunc) { w.WriteHeader(204) }},
	{"304-with-type-and-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "10")
		w.Header().Set("Etag", `"x"`)
		w.WriteHeader(304)
	}},
	{"write-short", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := w.Write([]byte("hello"))
		rec("write %d %v", n, err)
	}},
	{"writestring-short", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := io.WriteString(w, "hello")
		rec("write %d %v", n, err)
	}},
	{"explicit-content-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", "5")
		n, err := w.Write([]byte("hello"))
		rec("write %d %v", n, err)
	}},
	{"explicit-content-length-short-write", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", "10")
		n, err := w.Write([]byte("hello"))
		rec("write %d %v", n, err)
	}},
	{"invalid-content-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", "abc")
		n, err := w.Write([]byte("hello"))
		rec("write %d %v", n, err)
	}},
	{"nil-content-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header()["Content-Length"] = nil
		n, err := w.Write([]byte("hello"))
		rec("write %d %v", n, err)
	}},
	{"big-chunked", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := w.Write([]byte(big))
		rec("write %d %v", n, err)
	}},
	{"big-chunked-in-pieces", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		for _, p := range []string{big[:1000], big[1000:2047], big[2047:2049], big[2049:]} {
			n, err := io.WriteString(w, p)
			rec("write %d %v", n, err)
		}
	}},
	{"big-explicit-content-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		n, err := w.Write([]byte(big))
		rec("write %d %v", n, err)
	}},
	{"flush-after-header-then-body", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for _, p := range []string{"data: a\n\n", "data: b\n\n"} {
			n, err := io.WriteString(w, p)
			rec("write %d %v", n, err)
			rec("flush %v", http.NewResponseController(w).Flush())
		}
	}},
	{"write-flush-write", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := io.WriteString(w, "<html>first")
		rec("write %d %v", n, err)
		w.(http.Flusher).Flush()
		n, err = io.WriteString(w, "second")
		rec("write %d %v", n, err)
	}},
	{"flush-only", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.(http.Flusher).Flush()
	}},
	{"early-hints-103", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(200)
		n, err := io.WriteString(w, "final")
		rec("write %d %v", n, err)
	}},
	{"early-hints-twice-then-empty", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Link", "</a.js>; rel=preload")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Add("Link", "</b.js>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
	}},
	{"trailer-declared", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Trailer", "X-Sum, X-Other")
		n, err := io.WriteString(w, "body")
		rec("write %d %v", n, err)
		w.Header().Set("X-Sum", "42")
		w.Header().Set("X-Other", "o")
	}},
	{"trailer-declared-big", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Trailer", "X-Sum")
		n, err := io.WriteString(w, big)
		rec("write %d %v", n, err)
		w.Header().Set("X-Sum", "42")
	}},
	{"trailer-declared-forbidden-name", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Trailer", "Content-Type, X-Sum")
		n, err := io.WriteString(w, "body")
		rec("write %d %v", n, err)
		w.Header().Set("X-Sum", "42")
	}},
	{"trailer-prefix-before-header", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set(http.TrailerPrefix+"X-Sum", "early")
		n, err := io.WriteString(w, "body")
		rec("write %d %v", n, err)
		w.Header().Set(http.TrailerPrefix+"X-Sum", "42")
	}},
	{"trailer-prefix-after-small-body", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := io.WriteString(w, "body")
		rec("write %d %v", n, err)
		w.Header().Set(http.TrailerPrefix+"X-Sum", "42")
	}},
	{"trailer-prefix-after-big-body", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := io.WriteString(w, big)
		rec("write %d %v", n, err)
		w.Header().Set(http.TrailerPrefix+"X-Sum", "42")
	}},
	{"sniff-html", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := io.WriteString(w, "<!DOCTYPE html><html><body>hi</body></html>")
		rec("write %d %v", n, err)
	}},
	{"sniff-binary", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := w.Write([]byte{0, 1, 2, 3, 0xff, 0xfe, 7, 8})
		rec("write %d %v", n, err)
	}},
	{"sniff-big-html", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := io.WriteString(w, "<html>"+big)
		rec("write %d %v", n, err)
	}},
	{"content-encoding-without-type", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Encoding", "gzip")
		n, err := w.Write([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
		rec("write %d %v", n, err)
	}},
	{"handler-connection-close", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Connection", "close")
		n, err := io.WriteString(w, "bye")
		rec("write %d %v", n, err)
	}},
	{"handler-connection-keep-alive", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Connection", "keep-alive")
		n, err := io.WriteString(w, "hi")
		rec("write %d %v", n, err)
	}},
	{"transfer-encoding-identity", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Transfer-Encoding", "identity")
		n, err := io.WriteString(w, "until close")
		rec("write %d %v", n, err)
	}},
	{"content-length-and-chunked", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", "5")
		w.Header().Set("Transfer-Encoding", "chunked")
		n, err := io.WriteString(w, "hello")
		rec("write %d %v", n, err)
	}},
	{"transfer-encoding-chunked", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Transfer-Encoding", "chunked")
		n, err := io.WriteString(w, "hello")
		rec("write %d %v", n, err)
	}},
	{"crlf-in-values", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("X-Split", "a\r\nInjected: yes")
		w.Header().Set("X-Lf", "b\nc\r")
		w.Header().Set("X-Padded", "  v  ")
		n, err := io.WriteString(w, "x")
		rec("write %d %v", n, err)
	}},
	{"invalid-header-names", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header()["Bad Name"] = []string{"x"}
		w.Header()["X:Y"] = []string{"y"}
		w.Header()["X-Good"] = []string{"z"}
		w.Header()["X-Multi"] = []string{"1", "2"}
	}},
	{"handler-date", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Date", "Mon, 01 Jan 2001 00:00:00 GMT")
		n, err := io.WriteString(w, "x")
		rec("write %d %v", n, err)
	}},
	{"nil-date-and-content-type", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header()["Date"] = nil
		w.Header()["Content-Type"] = nil
		n, err := io.WriteString(w, "<html>no type</html>")
		rec("write %d %v", n, err)
	}},
	{"writeheader-twice", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.WriteHeader(201)
		w.WriteHeader(202)
		n, err := io.WriteString(w, "x")
		rec("write %d %v", n, err)
	}},
	{"header-mutated-after-writeheader", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("X-Early", "1")
		w.WriteHeader(200)
		w.Header().Set("X-Late", "1")
		w.Header().Set("Content-Type", "application/late")
		w.Header().Set("Content-Length", "1")
		w.Header().Set("Connection", "close")
		w.Header().Del("X-Early")
		n, err := io.WriteString(w, "late")
		rec("write %d %v", n, err)
	}},
	{"header-first-touched-after-writeheader", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.WriteHeader(200)
		w.Header().Set("X-Late", "1")
		n, err := io.WriteString(w, "x")
		rec("write %d %v", n, err)
	}},
	{"head-content-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", "100")
	}},
	{"write-on-204", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.WriteHeader(204)
		n, err := io.WriteString(w, "x")
		rec("write %d %v", n, err)
		rec("is ErrBodyNotAllowed %v", errors.Is(err, http.ErrBodyNotAllowed))
	}},
	{"write-on-304", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.WriteHeader(304)
		n, err := w.Write([]byte("x"))
		rec("write %d %v", n, err)
	}},
	{"write-more-than-content-length", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.Header().Set("Content-Length", "5")
		n, err := io.WriteString(w, "hello")
		rec("write %d %v", n, err)
		n, err = io.WriteString(w, "!")
		rec("write %d %v", n, err)
		rec("is ErrContentLength %v", errors.Is(err, http.ErrContentLength))
	}},
	{"status-without-text", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		w.WriteHeader(299)
	}},
	{"error-helper", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		http.Error(w, "nope", http.StatusForbidden)
	}},
	{"zero-length-write", func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		n, err := w.Write(nil)
		rec("write %d %v", n, err)
	}},
}

// TestResponsesMatchNetHTTP sends the same bytes to net/http and to the
// fast path and compares everything a client can see.
func TestResponsesMatchNetHTTP(t *testing.T) {
	handlers := map[string]func(http.ResponseWriter, *http.Request, recFunc){}
	for _, tc := range responseCases {
		handlers[tc.name] = tc.h
	}
	dispatch := func(w http.ResponseWriter, r *http.Request, rec recFunc) {
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/c/"), "/")
		handlers[name](w, r, rec)
	}
	stdRec, ourRec := newRecorder(), newRecorder()
	std := startStd(t, stdRec.wrap(dispatch), nil)
	ours := startH1(t, ourRec.wrap(dispatch), nil)

	variants := []struct{ name, method, extra string }{
		{"get", "GET", ""},
		{"head", "HEAD", ""},
		{"close", "GET", "Connection: close\r\n"},
	}
	var dialed atomic.Int64
	t.Run("cases", func(t *testing.T) {
		for _, tc := range responseCases {
			for _, v := range variants {
				testResponseCase(t, std, ours, stdRec, ourRec, &dialed, tc.name, v.name, v.method, v.extra)
			}
		}
	})
	// Every client connection is closed now: each must have been seen
	// once as new and once as closed.
	want := int(dialed.Load())
	if want < len(responseCases) {
		t.Fatalf("only %d connections made", want)
	}
	ok := waitFor(5*time.Second, func() bool {
		n, closed, _ := ours.conns.counts()
		return n == want && closed == n
	})
	if n, closed, hijacked := ours.conns.counts(); !ok {
		t.Errorf("ConnState: %d connections, %d closed, %d hijacked; want %d closed", n, closed, hijacked, want)
	}
}

// testResponseCase runs one case of TestResponsesMatchNetHTTP, in
// parallel with the others.
func testResponseCase(t *testing.T, std, ours *testServer, stdRec, ourRec *recorder, dialed *atomic.Int64, name, variant, method, extra string) {
	t.Run(name+"/"+variant, func(t *testing.T) {
		t.Parallel()
		path := "/c/" + name + "/" + variant
		req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\n%s\r\n", method, path, extra)
		if path == "/c/invalid-content-length/head" {
			// net/http sends "Content-Length: abc" as is, which no client
			// can read, so there is no answer to match: the fast path must
			// drop the invalid value and answer readably instead.
			got := exchange(t, ours.addr, method, []string{req}, "")
			dialed.Add(1)
			if got.Err != "" || got.Final.Status != "200 OK" || got.Final.Header.Get("Content-Length") != "" {
				t.Errorf("HEAD with an invalid Content-Length: %v", got)
			}
			return
		}
		want := exchange(t, std.addr, method, []string{req}, "")
		dialed.Add(1)
		got := exchange(t, ours.addr, method, []string{req}, "")
		want.Records, _ = stdRec.get(t, path)
		var fast []bool
		got.Records, fast = ourRec.get(t, path)
		if want.Err != "" || want.Final.Status == "" {
			t.Fatalf("net/http did not answer: %v", want)
		}
		if len(fast) == 0 {
			t.Fatalf("handler not called on h1.Server")
		}
		for i, f := range fast {
			if !f {
				t.Errorf("request %d was not served on the fast path", i)
			}
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("request %q\nnet/http:\n%v\nh1:\n%v", req, want, got)
		}
	})
}

// reqInfo is what a handler can see of a request.
type reqInfo struct {
	Method, Proto          string
	ProtoMajor, ProtoMinor int
	URL                    url.URL
	Header                 http.Header
	Host, RequestURI       string
	RemoteAddrOK           bool
	ContentLength          int64
	Close                  bool
	NoBody, TLSNil         bool
	TransferEncoding       []string
	Trailer                http.Header
	Form                   url.Values
	Pattern                string
	HasServer              bool
	LocalAddrIsListener    bool
	CtxErr                 error
	Query                  url.Values
	UserAgent              string
}

func TestRequestsMatchNetHTTP(t *testing.T) {
	newHandler := func(ch chan<- reqInfo, ln net.Listener) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, port, err := net.SplitHostPort(r.RemoteAddr)
			ip := net.ParseIP(host)
			la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
			_, isServer := r.Context().Value(http.ServerContextKey).(*http.Server)
			info := reqInfo{
				Method: r.Method, Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
				URL: *r.URL, Header: r.Header.Clone(), Host: r.Host, RequestURI: r.RequestURI,
				RemoteAddrOK:  err == nil && ip != nil && ip.IsLoopback() && port != "" && port != "0",
				ContentLength: r.ContentLength, Close: r.Close,
				NoBody: r.Body == http.NoBody, TLSNil: r.TLS == nil,
				TransferEncoding: r.TransferEncoding, Trailer: r.Trailer, Form: r.Form, Pattern: r.Pattern,
				HasServer:           isServer,
				LocalAddrIsListener: la != nil && la.String() == ln.Addr().String(),
				CtxErr:              r.Context().Err(),
				Query:               r.URL.Query(),
				UserAgent:           r.UserAgent(),
			}
			if _, fast := w.(*response); fast {
				info.Pattern = "fast" // marks the path taken; net/http's is ""
			}
			ch <- info
		})
	}
	stdCh, ourCh := make(chan reqInfo, 4), make(chan reqInfo, 4)
	var std, ours *testServer
	// The handlers need their listener: start, then swap in.
	stdH, ourH := &swapHandler{}, &swapHandler{}
	std = startStd(t, stdH, nil)
	ours = startH1(t, ourH, nil)
	stdH.set(newHandler(stdCh, std.ln))
	ourH.set(newHandler(ourCh, ours.ln))

	reqs := []string{
		"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /a/b?x=1&y=%20&z&x=2 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t/1\r\n\r\n",
		"GET /p%2Fq/%7Euser/caf%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a%20b?q=%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /? HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET //x/y?q=a?b HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a!b*c'(d) HTTP/1.1\r\nHost: h\r\n\r\n",
		"OPTIONS /api/v1/items HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n",
		"GET /r HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nx-a: 3\r\nAccept: a\r\nAccept: b\r\n\r\n",
		"GET /l HTTP/1.1\r\nhost: h\r\nx-lower-case: v\r\ncontent-type: text/plain\r\nX_Under: u\r\n\r\n",
		"GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"GET /c2 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n",
		"GET /k HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
		"DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n",
		"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /v6 HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: h\r\nX:  padded \t \r\nEmpty:\r\nTab:\tv\r\n\r\n",
		"PATCH /m HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
	}
	for _, raw := range reqs {
		method, _, _ := strings.Cut(raw, " ")
		var infos [2]reqInfo
		for i, ts := range []*testServer{std, ours} {
			o := exchange(t, ts.addr, method, []string{raw}, "")
			if o.Err != "" || !strings.HasPrefix(o.Final.Status, "200") {
				t.Errorf("%q: server %d answered %v", raw, i, o)
			}
			infos[i] = testutil.Recv(t, []chan reqInfo{stdCh, ourCh}[i], "handler")
			if o.Next == nil && !strings.Contains(raw, "lose") || o.Next != nil && o.Next.Err != "" {
				t.Errorf("%q: server %d did not answer the request sent again: %v", raw, i, o)
			}
			if o.Next != nil { // the request was sent again on the connection
				next := testutil.Recv(t, []chan reqInfo{stdCh, ourCh}[i], "handler")
				next.Pattern = infos[i].Pattern
				if !reflect.DeepEqual(next, infos[i]) {
					t.Errorf("%q: server %d, second request on the connection differs:\n%+v\n%+v", raw, i, infos[i], next)
				}
			}
		}
		if infos[1].Pattern != "fast" {
			t.Errorf("%q: not served on the fast path", raw)
		}
		infos[1].Pattern = ""
		if !infos[0].RemoteAddrOK || !infos[0].HasServer || !infos[0].LocalAddrIsListener || !infos[0].NoBody {
			t.Errorf("%q: net/http's request is not as the test expects: %+v", raw, infos[0])
		}
		if !reflect.DeepEqual(infos[0], infos[1]) {
			t.Errorf("%q:\nnet/http: %+v\nh1:       %+v", raw, infos[0], infos[1])
		}
	}
}

type swapHandler struct{ h atomic.Value }

func (s *swapHandler) set(h http.Handler) { s.h.Store(h) }
func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.Load().(http.Handler).ServeHTTP(w, r)
}

// echoHandler answers with the method, path and the request body, and
// records whether ours served it on the fast path.
func echoHandler(fast *sync.Map) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if fast != nil {
			_, f := w.(*response)
			fast.Store(r.URL.Path, f)
		}
		fmt.Fprintf(w, "%s %s %q %v", r.Method, r.URL.Path, b, err)
	})
}

func TestPipelining(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		methods  []string
		want     []string
		fastPath []bool
		closed   bool
	}{
		{
			name:     "three GETs",
			in:       "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n",
			methods:  []string{"GET", "GET", "HEAD"},
			want:     []string{`GET /1 "" <nil>`, `GET /2 "" <nil>`, ``},
			fastPath: []bool{true, true, true},
		},
		{
			name:     "POST in the middle hands off",
			in:       "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
			methods:  []string{"GET", "POST", "GET"},
			want:     []string{`GET /1 "" <nil>`, `POST /2 "hello" <nil>`, `GET /3 "" <nil>`},
			fastPath: []bool{true, false, false},
		},
		{
			name:     "chunked POST first",
			in:       "POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			methods:  []string{"POST", "GET", "GET"},
			want:     []string{`POST /1 "abc" <nil>`, `GET /2 "" <nil>`, `GET /3 "" <nil>`},
			fastPath: []bool{false, false, false},
			closed:   true,
		},
		{
			name:     "last one closes",
			in:       "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
			methods:  []string{"GET", "GET"},
			want:     []string{`GET /1 "" <nil>`, `GET /2 "" <nil>`},
			fastPath: []bool{true, true},
			closed:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fast sync.Map
			servers := []*testServer{startStd(t, echoHandler(nil), nil), startH1(t, echoHandler(&fast), nil)}
			for i, ts := range servers {
				c, br := dial(t, ts.addr)
				write(t, c, tt.in)
				for j, m := range tt.methods {
					s, err := readOne(br, m)
					if err != nil {
						t.Fatalf("server %d, response %d: %v", i, j, err)
					}
					if !strings.HasPrefix(s.Status, "200") || s.Body != tt.want[j] || s.BodyErr != "" {
						t.Errorf("server %d, response %d: got %v; want body %q", i, j, s, tt.want[j])
					}
				}
				if end := afterClose(c, br, 200*time.Millisecond); (end == "closed") != tt.closed {
					t.Errorf("server %d: after the responses the connection is %s", i, end)
				}
			}
			for j, want := range tt.fastPath {
				f, ok := fast.Load(fmt.Sprintf("/%d", j+1))
				if !ok || f.(bool) != want {
					t.Errorf("request %d: fast path %v (called %v); want %v", j+1, f, ok, want)
				}
			}
		})
	}
}

// handOffHandler echoes the request; on /ws with "Upgrade: websocket" it
// hijacks the connection, answers 101 and echoes one line.
func handOffHandler(w http.ResponseWriter, r *http.Request, rec recFunc) {
	if r.URL.Path == "/ws" && r.Header.Get("Upgrade") == "websocket" {
		c, brw, err := http.NewResponseController(w).Hijack()
		rec("hijack %v", err)
		if err != nil {
			http.Error(w, "cannot hijack", http.StatusInternalServerError)
			return
		}
		defer c.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, err := brw.ReadString('\n')
		_, _ = brw.WriteString(fmt.Sprintf("echo: %q %v\n", line, err))
		_ = brw.Flush()
		return
	}
	b, err := io.ReadAll(r.Body)
	rec("body %q %v", b, err)
	fmt.Fprintf(w, "%s %s %s %q", r.Method, r.RequestURI, r.Proto, b)
}

// TestHandOffMatchesNetHTTP: requests outside the fast path's subset are
// answered by the fallback exactly as net/http answers them.
func TestHandOffMatchesNetHTTP(t *testing.T) {
	stdRec, ourRec := newRecorder(), newRecorder()
	std := startStd(t, stdRec.wrap(handOffHandler), nil)
	ours := startH1(t, ourRec.wrap(handOffHandler), func(s *Server) {
		s.MaxHeadBytes = 256
		s.Fallback.MaxHeaderBytes = 1 << 20
	})
	tests := []struct {
		name, path, method string
		parts              []string
		again              string
		status             string // net/http's, so that the case is not vacuous
	}{
		{"HTTP/1.0", "/10", "GET", []string{"GET /10 HTTP/1.0\r\nHost: a\r\n\r\n"}, "", "200"},
		{"HTTP/1.0 keep-alive", "/10ka", "GET", []string{"GET /10ka HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"}, "", "200"},
		{"POST with body", "/post", "POST", []string{"POST /post HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"}, "", "200"},
		{"POST then fast GET", "/post2", "POST", []string{"POST /post2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"}, "GET /post2 HTTP/1.1\r\nHost: a\r\n\r\n", "200"},
		{"chunked body", "/chunked", "POST", []string{"POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n, x\r\n0\r\nX-T: 1\r\n\r\n"}, "", "200"},
		{"Expect 100-continue", "/expect", "PUT", []string{"PUT /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", "hello"}, "", "200"},
		{"head over MaxHeadBytes", "/big", "GET", []string{"GET /big HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("b", 1000) + "\r\n\r\n"}, "", "200"},
		{"head over MaxHeadBytes in pieces", "/big2", "GET", []string{"GET /big2 HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("b", 200), pause + strings.Repeat("c", 300) + "\r\n\r\n"}, "", "200"},
		{"bare LF", "/lf", "GET", []string{"GET /lf HTTP/1.1\nHost: a\n\n"}, "", "200"},
		{"missing Host", "/nohost", "GET", []string{"GET /nohost HTTP/1.1\r\nX: y\r\n\r\n"}, "", "400"},
		{"two Hosts", "/twohosts", "GET", []string{"GET /twohosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}, "", "400"},
		{"invalid Host", "/badhost", "GET", []string{"GET /badhost HTTP/1.1\r\nHost: a b\r\n\r\n"}, "", "400"},
		{"absolute form", "/abs", "GET", []string{"GET http://a/abs?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"}, "", "200"},
		{"OPTIONS *", "*", "OPTIONS", []string{"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"}, "", "200"},
		{"upgrade not hijacked", "/up", "GET", []string{"GET /up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"}, "", "200"},
		{"lower-case method", "/lm", "get", []string{"get /lm HTTP/1.1\r\nHost: a\r\n\r\n"}, "", "200"},
		{"non-ASCII header value", "/na", "GET", []string{"GET /na HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n"}, "", "200"},
		{"header folding", "/fold", "GET", []string{"GET /fold HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"}, "", "200"},
		{"garbage", "/garbage", "GET", []string{"GARBAGE\r\n\r\n"}, "", "400"},
		{"HTTP/2 preface", "/h2", "GET", []string{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}, "", ""},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := exchange(t, std.addr, tt.method, tt.parts, tt.again)
				got := exchange(t, ours.addr, tt.method, tt.parts, tt.again)
				want.Records, _ = stdRec.get(t, tt.path)
				var fast []bool
				got.Records, fast = ourRec.get(t, tt.path)
				if !strings.HasPrefix(want.Final.Status, tt.status) {
					t.Errorf("net/http answered %v; the test expects %s", want, tt.status)
				}
				for i, f := range fast {
					if f && i == 0 {
						t.Errorf("request %d was served on the fast path", i)
					}
				}
				if !reflect.DeepEqual(want, got) {
					t.Errorf("request %q\nnet/http:\n%v\nh1:\n%v", tt.parts, want, got)
				}
			})
		}
		// A WebSocket-style upgrade: only the fallback can hijack. With
		// and without the first frame sent along with the request.
		for _, early := range []bool{false, true} {
			t.Run(fmt.Sprintf("hijack early=%v", early), func(t *testing.T) {
				var res [2]string
				for i, ts := range []*testServer{std, ours} {
					c, br := dial(t, ts.addr)
					req := "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"
					if early {
						req += "ping\n"
					}
					write(t, c, req)
					s, err := readOne(br, "GET")
					if err != nil {
						t.Fatalf("server %d: %v", i, err)
					}
					if !early {
						write(t, c, "ping\n")
					}
					rest, err := io.ReadAll(br)
					res[i] = fmt.Sprintf("%s%s %v", s, rest, errKind(err))
				}
				if !strings.Contains(res[0], "101 Switching Protocols") || !strings.Contains(res[0], `echo: "ping\n" <nil>`) {
					t.Errorf("net/http: %s", res[0])
				}
				if res[0] != res[1] {
					t.Errorf("net/http:\n%s\nh1:\n%s", res[0], res[1])
				}
			})
		}
	})
	// Every client connection is closed now; the server closes its ends.
	wantConns := len(tests) + 2
	ok := waitFor(5*time.Second, func() bool {
		n, closed, hijacked := ours.conns.counts()
		return n == wantConns && closed+hijacked == n
	})
	n, closed, hijacked := ours.conns.counts()
	if !ok || hijacked != 2 {
		t.Errorf("ConnState: %d connections, %d closed, %d hijacked; want %d, %d, 2", n, closed, hijacked, wantConns, wantConns-2)
	}
}

// waitHandler is the handler of the client-gone and shutdown tests: /wait
// takes r.Context().Done() (starting the background read on the fast
// path), says it started and waits for the context or for release; /block
// waits for release only; anything else echoes.
type waitHandler struct {
	started chan string
	release chan struct{}
	errs    chan error // r.Context().Err() when /wait or /block returns
}

func newWaitHandler() *waitHandler {
	return &waitHandler{started: make(chan string, 8), release: make(chan struct{}), errs: make(chan error, 8)}
}

func (h *waitHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/wait":
		done := r.Context().Done()
		h.started <- r.URL.Path
		select {
		case <-done:
		case <-h.release:
		}
		h.errs <- r.Context().Err()
		fmt.Fprint(w, "waited")
	case "/block":
		h.started <- r.URL.Path
		<-h.release
		h.errs <- r.Context().Err()
		fmt.Fprint(w, "blocked")
	default:
		echoHandler(nil).ServeHTTP(w, r)
	}
}

func TestClientGone(t *testing.T) {
	const (
		wait  = "GET /wait HTTP/1.1\r\nHost: a\r\n\r\n"
		block = "GET /block HTTP/1.1\r\nHost: a\r\n\r\n"
		next  = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
	)
	tests := []struct {
		name string
		run  func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader)
	}{
		{"Done returns when the client closes", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, wait)
			testutil.Recv(t, h.started, "handler start")
			_ = c.Close()
			if err := testutil.Recv(t, h.errs, "handler to notice the client is gone"); !errors.Is(err, context.Canceled) {
				t.Errorf("r.Context().Err() = %v; want context.Canceled", err)
			}
		}},
		{"handler not calling Done is unaffected", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, block)
			testutil.Recv(t, h.started, "handler start")
			select {
			case err := <-h.errs:
				t.Fatalf("handler returned early: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
			close(h.release)
			testutil.Recv(t, h.errs, "handler to return")
			expectResponse(t, br, "GET", "blocked")
		}},
		{"keep-alive after Done, next request after the response", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, wait)
			testutil.Recv(t, h.started, "handler start")
			close(h.release)
			expectResponse(t, br, "GET", "waited")
			if err := testutil.Recv(t, h.errs, "handler"); err != nil {
				t.Errorf("r.Context().Err() = %v; want nil", err)
			}
			write(t, c, next)
			expectResponse(t, br, "GET", `GET /next "" <nil>`)
			write(t, c, wait)
			testutil.Recv(t, h.started, "handler start")
			expectResponse(t, br, "GET", "waited")
		}},
		{"next request arrives while the handler waits", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, wait)
			testutil.Recv(t, h.started, "handler start")
			write(t, c, next)
			time.Sleep(20 * time.Millisecond) // let the background read take it
			close(h.release)
			expectResponse(t, br, "GET", "waited")
			expectResponse(t, br, "GET", `GET /next "" <nil>`)
		}},
		{"part of the next head arrives while the handler waits", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, wait)
			testutil.Recv(t, h.started, "handler start")
			write(t, c, next[:10])
			time.Sleep(20 * time.Millisecond) // let the background read take it
			close(h.release)
			expectResponse(t, br, "GET", "waited")
			write(t, c, next[10:])
			expectResponse(t, br, "GET", `GET /next "" <nil>`)
		}},
		{"POST arrives while the handler waits", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, wait)
			testutil.Recv(t, h.started, "handler start")
			write(t, c, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
			time.Sleep(20 * time.Millisecond)
			close(h.release)
			expectResponse(t, br, "GET", "waited")
			expectResponse(t, br, "POST", `POST /p "abc" <nil>`)
		}},
		{"pipelined behind a waiting handler", func(t *testing.T, h *waitHandler, c net.Conn, br *bufio.Reader) {
			write(t, c, wait+next)
			testutil.Recv(t, h.started, "handler start")
			close(h.release)
			expectResponse(t, br, "GET", "waited")
			expectResponse(t, br, "GET", `GET /next "" <nil>`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, which := range []string{"net/http", "h1"} {
				t.Run(which, func(t *testing.T) {
					h := newWaitHandler()
					var ts *testServer
					if which == "h1" {
						ts = startH1(t, h, nil)
					} else {
						ts = startStd(t, h, nil)
					}
					c, br := dial(t, ts.addr)
					tt.run(t, h, c, br)
					// The server still serves new connections.
					o := exchange(t, ts.addr, "GET", []string{"GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"}, "")
					if o.Final.Body != `GET /after "" <nil>` {
						t.Errorf("new connection afterwards: %v", o)
					}
				})
			}
		})
	}
}

// expectResponse reads one response and checks it is a 200 with body.
func expectResponse(t *testing.T, br *bufio.Reader, method, body string) summary {
	t.Helper()
	s, err := readOne(br, method)
	if err != nil {
		t.Fatalf("reading the response with body %q: %v", body, err)
	}
	if !strings.HasPrefix(s.Status, "200") || s.Body != body || s.BodyErr != "" {
		t.Fatalf("got %v; want 200 with body %q", s, body)
	}
	return s
}

func TestTimeouts(t *testing.T) {
	const req = "GET /t HTTP/1.1\r\nHost: a\r\n\r\n"
	const body = `GET /t "" <nil>`
	tests := []struct {
		name            string
		readHeader, idl time.Duration
		run             func(t *testing.T, c net.Conn, br *bufio.Reader) string
	}{
		{"ReadHeaderTimeout closes a partial head", 100 * time.Millisecond, 0, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			start := time.Now()
			write(t, c, "GET /t HTTP/1.1\r\nHo")
			end := afterClose(c, br, 3*time.Second)
			if !closedAfter(end) {
				t.Fatalf("after a partial head: %s; want closed", end)
			}
			if d := time.Since(start); d < 90*time.Millisecond {
				t.Errorf("closed after %v; ReadHeaderTimeout is 100ms", d)
			}
			return end
		}},
		{"ReadHeaderTimeout on a kept-alive connection", 100 * time.Millisecond, time.Second, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			write(t, c, req)
			expectResponse(t, br, "GET", body)
			write(t, c, "GET /t HTTP/1.1\r\nHo")
			start := time.Now()
			end := afterClose(c, br, 3*time.Second)
			if !closedAfter(end) {
				t.Fatalf("after a partial head: %s; want closed", end)
			}
			if d := time.Since(start); d > 800*time.Millisecond {
				t.Errorf("closed after %v; ReadHeaderTimeout is 100ms, IdleTimeout 1s", d)
			}
			return end
		}},
		{"IdleTimeout closes an idle connection", 0, 100 * time.Millisecond, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			write(t, c, req)
			expectResponse(t, br, "GET", body)
			start := time.Now()
			if end := afterClose(c, br, 3*time.Second); end != "closed" {
				t.Fatalf("idle: %s; want closed", end)
			}
			if d := time.Since(start); d < 90*time.Millisecond {
				t.Errorf("closed after %v; IdleTimeout is 100ms", d)
			}
			return ""
		}},
		{"slow head within ReadHeaderTimeout", 300 * time.Millisecond, 0, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			for _, p := range []string{req[:5], req[5:20], req[20:]} {
				write(t, c, p)
				time.Sleep(50 * time.Millisecond)
			}
			expectResponse(t, br, "GET", body)
			return ""
		}},
		{"idle longer than ReadHeaderTimeout, within IdleTimeout", 100 * time.Millisecond, 500 * time.Millisecond, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			write(t, c, req)
			expectResponse(t, br, "GET", body)
			time.Sleep(200 * time.Millisecond)
			write(t, c, req)
			expectResponse(t, br, "GET", body)
			return ""
		}},
		{"head started while idle may outlast IdleTimeout", 0, 150 * time.Millisecond, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			write(t, c, req)
			expectResponse(t, br, "GET", body)
			time.Sleep(50 * time.Millisecond)
			write(t, c, req[:10])
			time.Sleep(200 * time.Millisecond) // past the idle deadline
			write(t, c, req[10:])
			expectResponse(t, br, "GET", body)
			return ""
		}},
		{"no timeouts: a slow exchange", 0, 0, func(t *testing.T, c net.Conn, br *bufio.Reader) string {
			write(t, c, req[:10])
			time.Sleep(50 * time.Millisecond)
			write(t, c, req[10:])
			expectResponse(t, br, "GET", body)
			if end := afterClose(c, br, 50*time.Millisecond); end != "open" {
				t.Errorf("connection %s; want open", end)
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ends [2]string
			for i, which := range []string{"net/http", "h1"} {
				t.Run(which, func(t *testing.T) {
					var ts *testServer
					if which == "h1" {
						ts = startH1(t, echoHandler(nil), func(s *Server) { s.ReadHeaderTimeout, s.IdleTimeout = tt.readHeader, tt.idl })
					} else {
						ts = startStd(t, echoHandler(nil), func(s *http.Server) { s.ReadHeaderTimeout, s.IdleTimeout = tt.readHeader, tt.idl })
					}
					c, br := dial(t, ts.addr)
					ends[i] = tt.run(t, c, br)
				})
			}
			if ends[0] != ends[1] {
				t.Errorf("the client saw\nnet/http: %s\nh1:       %s", ends[0], ends[1])
			}
		})
	}
}

func TestShutdown(t *testing.T) {
	h := newWaitHandler()
	ts := startH1(t, h, nil)

	// idle: a fast-path connection kept alive.
	idle, idleBR := dial(t, ts.addr)
	write(t, idle, "GET /idle HTTP/1.1\r\nHost: a\r\n\r\n")
	expectResponse(t, idleBR, "GET", `GET /idle "" <nil>`)
	// idleFB: a connection kept alive by the fallback.
	idleFB, idleFBBR := dial(t, ts.addr)
	write(t, idleFB, "POST /idlefb HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
	expectResponse(t, idleFBBR, "POST", `POST /idlefb "x" <nil>`)
	// busy, busyFB: a request in flight on each path.
	busy, busyBR := dial(t, ts.addr)
	write(t, busy, "GET /block HTTP/1.1\r\nHost: a\r\n\r\n")
	busyFB, busyFBBR := dial(t, ts.addr)
	write(t, busyFB, "POST /block HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
	testutil.Recv(t, h.started, "handler start")
	testutil.Recv(t, h.started, "handler start")

	shut := make(chan error, 1)
	go func() { shut <- ts.h1.Shutdown(context.Background()) }()
	for name, c := range map[string]struct {
		c  net.Conn
		br *bufio.Reader
	}{"fast-path": {idle, idleBR}, "fallback": {idleFB, idleFBBR}} {
		start := time.Now()
		if end := afterClose(c.c, c.br, 2*time.Second); end != "closed" || time.Since(start) > time.Second {
			t.Errorf("idle %s connection: %s after %v; want closed at once", name, end, time.Since(start))
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with requests in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	// A new connection is refused (or closed) now.
	if c, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		if b, _ := io.ReadAll(c); len(b) > 0 {
			t.Errorf("a connection made during Shutdown was answered: %q", b)
		}
		_ = c.Close()
	}
	close(h.release)
	for name, c := range map[string]struct {
		c  net.Conn
		br *bufio.Reader
		m  string
	}{"fast-path": {busy, busyBR, "GET"}, "fallback": {busyFB, busyFBBR, "POST"}} {
		s, err := readOne(c.br, c.m)
		if err != nil || s.Body != "blocked" || !s.Close { // Close: the response said Connection: close
			t.Errorf("in-flight %s request: %v %v; want body \"blocked\" with Connection: close", name, s, err)
		}
		if end := afterClose(c.c, c.br, 2*time.Second); end != "closed" {
			t.Errorf("in-flight %s connection afterwards: %s", name, end)
		}
	}
	if err := testutil.Recv(t, shut, "Shutdown"); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	ts.waitServe(t)
	if n, closed, _ := ts.conns.counts(); n < 4 || closed != n {
		t.Errorf("ConnState after Shutdown: %d connections, %d closed", n, closed)
	}
}

func TestShutdownContextExpires(t *testing.T) {
	for _, path := range []string{"fast-path", "fallback"} {
		t.Run(path, func(t *testing.T) {
			h := newWaitHandler()
			ts := startH1(t, h, nil)
			defer close(h.release)
			c, br := dial(t, ts.addr)
			if path == "fast-path" {
				write(t, c, "GET /block HTTP/1.1\r\nHost: a\r\n\r\n")
			} else {
				write(t, c, "POST /block HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
			}
			testutil.Recv(t, h.started, "handler start")
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := ts.h1.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v; want context.DeadlineExceeded", err)
			}
			if err := ts.h1.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if end := afterClose(c, br, 2*time.Second); end != "closed" {
				t.Errorf("after Close the connection is %s", end)
			}
		})
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name    string
		h       http.HandlerFunc
		logged  bool
		partial bool // the client sees the start of a response
	}{
		{"plain value", func(w http.ResponseWriter, r *http.Request) { panic("boom") }, true, false},
		{"after a short write", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "some")
			panic("boom")
		}, true, false},
		{"ErrAbortHandler", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, false, false},
		{"ErrAbortHandler after a big write", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, big)
			panic(http.ErrAbortHandler)
		}, false, true},
		{"after a flush", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "some")
			w.(http.Flusher).Flush()
			panic("boom")
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res [2]string
			for i, which := range []string{"net/http", "h1"} {
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/panic" {
						tt.h(w, r)
					}
					fmt.Fprint(w, "ok")
				})
				var ts *testServer
				if which == "h1" {
					ts = startH1(t, h, nil)
				} else {
					ts = startStd(t, h, nil)
				}
				c, br := dial(t, ts.addr)
				write(t, c, "GET /panic HTTP/1.1\r\nHost: a\r\n\r\n")
				s, err := readOne(br, "GET")
				if err != nil {
					res[i] = "error " + errKind(err)
				} else {
					if s.BodyErr != "" {
						// How much of an aborted body got out differs
						// with buffering; that it was cut does not.
						s.Body = "<cut>"
					}
					res[i] = s.String()
				}
				res[i] += "then " + afterClose(c, br, 2*time.Second)
				if (err == nil) != tt.partial {
					t.Errorf("%s: response %s", which, res[i])
				}
				// Both servers log before closing the connection, which
				// the client has seen closed by now.
				logged := strings.Contains(ts.log.String(), "panic serving")
				if logged != tt.logged || logged && !strings.Contains(ts.log.String(), "boom") {
					t.Errorf("%s: logged %v; want %v; log: %q", which, logged, tt.logged, ts.log.String())
				}
				for j := range 2 {
					o := exchange(t, ts.addr, "GET", []string{"GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"}, "")
					if o.Final.Body != "ok" {
						t.Errorf("%s: new connection %d after the panic: %v", which, j, o)
					}
				}
			}
			if res[0] != res[1] {
				t.Errorf("net/http:\n%s\nh1:\n%s", res[0], res[1])
			}
		})
	}
}

// closedAfter reports whether afterClose saw the connection closed,
// possibly after an error response.
func closedAfter(end string) bool {
	return end == "closed" || strings.HasPrefix(end, `stray bytes "HTTP/1.1 400 Bad Request`) && strings.HasSuffix(end, " then ")
}
