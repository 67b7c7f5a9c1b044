package config

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/corsgate/corsgate/internal/ir"
)

// Kubernetes backends (Options.Kubernetes). A backendRef to a core Service
// (group "", kind Service, the default) resolves, by port number, to the
// ServicePort, then to the ready endpoints of every EndpointSlice labelled
// kubernetes.io/service-name=<service> in the Service's namespace; see
// https://gateway-api.sigs.k8s.io/reference/spec/#backendref. A Service
// with no ready endpoint is still a valid backend with no endpoints: the
// data plane answers 503 (with CORS headers for allowed origins), so a
// browser sees "unavailable" rather than a CORS failure while pods start.
//
// A reference to another namespace (backendRef, listener certificateRef)
// needs a ReferenceGrant in the target namespace, as GEP-709 specifies.

// addKubernetesObject files a Service, EndpointSlice or ReferenceGrant.
// In standalone mode they have no effect, which a warning says.
func (t *translator) addKubernetesObject(o *Object) {
	var grant *gwv1.ReferenceGrant
	switch v := o.Value.(type) {
	case *corev1.Service:
		t.services[key(v.Namespace, v.Name)] = o
	case *discoveryv1.EndpointSlice:
		svc := v.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			if !t.opts.Kubernetes {
				break
			}
			t.warnf(o, "metadata.labels", "", "the EndpointSlice has no %s label, so no Service uses it; add the label naming its Service", discoveryv1.LabelServiceName)
			return
		}
		t.epSlices[key(v.Namespace, svc)] = append(t.epSlices[key(v.Namespace, svc)], o)
	case *gwv1.ReferenceGrant:
		grant = v
	case *gwv1beta1.ReferenceGrant:
		grant = (*gwv1.ReferenceGrant)(v)
	default:
		return
	}
	if grant != nil {
		t.grants[grant.Namespace] = append(t.grants[grant.Namespace], grant)
	}
	if !t.opts.Kubernetes {
		t.warnf(o, "kind", "", "%s objects are used only by the Kubernetes controller (corsgate controller); standalone mode ignores them: route to a corsgate.dev/v1alpha1 Backend in the route's namespace instead", o.Kind)
	}
}

// refGranted reports whether a ReferenceGrant in toNS lets objects of
// fromKind (group gateway.networking.k8s.io) in fromNS refer to the object
// toGroup/toKind/toName.
func (t *translator) refGranted(fromKind, fromNS, toGroup, toKind, toNS, toName string) bool {
	if fromNS == toNS {
		return true
	}
	for _, g := range t.grants[toNS] {
		from := slices.ContainsFunc(g.Spec.From, func(f gwv1.ReferenceGrantFrom) bool {
			return string(f.Group) == gwv1.GroupName && string(f.Kind) == fromKind && string(f.Namespace) == fromNS
		})
		to := slices.ContainsFunc(g.Spec.To, func(r gwv1.ReferenceGrantTo) bool {
			return string(r.Group) == toGroup && string(r.Kind) == toKind && (r.Name == nil || *r.Name == "" || string(*r.Name) == toName)
		})
		if from && to {
			return true
		}
	}
	return false
}

// grantHint says how to permit a cross-namespace reference.
func grantHint(fromKind, fromNS, toGroup, toKind, toNS string) string {
	g := toGroup
	if g == "" {
		g = `""`
	}
	return fmt.Sprintf("add a ReferenceGrant in namespace %q with from {group: %s, kind: %s, namespace: %s} and to {group: %s, kind: %s}",
		toNS, gwv1.GroupName, fromKind, fromNS, g, toKind)
}

