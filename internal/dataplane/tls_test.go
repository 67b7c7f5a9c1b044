package dataplane

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/testutil"
)

// testCA issues certificates for tests.
type testCA struct{ *testutil.CA }

func newTestCA(t *testing.T) testCA { return testCA{testutil.NewCA(t, "corsgate test CA")} }

func (ca testCA) certificate(t *testing.T, host string) *ir.Certificate {
	c, k := ca.Issue(t, host)
	return &ir.Certificate{Hostname: host, Source: "test/" + host, CertPEM: c, KeyPEM: k}
}

// tlsClient trusts ca, prefers HTTP/2 and sends every request to addr
// whatever the URL's host, so the URL host is the SNI name.
func tlsClient(t *testing.T, ca testCA, addr string) *http.Client {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy:             nil,
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestHTTPSListenerSNIAndHTTP2(t *testing.T) {
	ca := newTestCA(t)
	b := newTestBackend(t, "b", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Host+" "+r.Header.Get("X-Forwarded-Proto"))
	})
	l := httpListener(1, vhost("", newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1))))
	l.Protocol = ir.ProtocolHTTPS
	l.Certificates = []*ir.Certificate{ca.certificate(t, "a.test"), ca.certificate(t, "b.test")}
	g := startGateway(t, newSnapshot(1, l), Options{})
	c := tlsClient(t, ca, g.Addr(1))

	for _, host := range []string{"a.test", "b.test"} {
		res, err := c.Get("https://" + host + "/")
		if err != nil {
			t.Fatalf("GET https://%s/: %v", host, err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 || string(body) != host+" https" {
			t.Errorf("%s: %d %q, want 200 %q", host, res.StatusCode, body, host+" https")
		}
		if res.ProtoMajor != 2 {
			t.Errorf("%s: negotiated %s, want HTTP/2", host, res.Proto)
		}
		if got := res.TLS.PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != host {
			t.Errorf("%s: served certificate for %q", host, got)
		}
	}
	// An unknown SNI name gets the first certificate, which the client
	// rejects for that name: the handshake must not pick a random one.
	if _, err := c.Get("https://c.test/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GET https://c.test/: err = %v, want a certificate name error", err)
	}
}

func TestHTTPSUpstream(t *testing.T) {
	ca := newTestCA(t)
	certPEM, keyPEM := ca.Issue(t, "backend.test")
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "tls "+r.Proto)
	}))
	up.EnableHTTP2 = true
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	up.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	up.StartTLS()
	t.Cleanup(up.Close)
	addr := up.Listener.Addr().String()
	ep := ir.Endpoint{Network: "tcp", Address: addr, Host: addr}

	tests := []struct {
		name   string
		tls    *ir.BackendTLS
		status int
		body   string
	}{
		{"trusted CA and SNI", &ir.BackendTLS{CAPEM: ca.PEM, SNI: "backend.test"}, 200, "tls HTTP/2.0"},
		{"wrong SNI", &ir.BackendTLS{CAPEM: ca.PEM, SNI: "other.test"}, 502, ""},
		{"unknown CA", &ir.BackendTLS{SNI: "backend.test"}, 502, ""},
		{"insecure skip verify", &ir.BackendTLS{InsecureSkipVerify: true}, 200, "tls HTTP/2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := irBackend("tls", ep)
			be.TLS = tt.tls
			g := startGateway(t, simpleSnapshot(be, nil), Options{})
			res := do(t, newClient(t), "GET", baseURL(t, g, 1)+"/", nil)
			if res.status != tt.status || (tt.body != "" && res.body != tt.body) {
				t.Errorf("got %d %q, want %d %q", res.status, res.body, tt.status, tt.body)
			}
		})
	}
}

func TestApplyRejectsBadTLSMaterial(t *testing.T) {
	ca := newTestCA(t)
	b := irBackend("b", ir.Endpoint{Network: "tcp", Address: "127.0.0.1:1", Host: "127.0.0.1:1"})
	badCert := httpListener(1, vhost("", newRoute("r", prefixMatch("/"), weighted(b, 1))))
	badCert.Protocol = ir.ProtocolHTTPS
	cert := ca.certificate(t, "a.test")
	cert.KeyPEM = []byte("not a key")
	badCert.Certificates = []*ir.Certificate{cert}
	noCert := httpListener(2, vhost(""))
	noCert.Protocol = ir.ProtocolHTTPS
	badCA := irBackend("badca", b.Endpoints...)
	badCA.TLS = &ir.BackendTLS{CAPEM: []byte("junk")}

	tests := []struct {
		name string
		snap *ir.Snapshot
		want string
	}{
		{"unparsable key", newSnapshot(2, badCert), "certificate"},
		{"https without certificate", newSnapshot(2, noCert), "no certificate"},
		{"bad backend CA", simpleSnapshot(badCA, nil), "CA bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := simpleSnapshot(b, nil)
			g := startGateway(t, first, Options{})
			err := g.Apply(tt.snap)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Apply error = %v, want one mentioning %q", err, tt.want)
			}
			if g.Current() != first {
				t.Error("a failed Apply changed the active snapshot")
			}
			if g.Addr(2) != "" {
				t.Error("a failed Apply left a new listener bound")
			}
		})
	}
}
