package testutil

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func TestCAIssuesVerifiableCertificates(t *testing.T) {
	ca := NewCA(t, "test CA")
	for _, host := range []string{"a.test", "127.0.0.1"} {
		certPEM, keyPEM := ca.Issue(t, host)
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: ca.Pool}); err == nil {
			t.Errorf("%s: the certificate also verifies for other.test", host)
		}
	}
	first, _ := ca.Issue(t, "a.test")
	second, _ := ca.Issue(t, "a.test")
	if a, b := certSerial(t, first), certSerial(t, second); a == b {
		t.Errorf("two certificates of one CA share serial %d", a)
	}
}

func TestSelfSigned(t *testing.T) {
	certPEM, keyPEM := SelfSigned(t, 7, "s.test")
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	if got := certSerial(t, certPEM); got != 7 {
		t.Errorf("serial %d, want 7", got)
	}
}

func certSerial(t *testing.T, certPEM []byte) int64 {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.Int64()
}
