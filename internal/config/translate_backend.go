package config

import (
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
)

// translateBackends validates every corsgate.dev Backend; valid ones become
// ir.Backends that routes can reference.
func (t *translator) translateBackends() {
	ids := make([]string, 0, len(t.backendObj))
	for id := range t.backendObj {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		o := t.backendObj[id]
		if b := t.translateBackend(o); b != nil {
			t.backends[id] = b
		}
	}
}

func (t *translator) translateBackend(o *Object) *ir.Backend {
	be := o.Value.(*v1alpha1.Backend)
	b := &ir.Backend{ID: key(be.Namespace, be.Name), Source: source(o, "spec")}
	ok := true
	if len(be.Spec.Endpoints) == 0 {
		t.errorf(o, "spec.endpoints", "a Backend needs at least one endpoint; add one of ip, fqdn or unix")
		ok = false
	}
	for i, ep := range be.Spec.Endpoints {
		fp := fmt.Sprintf("spec.endpoints[%d]", i)
		e, msg := endpoint(ep)
		if msg != "" {
			t.errorf(o, fp, "%s", msg)
			ok = false
			continue
		}
		b.Endpoints = append(b.Endpoints, e)
	}
	if tl := be.Spec.TLS; tl != nil {
		b.TLS = &ir.BackendTLS{InsecureSkipVerify: tl.InsecureSkipVerify, SNI: tl.SNI}
		for i, ref := range tl.CACertificateRefs {
			pem, msg := t.caBundle(be.Namespace, ref)
			if msg != "" {
				t.errorf(o, fmt.Sprintf("spec.tls.caCertificateRefs[%d]", i), "%s", msg)
				ok = false
				continue
			}
			b.TLS.CAPEM = append(b.TLS.CAPEM, pem...)
		}
	}
	if !ok {
		return nil
	}
	return b
}

// endpoint checks one endpoint: exactly one of ip, fqdn, unix.
func endpoint(ep v1alpha1.BackendEndpoint) (ir.Endpoint, string) {
	n := 0
	for _, set := range []bool{ep.IP != nil, ep.FQDN != nil, ep.Unix != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return ir.Endpoint{}, "set exactly one of ip, fqdn or unix"
	}
	switch {
	case ep.IP != nil:
		if net.ParseIP(ep.IP.Address) == nil {
			return ir.Endpoint{}, fmt.Sprintf("ip.address %q is not an IP address; use e.g. \"127.0.0.1\" or \"::1\", or an fqdn endpoint for names", ep.IP.Address)
		}
		if ep.IP.Port < 1 || ep.IP.Port > 65535 {
			return ir.Endpoint{}, fmt.Sprintf("ip.port %d is out of range; use 1-65535", ep.IP.Port)
		}
		hp := net.JoinHostPort(ep.IP.Address, strconv.Itoa(int(ep.IP.Port)))
		return ir.Endpoint{Network: "tcp", Address: hp, Host: hp}, ""
	case ep.FQDN != nil:
		if msg := checkHostname(ep.FQDN.Hostname); msg != "" || ep.FQDN.Hostname[0] == '*' {
			return ir.Endpoint{}, fmt.Sprintf("fqdn.hostname %q is not a DNS name; write it like \"api.internal\"", ep.FQDN.Hostname)
		}
		if ep.FQDN.Port < 1 || ep.FQDN.Port > 65535 {
			return ir.Endpoint{}, fmt.Sprintf("fqdn.port %d is out of range; use 1-65535", ep.FQDN.Port)
		}
		hp := net.JoinHostPort(ep.FQDN.Hostname, strconv.Itoa(int(ep.FQDN.Port)))
		return ir.Endpoint{Network: "tcp", Address: hp, Host: hp}, ""
	default:
		if !filepath.IsAbs(ep.Unix.Path) {
			return ir.Endpoint{}, fmt.Sprintf("unix.path %q must be an absolute socket path", ep.Unix.Path)
		}
		return ir.Endpoint{Network: "unix", Address: ep.Unix.Path, Host: "localhost"}, ""
	}
}

// caBundle reads ca.crt from a ConfigMap or Secret in namespace ns.
func (t *translator) caBundle(ns string, ref v1alpha1.LocalObjectReference) ([]byte, string) {
	if ref.Group != "" {
		return nil, fmt.Sprintf("group %q is not supported; CA certificates come from a core ConfigMap or Secret", ref.Group)
	}
	var pem []byte
	switch ref.Kind {
	case "ConfigMap":
		o := t.configMaps[key(ns, ref.Name)]
		if o == nil {
			return nil, fmt.Sprintf("ConfigMap %q not found in namespace %q; add it with a \"ca.crt\" key", ref.Name, ns)
		}
		pem = []byte(o.Value.(*corev1.ConfigMap).Data["ca.crt"])
	case "Secret":
		o := t.secrets[key(ns, ref.Name)]
		if o == nil {
			return nil, fmt.Sprintf("Secret %q not found in namespace %q; add it with a \"ca.crt\" key", ref.Name, ns)
		}
		pem = secretValue(o.Value.(*corev1.Secret), "ca.crt")
	default:
		return nil, fmt.Sprintf("kind %q is not supported; use ConfigMap or Secret", ref.Kind)
	}
	if len(pem) == 0 {
		return nil, fmt.Sprintf("%s %q has no \"ca.crt\" key; add the PEM CA certificates under \"ca.crt\"", ref.Kind, ref.Name)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return nil, fmt.Sprintf("%s %q key \"ca.crt\" holds no PEM certificate", ref.Kind, ref.Name)
	}
	return pem, ""
}
