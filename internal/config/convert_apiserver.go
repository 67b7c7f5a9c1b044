package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// kube-apiserver --cors-allowed-origins: an APIServerCORS becomes a
// Gateway (the listener), an HTTPRoute (PathPrefix / to the API server), a
// Backend (the API server) and a CORSPolicy with the API server's CORS
// defaults, all named like the APIServerCORS.

// The API server's CORS defaults (k8s.io/apiserver, filters.WithCORS).
var (
	apiServerMethods = []string{"POST", "GET", "OPTIONS", "PUT", "DELETE", "PATCH"}
	apiServerHeaders = []string{"Content-Type", "Content-Length", "Accept-Encoding", "X-CSRF-Token",
		"Authorization", "X-Requested-With", "If-Modified-Since"}
	apiServerExpose = []string{"Date"}
)

// WarnUnanchoredOrigin is the Problem.Code of the warning that an origin
// pattern the source system matched anywhere inside the origin admitted
// an origin corsgate refuses.
const WarnUnanchoredOrigin = "UnanchoredOriginPattern"

func init() {
	registerConverter(v1alpha1.GroupVersion, "APIServerCORS", convertAPIServerCORS)
}

func convertAPIServerCORS(o *Object, all *Resources) ([]*Object, Problems) {
	a := o.Value.(*v1alpha1.APIServerCORS)
	c := &conv{o: o, all: all}
	ns, name := o.Namespace, a.Name
	for _, k := range []struct{ v, kind string }{
		{gatewayAPIVersion, "Gateway"}, {gatewayAPIVersion, "HTTPRoute"},
		{v1alpha1.GroupVersion, "Backend"}, {v1alpha1.GroupVersion, "CORSPolicy"},
	} {
		c.checkFree(k.v, k.kind, ns, name)
	}
	gw := c.apiServerGateway(a)
	be := c.apiServerBackend(a)
	pol := corsPolicyObject(ns, name, v1alpha1.PolicyTargetReference{Group: gwv1.GroupName, Kind: "HTTPRoute", Name: gwv1.ObjectName(name)})
	pol.Spec.AllowOrigins = c.apiServerOrigins(a.Spec.AllowedOrigins)
	pol.Spec.AllowMethods = append([]string(nil), apiServerMethods...)
	pol.Spec.AllowHeaders = append([]string(nil), apiServerHeaders...)
	pol.Spec.ExposeHeaders = append([]string(nil), apiServerExpose...)
	pol.Spec.AllowCredentials = ptrTo(true)
	route := &gwv1.HTTPRoute{TypeMeta: typeMeta(gatewayAPIVersion, "HTTPRoute"), ObjectMeta: objectMeta(ns, name)}
	route.Spec.ParentRefs = []gwv1.ParentReference{{Name: gwv1.ObjectName(name)}}
	route.Spec.Rules = []gwv1.HTTPRouteRule{{
		Name:    ptrTo(gwv1.SectionName("apiserver")),
		Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchPathPrefix), Value: ptrTo("/")}}},
		BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
			Group: ptrTo(gwv1.Group(v1alpha1.GroupName)), Kind: ptrTo(gwv1.Kind("Backend")), Name: gwv1.ObjectName(name),
		}}}},
	}}
	if c.failed() {
		return nil, c.probs
	}
	return []*Object{
		c.native(o.FieldLine("spec.listener"), gatewayAPIVersion, "Gateway", ns, name, gw),
		c.native(o.Line, gatewayAPIVersion, "HTTPRoute", ns, name, route),
		c.native(o.FieldLine("spec.upstream"), v1alpha1.GroupVersion, "Backend", ns, name, be),
		c.native(o.FieldLine("spec.allowedOrigins"), v1alpha1.GroupVersion, "CORSPolicy", ns, name, pol),
	}, c.probs
}

