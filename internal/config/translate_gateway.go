package config

import (
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/ir"
)

// gwListener is one valid listener of one Gateway.
type gwListener struct {
	obj       *Object
	gw        *gwv1.Gateway
	index     int
	name      string
	id        string // ns/gateway/listener
	port      int
	protocol  ir.Protocol
	hostname  string // "" = any
	cert      *ir.Certificate
	allowAll  bool            // allowedRoutes.namespaces.from == All
	selector  labels.Selector // allowedRoutes.namespaces.from == Selector
	attached  int
	fieldPath string
}

// portUse is what the listeners on one port have claimed so far.
type portUse struct {
	protocol ir.Protocol
	hosts    map[string]string // hostname -> listener id
	first    string            // first listener id
}

func (t *translator) translateGateways() {
	ports := map[int]*portUse{}
	for _, o := range t.gateways {
		gw := o.Value.(*gwv1.Gateway)
		if !t.opts.served(string(gw.Spec.GatewayClassName)) {
			if !t.opts.Kubernetes { // in Kubernetes, another controller's Gateway
				t.errorf(o, "spec.gatewayClassName",
					"gatewayClassName %q is not served here; set it to %s", gw.Spec.GatewayClassName, t.opts.servedClasses())
			}
			continue
		}
		gr := &gatewayReport{}
		t.st.gateways[o] = gr
		if len(gw.Spec.Addresses) > 0 {
			if t.opts.Kubernetes {
				before := len(t.problems)
				t.errorc(o, "spec.addresses", string(gwv1.GatewayReasonUnsupportedAddress),
					"corsgate cannot assign requested addresses: its Gateways are reached through the Service in front of the corsgate replicas (whose addresses go to status.addresses); remove spec.addresses")
				gr.problems = slices.Clone(t.problems[before:])
				continue
			}
			t.warnf(o, "spec.addresses", "", "addresses are ignored in standalone mode; listeners bind to %q (see --bind)", t.opts.BindHost)
		}
		for i := range gw.Spec.Listeners {
			before := len(t.problems)
			lr := &listenerReport{name: gw.Spec.Listeners[i].Name, kinds: listenerRouteKinds(gw.Spec.Listeners[i])}
			gr.listeners = append(gr.listeners, lr)
			if l := t.translateListener(o, gw, i); l != nil && t.claimPort(ports, l) {
				lr.valid = l
				t.listeners = append(t.listeners, l)
			}
			lr.problems = slices.Clone(t.problems[before:])
		}
	}
}

// claimPort checks that l does not clash with an earlier listener on its
// port (another protocol, or the same hostname) and records it.
func (t *translator) claimPort(ports map[int]*portUse, l *gwListener) bool {
	use := ports[l.port]
	if use == nil {
		use = &portUse{protocol: l.protocol, hosts: map[string]string{}, first: l.id}
		ports[l.port] = use
	}
	if use.protocol != l.protocol {
		t.errorc(l.obj, l.fieldPath+".protocol", string(gwv1.ListenerReasonProtocolConflict),
			"port %d is already used with protocol %s; listeners sharing a port must use the same protocol", l.port, use.protocol)
		return false
	}
	if other, ok := use.hosts[l.hostname]; ok {
		t.errorc(l.obj, l.fieldPath+".hostname", string(gwv1.ListenerReasonHostnameConflict),
			"listener conflicts with %s: same port %d and hostname %q; give each listener on a port a distinct hostname", other, l.port, l.hostname)
		return false
	}
	use.hosts[l.hostname] = l.id
	return true
}

