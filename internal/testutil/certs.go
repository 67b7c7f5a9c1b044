package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// CA is a throwaway ECDSA P-256 certificate authority. It and everything
// it issues are valid from an hour ago until an hour from now: enough for
// any test, useless after it.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte         // Cert, PEM-encoded: what a client or config trusts
	Pool *x509.CertPool // Cert alone, for tls.Config.RootCAs

	serial atomic.Int64 // the last serial number used; the CA's own is 1
}

// NewCA makes a CA whose subject is commonName.
func NewCA(t testing.TB, commonName string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der := createCert(t, tmpl, tmpl, key, key)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Pool: x509.NewCertPool()}
	ca.Pool.AddCert(cert)
	ca.serial.Store(1)
	return ca
}

// Issue returns a PEM server certificate and EC key for hosts (DNS names
// or IP addresses; the first is also the subject), signed by ca, with the
// CA's next serial number.
func (ca *CA) Issue(t testing.TB, hosts ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	der := createCert(t, leafTemplate(ca.serial.Add(1), hosts), ca.Cert, key, ca.Key)
	return encodePair(t, der, key)
}

// ServerTLS returns a server configuration (TLS 1.2 or later) presenting a
// certificate for hosts that ca issued.
func (ca *CA) ServerTLS(t testing.TB, hosts ...string) *tls.Config {
	t.Helper()
	pair, err := tls.X509KeyPair(ca.Issue(t, hosts...))
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

// SelfSigned returns a PEM server certificate for hosts (DNS names or IP
// addresses; the first is also the subject) signed by its own EC key, with
// the given serial number, so a test can tell two certificates apart by it.
func SelfSigned(t testing.TB, serial int64, hosts ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := leafTemplate(serial, hosts)
	return encodePair(t, createCert(t, tmpl, tmpl, key, key), key)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func leafTemplate(serial int64, hosts []string) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return tmpl
}

// createCert signs tmpl (for key's public half) with parent and parentKey.
func createCert(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func encodePair(t testing.TB, der []byte, key *ecdsa.PrivateKey) (certPEM, keyPEM []byte) {
	t.Helper()
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
