// Package probe is the I/O half of `corsgate check`: it performs, with
// net/http, exactly the requests a browser's fetch() would send to a live
// server (the preflight when one is needed, then the actual request,
// following redirects by hand) and hands every response to
// internal/fetch, which makes all the decisions. It records each raw
// exchange for -v.
//
// Like a browser it sends no cookies on a preflight (it has no cookie jar
// at all), never lets net/http follow a redirect or decompress a body, and
// gives up after fetch.MaxRedirects redirects.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/corsgate/corsgate/internal/fetch"
)

// DefaultUserAgent is sent with every request unless Options.UserAgent is set.
const DefaultUserAgent = "corsgate-check (+https://github.com/corsgate/corsgate)"

// maxBody bounds how much of a response body is read (and counted); the
// rest is discarded when the connection closes.
const maxBody = 1 << 20

// Options describe one check: the fetch() call to reproduce and how to
// reach the server.
type Options struct {
	URL    string
	Origin string // the page's origin, e.g. https://app.example, or null
	Method string // "" means GET, or POST when Data is set
	// Header holds the script's headers (see ParseHeader).
	Header http.Header
	// ContentType, when set, is the Content-Type header.
	ContentType string
	// Data is the request body; HasData distinguishes an empty body from none.
	Data    []byte
	HasData bool

	Credentials fetch.Credentials
	Browser     fetch.Browser

	// Insecure skips TLS certificate verification.
	Insecure bool
	// CACert is a PEM file with the CA certificates to trust instead of the
	// system's, as curl's --cacert.
	CACert string
	// Timeout bounds the whole check, every request included; 0 means none.
	Timeout time.Duration
	// UserAgent replaces DefaultUserAgent.
	UserAgent string
	// Transport replaces the transport built from the TLS options (tests).
	Transport http.RoundTripper
}

// Message is one side of a recorded exchange.
type Message struct {
	// Line is the request line ("OPTIONS /items HTTP/1.1") or the status
	// line ("HTTP/1.1 204 No Content").
	Line   string      `json:"line"`
	Header http.Header `json:"header"`
	// BodyBytes is the body's length (a response body is read up to 1 MiB).
	BodyBytes int `json:"bodyBytes"`
}

// Exchange is one request sent and the response received.
type Exchange struct {
	Kind     fetch.Kind `json:"kind"`
	URL      string     `json:"url"`
	Request  Message    `json:"request"`
	Response Message    `json:"response"`
}

// Report is the outcome of a check.
type Report struct {
	Result    *fetch.Result `json:"result"`
	Exchanges []Exchange    `json:"exchanges,omitempty"`
}

// ParseHeader splits a curl-style "Name: value" argument.
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", "", fmt.Errorf("header %q: write it as 'Name: value'", s)
	}
	return name, strings.TrimSpace(value), nil
}