func (t *translator) translateListener(o *Object, gw *gwv1.Gateway, i int) *gwListener {
	spec := gw.Spec.Listeners[i]
	fp := fmt.Sprintf("spec.listeners[%d]", i)
	l := &gwListener{
		obj: o, gw: gw, index: i, name: string(spec.Name), fieldPath: fp,
		id:   gw.Namespace + "/" + gw.Name + "/" + string(spec.Name),
		port: int(spec.Port),
	}
	ok := true
	if spec.Name == "" {
		t.errorc(o, fp+".name", reasonListenerUnsupported, "listener name is required; give each listener a unique name such as \"http\"")
		ok = false
	}
	if spec.Port < 1 || spec.Port > 65535 {
		t.errorc(o, fp+".port", string(gwv1.ListenerReasonPortUnavailable), "port %d is out of range; use 1-65535", spec.Port)
		ok = false
	} else if bind := int(spec.Port) + t.opts.PortOffset; bind < 1 || bind > 65535 {
		t.errorc(o, fp+".port", string(gwv1.ListenerReasonPortUnavailable),
			"port %d plus the port offset %d is %d, outside 1-65535; lower the offset (--port-offset) or use another port", spec.Port, t.opts.PortOffset, bind)
		ok = false
	}
	if spec.Hostname != nil {
		h := strings.ToLower(string(*spec.Hostname))
		if msg := checkHostname(h); msg != "" {
			t.errorc(o, fp+".hostname", reasonListenerUnsupported, "%s", msg)
			ok = false
		}
		l.hostname = h
	}
	switch spec.Protocol {
	case gwv1.HTTPProtocolType:
		l.protocol = ir.ProtocolHTTP
		if spec.TLS != nil {
			t.errorc(o, fp+".tls", reasonListenerUnsupported, "tls is set on an HTTP listener; remove it or use protocol HTTPS")
			ok = false
		}
	case gwv1.HTTPSProtocolType:
		l.protocol = ir.ProtocolHTTPS
		cert := t.listenerCert(o, fp, spec, l.hostname)
		if cert == nil {
			ok = false
		}
		l.cert = cert
	default:
		t.errorc(o, fp+".protocol", string(gwv1.ListenerReasonUnsupportedProtocol), "protocol %q is not supported; use HTTP or HTTPS", spec.Protocol)
		ok = false
	}
	if ar := spec.AllowedRoutes; ar != nil {
		if ar.Namespaces != nil && ar.Namespaces.From != nil {
			switch *ar.Namespaces.From {
			case gwv1.NamespacesFromAll:
				l.allowAll = true
			case gwv1.NamespacesFromSame:
			case gwv1.NamespacesFromSelector:
				sel, msg := namespaceSelector(ar.Namespaces.Selector)
				if msg != "" {
					t.errorc(o, fp+".allowedRoutes.namespaces.selector", reasonListenerUnsupported, "%s", msg)
					ok = false
				}
				l.selector = sel
			default:
				t.errorc(o, fp+".allowedRoutes.namespaces.from", reasonListenerUnsupported,
					"%q is not supported in %s; use Same, All or Selector", *ar.Namespaces.From, t.mode())
				ok = false
			}
		}
		ok = t.allowedKinds(o, fp, ar.Kinds) && ok
	}
	if !ok {
		return nil
	}
	return l
}

// listenerCert loads the first certificateRef of an HTTPS listener.
func (t *translator) listenerCert(o *Object, fp string, spec gwv1.Listener, hostname string) *ir.Certificate {
	invalidRef := string(gwv1.ListenerReasonInvalidCertificateRef)
	if spec.TLS == nil || len(spec.TLS.CertificateRefs) == 0 {
		t.errorc(o, fp+".tls", invalidRef, "HTTPS listener needs tls.certificateRefs naming a Secret of type kubernetes.io/tls")
		return nil
	}
	if spec.TLS.Mode != nil && *spec.TLS.Mode != gwv1.TLSModeTerminate {
		t.errorc(o, fp+".tls.mode", reasonListenerUnsupported, "tls mode %q is not supported; use Terminate", *spec.TLS.Mode)
		return nil
	}
	ref := spec.TLS.CertificateRefs[0]
	rf := fp + ".tls.certificateRefs[0]"
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		t.errorc(o, rf, invalidRef, "certificateRef must name a core Secret (group \"\", kind Secret)")
		return nil
	}
	ns, ok := t.certNamespace(o, rf, ref)
	if !ok {
		return nil
	}
	so := t.secrets[key(ns, string(ref.Name))]
	if so == nil {
		where := "add a Secret of type kubernetes.io/tls to the config"
		if t.opts.Kubernetes {
			where = "create a Secret of type kubernetes.io/tls with that name, or fix the name"
		}
		t.errorc(o, rf+".name", invalidRef, "Secret %q not found in namespace %q; %s", ref.Name, ns, where)
		return nil
	}
	s := so.Value.(*corev1.Secret)
	if s.Type != corev1.SecretTypeTLS {
		t.errorc(so, "type", invalidRef, "Secret type is %q; a listener certificate needs type kubernetes.io/tls", s.Type)
		return nil
	}
	crt, keyPEM := secretValue(s, corev1.TLSCertKey), secretValue(s, corev1.TLSPrivateKeyKey)
	if _, err := tls.X509KeyPair(crt, keyPEM); err != nil {
		t.errorc(so, "data", invalidRef, "tls.crt and tls.key do not form a valid PEM certificate and key: %v; check both keys hold PEM data", err)
		return nil
	}
	return &ir.Certificate{Hostname: hostname, Source: key(ns, s.Name), CertPEM: crt, KeyPEM: keyPEM}
}

