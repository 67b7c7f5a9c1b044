package config

import (
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
)

// Route reasons of backendRef problems (Problem.Code), which the route
// status reports as ResolvedRefs=False.
var refReasons = map[string]bool{
	string(gwv1.RouteReasonBackendNotFound):     true,
	string(gwv1.RouteReasonRefNotPermitted):     true,
	string(gwv1.RouteReasonInvalidKind):         true,
	string(gwv1.RouteReasonUnsupportedProtocol): true,
}

// backendRef resolves one backendRef to a Backend: a corsgate.dev Backend,
// or in Kubernetes mode a core Service.
func (t *translator) backendRef(o *Object, fp, ns string, ref gwv1.HTTPBackendRef) *ir.WeightedBackend {
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	var b *ir.Backend
	switch {
	case group == "" && kind == "Service" && !t.opts.Kubernetes:
		t.errorc(o, fp, string(gwv1.RouteReasonInvalidKind), "backendRef to Service %q: standalone mode has no Kubernetes Services; define a corsgate.dev/v1alpha1 Backend with its endpoints and reference it with group: corsgate.dev, kind: Backend", ref.Name)
		return nil
	case group == "" && kind == "Service":
		target, ok := t.refNamespace(o, fp, ns, ref, group, kind)
		if !ok {
			return nil
		}
		if b = t.serviceBackend(o, fp, target, ref); b == nil {
			return nil
		}
	case group == v1alpha1.GroupName && kind == "Backend":
		target, ok := t.refNamespace(o, fp, ns, ref, group, kind)
		if !ok {
			return nil
		}
		if b = t.corsgateBackend(o, fp, target, ref); b == nil {
			return nil
		}
	default:
		use := "use group corsgate.dev, kind Backend"
		if t.opts.Kubernetes {
			use = "use a core Service (group \"\", kind Service) or group corsgate.dev, kind Backend"
		}
		t.errorc(o, fp, string(gwv1.RouteReasonInvalidKind), "backendRef kind %q in group %q is not supported; %s", kind, group, use)
		return nil
	}
	wb := &ir.WeightedBackend{Backend: b, BackendID: b.ID, Weight: 1}
	if ref.Weight != nil {
		if *ref.Weight < 0 || *ref.Weight > 1000000 {
			t.errorf(o, fp+".weight", "weight %d is out of range; use 0-1000000", *ref.Weight)
			return nil
		}
		wb.Weight = int(*ref.Weight)
	}
	fs := t.filters(o, fp+".filters", ref.Filters)
	wb.CORS, wb.RequestHeaders, wb.ResponseHeaders = fs.cors, fs.req, fs.resp
	return wb
}

// refNamespace returns the namespace a backendRef points into, checking
// that a reference to another namespace is permitted: never in standalone
// mode, by a ReferenceGrant in Kubernetes mode.
func (t *translator) refNamespace(o *Object, fp, ns string, ref gwv1.HTTPBackendRef, group, kind string) (string, bool) {
	if ref.Namespace == nil || string(*ref.Namespace) == ns {
		return ns, true
	}
	target := string(*ref.Namespace)
	if !t.opts.Kubernetes {
		t.errorc(o, fp+".namespace", string(gwv1.RouteReasonRefNotPermitted), "backendRef to namespace %q is not allowed in standalone mode; put the Backend in namespace %q", target, ns)
		return "", false
	}
	if !t.refGranted("HTTPRoute", ns, group, kind, target, string(ref.Name)) {
		t.errorc(o, fp+".namespace", string(gwv1.RouteReasonRefNotPermitted),
			"backendRef to %s %s/%s is not permitted: no ReferenceGrant allows it; %s", kind, target, ref.Name,
			grantHint("HTTPRoute", ns, group, kind, target))
		return "", false
	}
	return target, true
}

// corsgateBackend looks up a translated corsgate.dev Backend.
func (t *translator) corsgateBackend(o *Object, fp, ns string, ref gwv1.HTTPBackendRef) *ir.Backend {
	id := key(ns, string(ref.Name))
	if b := t.backends[id]; b != nil {
		return b
	}
	if t.backendObj[id] == nil {
		t.errorc(o, fp+".name", string(gwv1.RouteReasonBackendNotFound), "Backend %q not found in namespace %q; add a corsgate.dev/v1alpha1 Backend with that name", ref.Name, ns)
	} else {
		t.errorc(o, fp+".name", string(gwv1.RouteReasonBackendNotFound), "Backend %q is invalid (see its errors)", ref.Name)
	}
	return nil
}