// serviceBackend resolves a backendRef to a core Service. ns is the
// Service's namespace (already permitted).
func (t *translator) serviceBackend(o *Object, fp, ns string, ref gwv1.HTTPBackendRef) *ir.Backend {
	name := string(ref.Name)
	if ref.Port == nil {
		t.errorc(o, fp+".port", string(gwv1.RouteReasonBackendNotFound),
			"backendRef to Service %q has no port; set port to one of the Service's ports", name)
		return nil
	}
	port := int32(*ref.Port)
	so := t.services[key(ns, name)]
	if so == nil {
		t.errorc(o, fp+".name", string(gwv1.RouteReasonBackendNotFound),
			"Service %q not found in namespace %q; check the name and namespace, or create the Service", name, ns)
		return nil
	}
	svc := so.Value.(*corev1.Service)
	var sp *corev1.ServicePort
	var ports []string
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			sp = &svc.Spec.Ports[i]
		}
		ports = append(ports, strconv.Itoa(int(svc.Spec.Ports[i].Port)))
	}
	if sp == nil {
		t.errorc(o, fp+".port", string(gwv1.RouteReasonBackendNotFound),
			"Service %s/%s has no port %d; use one of its ports (%s)", ns, name, port, strings.Join(ports, ", "))
		return nil
	}
	if msg := unsupportedServicePort(svc, sp); msg != "" {
		t.errorc(o, fp, string(gwv1.RouteReasonUnsupportedProtocol), "Service %s/%s port %d: %s", ns, name, port, msg)
		return nil
	}
	id := fmt.Sprintf("%s/%s:%d", ns, name, port)
	if b := t.backends[id]; b != nil {
		return b
	}
	b := &ir.Backend{ID: id, Source: fmt.Sprintf("Service %s/%s port %d", ns, name, port),
		Endpoints: t.serviceEndpoints(ns, name, sp)}
	t.backends[id] = b
	return b
}

// serviceEndpoints collects the ready IP endpoints of a ServicePort from
// the Service's EndpointSlices, deduplicated and sorted.
func (t *translator) serviceEndpoints(ns, svc string, sp *corev1.ServicePort) []ir.Endpoint {
	seen := map[string]bool{}
	out := []ir.Endpoint{}
	for _, so := range t.epSlices[key(ns, svc)] {
		es := so.Value.(*discoveryv1.EndpointSlice)
		if es.AddressType != discoveryv1.AddressTypeIPv4 && es.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		port, ok := slicePort(es, sp)
		if !ok {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				if net.ParseIP(a) == nil {
					continue
				}
				hp := net.JoinHostPort(a, strconv.Itoa(int(port)))
				if !seen[hp] {
					seen[hp] = true
					out = append(out, ir.Endpoint{Network: "tcp", Address: hp, Host: hp})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// slicePort finds the port of sp in an EndpointSlice: the slice port with
// the ServicePort's name; else, when the Service's targetPort is a number
// and the slice lists an unnamed port (or none), that number.
func slicePort(es *discoveryv1.EndpointSlice, sp *corev1.ServicePort) (int32, bool) {
	unnamed := len(es.Ports) == 0
	for _, p := range es.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name == sp.Name && p.Port != nil {
			return *p.Port, true
		}
		unnamed = unnamed || name == ""
	}
	if !unnamed {
		return 0, false
	}
	switch {
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal > 0:
		return sp.TargetPort.IntVal, true
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == 0: // unset: Kubernetes defaults it to port
		return sp.Port, true
	}
	return 0, false
}

// incompatibleAppProtocols are appProtocol values (KEP-3726 and common
// names) that corsgate's HTTP/1.1 cleartext proxy cannot speak.
var incompatibleAppProtocols = map[string]bool{
	"kubernetes.io/h2c": true, "kubernetes.io/wss": true,
	"h2c": true, "http2": true, "grpc": true, "https": true, "tls": true,
}

// unsupportedServicePort says why corsgate cannot send HTTP to a Service
// port ("" when it can): a non-TCP port, an appProtocol it does not speak
// (the Gateway API requires ResolvedRefs=False UnsupportedProtocol), or an
// ExternalName Service, which has no endpoints to route to.
func unsupportedServicePort(svc *corev1.Service, sp *corev1.ServicePort) string {
	switch {
	case sp.Protocol != "" && sp.Protocol != corev1.ProtocolTCP:
		return fmt.Sprintf("protocol %s is not supported; corsgate proxies HTTP over TCP: point the backendRef at a TCP port", sp.Protocol)
	case sp.AppProtocol != nil && incompatibleAppProtocols[strings.ToLower(*sp.AppProtocol)]:
		return fmt.Sprintf("appProtocol %q is not supported; corsgate sends HTTP/1.1 without TLS to backends: serve HTTP/1.1 on this port and set appProtocol to http (or remove it)", *sp.AppProtocol)
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		return fmt.Sprintf("ExternalName Services (%q) are not supported: they have no endpoints; use a corsgate.dev/v1alpha1 Backend with that address, or a Service with endpoints", svc.Spec.ExternalName)
	}
	return ""
}
