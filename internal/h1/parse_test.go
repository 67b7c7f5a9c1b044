package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// parseSeeds are request heads: the ones the fast path takes and the ones
// it must hand to net/http.
var parseSeeds = []string{
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"OPTIONS /api/v1/items?x=1&y=%20 HTTP/1.1\r\nHost: api.example.com:8080\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n",
	"GET /a%2Fb/c HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /a!b HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /? HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /a?b?c HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET //x/y HTTP/1.1\r\nhost: a\r\nx-lower: 1\r\nX-Lower: 2\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX:  padded \t \r\nEmpty:\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
	"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\n\n",
	"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
	"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n",
	"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
	"get / HTTP/1.1\r\nHost: a\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nTrailer: X\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
	"GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
}

// FuzzParseHead checks parseHead against net/http: whatever it accepts,
// http.ReadRequest must read as the same request, net/http's server must
// accept too (Host rules, header validity), and the head must end where
// ReadRequest stopped reading.
func FuzzParseHead(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var req http.Request
		h := make(http.Header)
		var u url.URL
		n, res := parseHead(in, &req, h, &u)
		if res != parsed {
			return
		}
		br := bufio.NewReader(bytes.NewReader(in))
		want, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("parseHead accepted %q; http.ReadRequest: %v", in, err)
		}
		if consumed := len(in) - br.Buffered(); consumed != n {
			t.Fatalf("%q: head is %d bytes, ReadRequest read %d", in, n, consumed)
		}
		if err := serverAccepts(want); err != nil {
			t.Fatalf("parseHead accepted %q; net/http's server refuses it: %v", in, err)
		}
		if want.Body != http.NoBody {
			t.Fatalf("%q: net/http gives this request a body", in)
		}
		got := &req
		if got.Method != want.Method || got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor ||
			got.ProtoMinor != want.ProtoMinor || got.Host != want.Host || got.Close != want.Close ||
			got.RequestURI != want.RequestURI || got.ContentLength != want.ContentLength ||
			got.TransferEncoding != nil || want.TransferEncoding != nil {
			t.Fatalf("%q:\n got %+v\nwant %+v", in, got, want)
		}
		if !reflect.DeepEqual(*got.URL, *want.URL) {
			t.Fatalf("%q: URL\n got %#v\nwant %#v", in, *got.URL, *want.URL)
		}
		if !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("%q: header\n got %q\nwant %q", in, got.Header, want.Header)
		}
	})
}

// serverAccepts repeats the checks net/http's server makes after
// http.ReadRequest (server.go, readRequest).
func serverAccepts(r *http.Request) error {
	if r.Host == "" {
		return errString("missing Host")
	}
	if !httpguts.ValidHostHeader(r.Host) {
		return errString("invalid Host")
	}
	for k, vv := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return errString("invalid header name " + k)
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return errString("invalid header value " + v)
			}
		}
	}
	if r.Method == "CONNECT" || r.ProtoMajor != 1 || r.ProtoMinor != 1 {
		return errString("not a plain HTTP/1.1 request")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func TestParseHeadSeeds(t *testing.T) {
	accepted := map[string]bool{}
	for _, s := range parseSeeds {
		var req http.Request
		h := make(http.Header)
		var u url.URL
		_, res := parseHead([]byte(s), &req, h, &u)
		accepted[s] = res == parsed
	}
	// The fast path must take the common browser requests...
	for _, s := range parseSeeds[:9] {
		if !accepted[s] && !strings.Contains(s, "upgrade") {
			t.Errorf("fast path refused %q", s)
		}
	}
	// ...and leave these to net/http.
	for _, s := range []string{
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
	} {
		if accepted[s] {
			t.Errorf("fast path took %q", s)
		}
	}
	// Every seed gets the differential check.
	for _, s := range parseSeeds {
		t.Run("", func(t *testing.T) {
			var req http.Request
			h := make(http.Header)
			var u url.URL
			if _, res := parseHead([]byte(s), &req, h, &u); res == parsed {
				want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(s)))
				if err != nil || !reflect.DeepEqual(h, want.Header) || !reflect.DeepEqual(u, *want.URL) {
					t.Errorf("%q: got %v %#v, net/http %v %v", s, h, u, want, err)
				}
			}
		})
	}
}

func TestParseHeadNeedMore(t *testing.T) {
	full := "GET /x HTTP/1.1\r\nHost: a\r\nOrigin: https://b\r\n\r\n"
	for i := 0; i < len(full); i++ {
		var req http.Request
		h := make(http.Header)
		var u url.URL
		if _, res := parseHead([]byte(full[:i]), &req, h, &u); res != needMore {
			t.Fatalf("prefix %q: %v, want needMore", full[:i], res)
		}
	}
}
