package dataplane

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
)

const (
	upstreamIdleConnTimeout = 90 * time.Second
	upstreamTLSHandshake    = 10 * time.Second
	upstreamExpectContinue  = 1 * time.Second
	upstreamTCPKeepAlive    = 30 * time.Second
	maxPort                 = 65535
)

// backendState is what the data plane keeps per backend configuration: a
// tuned transport (never http.DefaultTransport), the endpoint URL targets,
// the round-robin counter and each endpoint's passive health. It lives as
// long as the backend's endpoints and TLS settings stay the same, across
// snapshots.
type backendState struct {
	key       string
	id        string
	transport *http.Transport
	h1        *h1Client // plain-HTTP backends: simple exchanges skip the Transport
	targets   []target
	health    []endpointHealth // one per target
	next      atomic.Uint64
	up        *metrics.Upstream
	backoff   time.Duration // first back-off after a connect failure
}

// target is where a request to one endpoint goes: the upstream URL scheme
// and host. The transport's dialer maps the host back to the endpoint, which
// is how unix sockets and endpoints whose Host differs from their Address
// are reached while each keeps its own connection pool.
type target struct {
	scheme string
	host   string
}

// pick returns the index of the next endpoint in round-robin order,
// skipping endpoints in a connect-failure back-off while another endpoint
// is available; ok is false when the backend has no endpoint (or b is nil).
func (b *backendState) pick() (i int, ok bool) {
	if b == nil {
		return 0, false
	}
	n := uint64(len(b.targets))
	switch n {
	case 0:
		return 0, false
	case 1:
		return 0, true
	}
	start := (b.next.Add(1) - 1) % n
	var now int64
	for k := range n {
		i := int((start + k) % n)
		until := b.health[i].downUntil.Load()
		if until == 0 {
			return i, true
		}
		if now == 0 {
			now = time.Now().UnixNano()
		}
		if now >= until {
			return i, true // back-off over: give it a chance
		}
	}
	return int(start), true // every endpoint backs off: try anyway
}

// backendKey identifies a backend configuration: its ID plus a hash of
// everything its transport and targets are built from.
func backendKey(b *ir.Backend) string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, ep := range b.Endpoints {
		field(ep.Network)
		field(ep.Address)
		field(ep.Host)
	}
	if t := b.TLS; t != nil {
		field("tls")
		field(strconv.FormatBool(t.InsecureSkipVerify))
		field(string(t.CAPEM))
		field(t.SNI)
	}
	return b.ID + "#" + hex.EncodeToString(h.Sum(nil)[:8])
}

// newBackendState builds the transport and targets for b.
func newBackendState(key string, b *ir.Backend, opts Options) (*backendState, error) {
	tlsConf, err := clientTLSConfig(b)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if b.TLS != nil {
		scheme = "https"
	}
	targets, dialTo := endpointTargets(b.Endpoints, scheme)
	dialer := &net.Dialer{Timeout: opts.UpstreamDialTimeout, KeepAlive: upstreamTCPKeepAlive}
	id := b.ID
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		ep, ok := dialTo[addr]
		if !ok {
			return nil, fmt.Errorf("dataplane: backend %s has no endpoint for %q", id, addr)
		}
		return dialer.DialContext(ctx, ep.Network, ep.Address)
	}
	tr := &http.Transport{
		Proxy: nil, // never honour HTTP_PROXY for backend traffic
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dial(ctx, addr)
		},
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     b.TLS != nil,
		MaxIdleConns:          opts.MaxIdleConnsPerBackend,
		MaxIdleConnsPerHost:   opts.MaxIdleConnsPerBackend,
		IdleConnTimeout:       upstreamIdleConnTimeout,
		TLSHandshakeTimeout:   upstreamTLSHandshake,
		ResponseHeaderTimeout: opts.UpstreamResponseHeaderTimeout,
		ExpectContinueTimeout: upstreamExpectContinue,
		// A proxy must pass bodies through as they are; transparent gzip
		// would change them and their headers.
		DisableCompression: true,
	}
	var h1 *h1Client
	if scheme == "http" && !opts.DisableH1Client {
		h1 = newH1Client(dial, len(targets), opts.MaxIdleConnsPerBackend, opts.UpstreamResponseHeaderTimeout)
	}
	return &backendState{key: key, id: b.ID, transport: tr, h1: h1, targets: targets,
		health: make([]endpointHealth, len(targets)), up: opts.Metrics.Upstream(b.ID), backoff: opts.EndpointBackoff}, nil
}

// closeIdle closes the idle upstream connections of both clients.
func (b *backendState) closeIdle() {
	b.transport.CloseIdleConnections()
	b.h1.closeIdle()
}

// endpointTargets returns one target per endpoint and the map from the
// transport's dial address (host:port, as http.Transport forms it from the
// URL) to the endpoint. Unix endpoints get the port of their position so
// that each socket has a distinct address and connection pool.
func endpointTargets(eps []ir.Endpoint, scheme string) ([]target, map[string]ir.Endpoint) {
	targets := make([]target, 0, len(eps))
	dialTo := make(map[string]ir.Endpoint, len(eps))
	for i, ep := range eps {
		network := ep.Network
		if network == "" {
			network = "tcp"
		}
		ep.Network = network
		hostport := ep.Host
		if hostport == "" {
			hostport = ep.Address
		}
		var key string
		if network == "unix" {
			name := hostOnly(hostport)
			if name == "" || name == ep.Address {
				name = "localhost"
			}
			key = unixKey(dialTo, name, i+1, len(eps))
		} else {
			key = withDefaultPort(hostport, scheme)
		}
		dialTo[key] = ep
		targets = append(targets, target{scheme: scheme, host: key})
	}
	return targets, dialTo
}

// unixKey returns name:port for a unix endpoint, stepping the port past
// addresses already taken by other endpoints.
func unixKey(taken map[string]ir.Endpoint, name string, port, step int) string {
	key := net.JoinHostPort(name, strconv.Itoa(port))
	for _, dup := taken[key]; dup && port+step <= maxPort; _, dup = taken[key] {
		port += step
		key = net.JoinHostPort(name, strconv.Itoa(port))
	}
	return key
}

// hostOnly returns the host part of host[:port].
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// withDefaultPort returns host:port in the form http.Transport passes to
// DialContext, adding the scheme's default port when none is given.
func withDefaultPort(hostport, scheme string) string {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return net.JoinHostPort(h, p)
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(hostport, port)
}

// clientTLSConfig returns the TLS settings for an HTTPS backend, nil for
// plain HTTP.
func clientTLSConfig(b *ir.Backend) (*tls.Config, error) {
	t := b.TLS
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.SNI,
		InsecureSkipVerify: t.InsecureSkipVerify, // explicit, named opt-in in the config
	}
	if len(t.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(t.CAPEM) {
			return nil, fmt.Errorf("dataplane: backend %s: TLS CA bundle holds no PEM certificate; provide PEM-encoded CA certificates", b.ID)
		}
		c.RootCAs = pool
	}
	return c, nil
}