// apiServerGateway builds the Gateway with the one listener.
func (c *conv) apiServerGateway(a *v1alpha1.APIServerCORS) *gwv1.Gateway {
	l := a.Spec.Listener
	gw := &gwv1.Gateway{TypeMeta: typeMeta(gatewayAPIVersion, "Gateway"), ObjectMeta: objectMeta(c.o.Namespace, a.Name)}
	gw.Spec.GatewayClassName = StandaloneGatewayClass
	lis := gwv1.Listener{Port: gwv1.PortNumber(l.Port)}
	if l.Port < 1 || l.Port > 65535 {
		c.errorf("spec.listener.port", "port %d is out of range; use 1-65535", l.Port)
	}
	switch l.Protocol {
	case "", "HTTP":
		lis.Name, lis.Protocol = "http", gwv1.HTTPProtocolType
		if l.TLSSecretName != "" {
			c.errorf("spec.listener.tlsSecretName", "tlsSecretName is set on an HTTP listener; set protocol: HTTPS or remove it")
		}
	case "HTTPS":
		lis.Name, lis.Protocol = "https", gwv1.HTTPSProtocolType
		if l.TLSSecretName == "" {
			c.errorf("spec.listener.tlsSecretName", "an HTTPS listener needs tlsSecretName naming a kubernetes.io/tls Secret in namespace %q", c.o.Namespace)
		}
		lis.TLS = &gwv1.ListenerTLSConfig{Mode: ptrTo(gwv1.TLSModeTerminate),
			CertificateRefs: []gwv1.SecretObjectReference{{Name: gwv1.ObjectName(l.TLSSecretName)}}}
	default:
		c.errorf("spec.listener.protocol", "protocol %q is not supported; use HTTP or HTTPS", l.Protocol)
	}
	if l.Hostname != "" {
		lis.Hostname = ptrTo(gwv1.Hostname(strings.ToLower(l.Hostname)))
	}
	gw.Spec.Listeners = []gwv1.Listener{lis}
	return gw
}

// apiServerBackend builds the Backend from the upstream URL.
func (c *conv) apiServerBackend(a *v1alpha1.APIServerCORS) *v1alpha1.Backend {
	up := a.Spec.Upstream
	be := &v1alpha1.Backend{TypeMeta: typeMeta(v1alpha1.GroupVersion, "Backend"), ObjectMeta: objectMeta(c.o.Namespace, a.Name)}
	u, err := url.Parse(up.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		c.errorf("spec.upstream.url", "url %q must be http:// or https:// followed by host[:port] and nothing else, e.g. \"https://10.0.0.1:6443\"", up.URL)
		return be
	}
	port := 443
	if u.Scheme == "http" {
		port = 80
		if up.TLS != nil {
			c.errorf("spec.upstream.tls", "tls is set but the url is http://; use an https:// url or remove tls")
		}
	} else {
		be.Spec.TLS = up.TLS
		if be.Spec.TLS == nil {
			be.Spec.TLS = &v1alpha1.BackendTLS{}
		}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			c.errorf("spec.upstream.url", "port %q in url is out of range; use 1-65535", p)
		}
		port = n
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		be.Spec.Endpoints = []v1alpha1.BackendEndpoint{{IP: &v1alpha1.IPEndpoint{Address: host, Port: int32(port)}}}
	} else {
		be.Spec.Endpoints = []v1alpha1.BackendEndpoint{{FQDN: &v1alpha1.FQDNEndpoint{Hostname: strings.ToLower(host), Port: int32(port)}}}
	}
	return be
}

// apiServerOrigins converts the --cors-allowed-origins regexes to
// whole-origin regexes, keeping the documented idioms' meaning, and warns
// for each pattern the API server matched more loosely.
func (c *conv) apiServerOrigins(patterns []string) []v1alpha1.OriginMatch {
	if len(patterns) == 0 {
		c.errorf("spec.allowedOrigins", "allowedOrigins is empty, which turns CORS off in the API server; list the origin regexes of --cors-allowed-origins")
	}
	var out []v1alpha1.OriginMatch
	for i, p := range patterns {
		fp := fmt.Sprintf("spec.allowedOrigins[%d]", i)
		if p == "" {
			c.errorf(fp, "pattern is empty, and the API server would match every origin with it; remove it or write the origin, e.g. ^https://dashboard\\.example\\.com$")
			continue
		}
		if _, err := regexp.Compile(p); err != nil {
			c.errorf(fp, "invalid regular expression %q: %v (the API server would refuse to start)", p, err)
			continue
		}
		whole := apiServerIdioms(p)
		out = append(out, v1alpha1.OriginMatch{Regex: whole})
		if ex := lookalikeOrigin(p, whole); ex != "" {
			c.warnf(fp, WarnUnanchoredOrigin,
				"kube-apiserver matches %q anywhere in the origin and so lets in %s; corsgate matches the whole origin and refuses it. If that origin must work, write a pattern for the whole origin (e.g. ^https://dashboard\\.example\\.com$)", p, ex)
		}
	}
	return out
}

// apiServerIdioms rewrites the two idioms the kube-apiserver
// documentation recommends so they keep their meaning when matched
// against the whole origin: a leading "//" (any scheme) becomes
// "https?://", a trailing "(:|$)" (host boundary) becomes an optional
// port "(:[0-9]+)?".
func apiServerIdioms(p string) string {
	if strings.HasPrefix(p, "//") {
		p = "https?:" + p
	}
	if strings.HasSuffix(p, "(:|$)") {
		p = strings.TrimSuffix(p, "(:|$)") + "(:[0-9]+)?"
	}
	return p
}