// certNamespace returns the namespace of a certificateRef's Secret: the
// Gateway's, or another one when a ReferenceGrant permits it (Kubernetes
// mode only).
func (t *translator) certNamespace(o *Object, rf string, ref gwv1.SecretObjectReference) (string, bool) {
	ns := o.Namespace
	if ref.Namespace == nil || string(*ref.Namespace) == ns {
		return ns, true
	}
	target := string(*ref.Namespace)
	notPermitted := string(gwv1.ListenerReasonRefNotPermitted)
	if !t.opts.Kubernetes {
		t.errorc(o, rf+".namespace", notPermitted, "certificateRef to namespace %q is not allowed in standalone mode; put the Secret in namespace %q", target, ns)
		return "", false
	}
	if !t.refGranted("Gateway", ns, "", "Secret", target, string(ref.Name)) {
		t.errorc(o, rf+".namespace", notPermitted, "certificateRef to Secret %s/%s is not permitted: no ReferenceGrant allows it; %s",
			target, ref.Name, grantHint("Gateway", ns, "", "Secret", target))
		return "", false
	}
	return target, true
}

// secretValue reads a key from data, falling back to stringData (which a
// file user can write without base64).
func secretValue(s *corev1.Secret, k string) []byte {
	if v, ok := s.Data[k]; ok {
		return v
	}
	if v, ok := s.StringData[k]; ok {
		return []byte(v)
	}
	return nil
}

// checkHostname validates a Gateway API hostname: a DNS name or a leading
// "*." wildcard, no IP addresses, no port.
func checkHostname(h string) string {
	if h == "" {
		return "hostname is empty; omit the field to match any host"
	}
	if net.ParseIP(h) != nil {
		return fmt.Sprintf("hostname %q is an IP address; hostnames must be DNS names", h)
	}
	rest := strings.TrimPrefix(h, "*.")
	if strings.Contains(rest, "*") {
		return fmt.Sprintf("hostname %q has a misplaced wildcard; only a leading \"*.\" is allowed", h)
	}
	if len(h) > 253 {
		return fmt.Sprintf("hostname %q is longer than 253 characters", h)
	}
	for _, label := range strings.Split(rest, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Sprintf("hostname %q has an empty or over-long label; write it like \"api.example.com\"", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Sprintf("hostname %q has the invalid character %q; use letters, digits, '-' and '.'", h, c)
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("hostname %q has a label starting or ending with '-'", h)
		}
	}
	return ""
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// namespaceSelector parses allowedRoutes.namespaces.selector; msg says what
// is wrong with it.
func namespaceSelector(ls *metav1.LabelSelector) (labels.Selector, string) {
	if ls == nil {
		return nil, "from: Selector needs a selector (matchLabels or matchExpressions); add one, or use from: Same or All"
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil, fmt.Sprintf("invalid selector: %v; fix matchLabels/matchExpressions", err)
	}
	return sel, ""
}

// admits reports whether listener l accepts routes from namespace ns. A
// namespace without a Namespace object has the one label the API server
// always sets, kubernetes.io/metadata.name.
func (t *translator) admits(l *gwListener, ns string) bool {
	switch {
	case l.allowAll:
		return true
	case l.selector == nil: // Same
		return ns == l.gw.Namespace
	}
	// Selector: the Gateway's own namespace too only if its labels match.
	ls, ok := t.nsLabels[ns]
	if !ok {
		ls = map[string]string{corev1.LabelMetadataName: ns}
	}
	return l.selector.Matches(labels.Set(ls))
}

// allowedKinds checks allowedRoutes.kinds. Kinds other than HTTPRoute are
// reported with reason InvalidRouteKinds; when HTTPRoute is listed too, the
// listener still serves HTTPRoutes (a warning, as the Gateway API asks),
// otherwise it serves nothing (an error).
func (t *translator) allowedKinds(o *Object, fp string, kinds []gwv1.RouteGroupKind) bool {
	isHTTPRoute := func(k gwv1.RouteGroupKind) bool {
		return k.Kind == "HTTPRoute" && (k.Group == nil || *k.Group == gwv1.GroupName)
	}
	some := slices.ContainsFunc(kinds, isHTTPRoute)
	for i, k := range kinds {
		if isHTTPRoute(k) {
			continue
		}
		field := fmt.Sprintf("%s.allowedRoutes.kinds[%d]", fp, i)
		const msg = "route kind %q is not supported; only HTTPRoute routes attach to corsgate listeners"
		if some {
			t.warnf(o, field, string(gwv1.ListenerReasonInvalidRouteKinds), msg+" (HTTPRoutes are still served); remove it", k.Kind)
		} else {
			t.errorc(o, field, string(gwv1.ListenerReasonInvalidRouteKinds), msg, k.Kind)
		}
	}
	return len(kinds) == 0 || some
}