// Check runs the fetch described by o against the live server. It returns
// an error only when the check could not run: bad options, or a network
// failure (DNS, connection, TLS, timeout) on any request, which a browser
// would report as a network error rather than a CORS verdict.
func Check(ctx context.Context, o Options) (*Report, error) {
	req := o.request()
	tr := o.Transport
	if tr == nil {
		t, err := o.transport()
		if err != nil {
			return nil, err
		}
		defer t.CloseIdleConnections()
		tr = t
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	p := &prober{
		ctx:    ctx,
		o:      &o,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		ua:     o.UserAgent,
	}
	if p.ua == "" {
		p.ua = DefaultUserAgent
	}
	res, err := fetch.Run(req, o.Browser, p.respond)
	if err != nil {
		return nil, err
	}
	return &Report{Result: res, Exchanges: p.exchanges}, nil
}

// request turns the options into the fetch() call.
func (o *Options) request() fetch.Request {
	h := o.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if o.ContentType != "" {
		h.Set("Content-Type", o.ContentType)
	}
	m := o.Method
	if m == "" && o.HasData {
		m = "POST"
	}
	return fetch.Request{
		URL: o.URL, Origin: o.Origin, Method: m, Header: h,
		Body: o.HasData, Credentials: o.Credentials,
	}
}

// transport builds a dedicated transport: no shared state, no
// compression (a body decoded by net/http would lose its headers), HTTP/2
// over TLS as browsers negotiate it.
func (o *Options) transport() (*http.Transport, error) {
	// InsecureSkipVerify only when the user passed --insecure.
	tlsConf := &tls.Config{InsecureSkipVerify: o.Insecure}
	if o.CACert != "" {
		pem, err := os.ReadFile(o.CACert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %q: no PEM certificate found; give a file with -----BEGIN CERTIFICATE----- blocks", o.CACert)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        4,
		IdleConnTimeout:     30 * time.Second,
	}, nil
}

type prober struct {
	ctx       context.Context
	o         *Options
	client    *http.Client
	ua        string
	exchanges []Exchange
}

// respond sends out as the browser would and returns the response.
func (p *prober) respond(out fetch.Outgoing) (fetch.Response, error) {
	var body io.Reader
	n := 0
	if out.Body {
		body, n = bytes.NewReader(p.o.Data), len(p.o.Data)
	}
	req, err := http.NewRequestWithContext(p.ctx, out.Method, out.URL, body)
	if err != nil {
		return fetch.Response{}, fmt.Errorf("%s %s: %w", out.Method, out.URL, err)
	}
	req.Header = out.Header.Clone()
	req.Header.Set("User-Agent", p.ua)
	x := Exchange{Kind: out.Kind, URL: out.URL, Request: Message{
		Line:      out.Method + " " + req.URL.RequestURI() + " HTTP/1.1",
		Header:    wireHeader(req, n),
		BodyBytes: n,
	}}
	resp, err := p.client.Do(req)
	if err != nil {
		return fetch.Response{}, p.networkError(out, err)
	}
	defer resp.Body.Close()
	read, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	x.Request.Line = out.Method + " " + req.URL.RequestURI() + " " + resp.Proto
	x.Response = Message{Line: resp.Proto + " " + resp.Status, Header: resp.Header.Clone(), BodyBytes: int(read)}
	p.exchanges = append(p.exchanges, x)
	return fetch.Response{Status: resp.StatusCode, Header: resp.Header.Clone()}, nil
}

// wireHeader is the request header as written on the wire, with the
// fields net/http adds itself.
func wireHeader(req *http.Request, bodyLen int) http.Header {
	h := req.Header.Clone()
	h.Set("Host", req.URL.Host)
	if bodyLen > 0 {
		h.Set("Content-Length", fmt.Sprint(bodyLen))
	}
	return h
}

// networkError words a transport failure with what to do about it.
func (p *prober) networkError(out fetch.Outgoing, err error) error {
	what := out.Kind.String() + " " + out.Method + " " + out.URL
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) && p.o.Timeout > 0:
		return fmt.Errorf("%s: no answer within --timeout %s; raise it or check the server", what, p.o.Timeout)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%s: cannot resolve %q: check the host name: %w", what, dnsErr.Name, err)
	case errors.As(err, &unknownCA), errors.As(err, &certErr) && errors.As(certErr.Err, &unknownCA):
		return fmt.Errorf("%s: the server's certificate is not signed by a trusted CA: pass --cacert FILE with its CA, or --insecure to skip verification: %w", what, err)
	case errors.As(err, &hostErr):
		return fmt.Errorf("%s: the server's certificate does not cover this host: use the name it was issued for, or --insecure: %w", what, err)
	case errors.As(err, &certErr):
		return fmt.Errorf("%s: TLS certificate rejected (pass --cacert FILE or --insecure): %w", what, err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("%s: cannot connect: is the server running and the port right? %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// SortedKeys returns h's keys in order, for printing.
func SortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
