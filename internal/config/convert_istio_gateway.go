package config

import (
	"fmt"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/foreign/istio"
)

// convertIstioGateway turns an Istio Gateway into a Gateway API Gateway of
// the same name with one listener per (server, host): port.number,
// protocol HTTP or HTTPS, the host as hostname ("*" = any), and for HTTPS
// tls.credentialName as the certificate Secret.
func convertIstioGateway(o *Object, all *Resources) ([]*Object, Problems) {
	g := o.Value.(*istio.Gateway)
	c := &conv{o: o, all: all}
	c.unsupported(g.Spec, "spec", "Istio")
	c.checkFree(gatewayAPIVersion, "Gateway", o.Namespace, g.Name)
	gw := &gwv1.Gateway{TypeMeta: typeMeta(gatewayAPIVersion, "Gateway"), ObjectMeta: objectMeta(o.Namespace, g.Name)}
	gw.Spec.GatewayClassName = StandaloneGatewayClass
	if len(g.Spec.Servers) == 0 {
		c.errorf("spec.servers", "the Gateway has no servers; add one, e.g. {port: {number: 80, name: http, protocol: HTTP}, hosts: [\"*\"]}")
	}
	names := uniqueNames{}
	for i := range g.Spec.Servers {
		gw.Spec.Listeners = append(gw.Spec.Listeners, c.istioListeners(i, g.Spec.Servers[i], names)...)
	}
	if c.failed() {
		return nil, c.probs
	}
	return []*Object{c.native(o.Line, gatewayAPIVersion, "Gateway", o.Namespace, g.Name, gw)}, c.probs
}

// istioListeners converts one server: one listener per host.
func (c *conv) istioListeners(i int, s istio.Server, names uniqueNames) []gwv1.Listener {
	fp := fmt.Sprintf("spec.servers[%d]", i)
	base := gwv1.Listener{Port: gwv1.PortNumber(s.Port.Number)}
	if s.Port.Number < 1 || s.Port.Number > 65535 {
		c.errorf(fp+".port.number", "port %d is out of range; use 1-65535", s.Port.Number)
	}
	proto := strings.ToUpper(s.Port.Protocol)
	switch proto {
	case "HTTP":
		base.Protocol = gwv1.HTTPProtocolType
		switch {
		case s.TLS == nil:
		case s.TLS.HTTPSRedirect:
			c.errorf(fp+".tls.httpsRedirect", "httpsRedirect is valid in Istio but not supported by corsgate; remove it (or serve only HTTPS)")
		case s.TLS.Mode != "" || s.TLS.CredentialName != "":
			c.errorf(fp+".tls", "tls is set on an HTTP server; use port.protocol HTTPS or remove tls")
		}
	case "HTTPS":
		base.Protocol = gwv1.HTTPSProtocolType
		base.TLS = c.istioTLS(fp+".tls", s.TLS)
	default:
		c.errorf(fp+".port.protocol", "protocol %q is not supported by corsgate; use HTTP or HTTPS", s.Port.Protocol)
	}
	if len(s.Hosts) == 0 {
		c.errorf(fp+".hosts", "hosts is required; list the host names this server accepts, or \"*\"")
	}
	want := s.Name
	if want == "" {
		want = s.Port.Name
	}
	fallback := fmt.Sprintf("%s-%d", strings.ToLower(proto), s.Port.Number)
	var out []gwv1.Listener
	for j, h := range s.Hosts {
		l := base
		l.AllowedRoutes = c.istioHost(fmt.Sprintf("%s.hosts[%d]", fp, j), h, &l)
		if len(s.Hosts) > 1 {
			l.Name = gwv1.SectionName(names.take(fmt.Sprintf("%s-%d", strings.ToLower(want), j), fmt.Sprintf("%s-%d", fallback, j)))
		} else {
			l.Name = gwv1.SectionName(names.take(want, fallback))
		}
		out = append(out, l)
	}
	return out
}

// istioHost sets the listener hostname from an Istio server host
// "[namespace/]host" and returns which route namespaces may attach:
// "*/" or none = any namespace, "./" = the Gateway's own.
func (c *conv) istioHost(fp, h string, l *gwv1.Listener) *gwv1.AllowedRoutes {
	from := gwv1.NamespacesFromAll
	if ns, host, ok := strings.Cut(h, "/"); ok {
		switch ns {
		case "*":
		case ".":
			from = gwv1.NamespacesFromSame
		default:
			c.errorf(fp, "host %q: restricting a server to routes of namespace %q is not supported by corsgate; write \"*/%s\" (any namespace) or \"./%s\" (the Gateway's namespace)", h, ns, host, host)
		}
		h = host
	}
	if h != "*" {
		h = strings.ToLower(h)
		if msg := checkHostname(h); msg != "" {
			c.errorf(fp, "%s", msg)
		}
		l.Hostname = ptrTo(gwv1.Hostname(h))
	}
	return &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: ptrTo(from)}}
}

// istioTLS converts an HTTPS server's tls: mode SIMPLE with a
// credentialName naming a kubernetes.io/tls Secret.
func (c *conv) istioTLS(fp string, t *istio.TLS) *gwv1.ListenerTLSConfig {
	if t == nil || t.CredentialName == "" {
		c.errorf(fp, "an HTTPS server needs tls.credentialName naming a kubernetes.io/tls Secret in namespace %q", c.o.Namespace)
		return nil
	}
	if t.Mode != "" && t.Mode != "SIMPLE" {
		c.errorf(fp+".mode", "tls mode %q is not supported by corsgate; use SIMPLE (corsgate terminates TLS with the credentialName Secret)", t.Mode)
	}
	if t.HTTPSRedirect {
		c.errorf(fp+".httpsRedirect", "httpsRedirect on an HTTPS server has no effect in Istio; remove it")
	}
	return &gwv1.ListenerTLSConfig{
		Mode:            ptrTo(gwv1.TLSModeTerminate),
		CertificateRefs: []gwv1.SecretObjectReference{{Name: gwv1.ObjectName(t.CredentialName)}},
	}
}
