package config

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// reasonListenerUnsupported is the listener Accepted=False reason for a
// value corsgate does not support or that is invalid.
const reasonListenerUnsupported = string(gwv1.ListenerReasonUnsupportedValue)

// Listener problem codes by the condition they set to False.
var (
	listenerRefReasons = map[string]bool{
		string(gwv1.ListenerReasonInvalidCertificateRef): true,
		string(gwv1.ListenerReasonRefNotPermitted):       true,
		string(gwv1.ListenerReasonInvalidRouteKinds):     true,
	}
	listenerConflictReasons = map[string]bool{
		string(gwv1.ListenerReasonHostnameConflict): true,
		string(gwv1.ListenerReasonProtocolConflict): true,
	}
)

// gatewayReport is what translateGateways found about one Gateway of a
// served class.
type gatewayReport struct {
	problems  Problems // Gateway-level errors (the Gateway is not served)
	listeners []*listenerReport
}

// listenerReport is what translateGateways found about one listener.
type listenerReport struct {
	name     gwv1.SectionName
	problems Problems // errors found on the listener (with codes)
	kinds    []gwv1.RouteGroupKind
	valid    *gwListener // nil when the listener is not served
}

// mode names the running mode for messages.
func (t *translator) mode() string {
	if t.opts.Kubernetes {
		return "Kubernetes mode"
	}
	return "standalone mode"
}

// listenerRouteKinds lists the route kinds a listener accepts: HTTPRoute,
// unless allowedRoutes.kinds names only other kinds or the protocol is not
// HTTP or HTTPS.
func listenerRouteKinds(l gwv1.Listener) []gwv1.RouteGroupKind {
	group := gwv1.Group(gwv1.GroupName)
	http := gwv1.RouteGroupKind{Group: &group, Kind: "HTTPRoute"}
	if l.Protocol != gwv1.HTTPProtocolType && l.Protocol != gwv1.HTTPSProtocolType {
		return []gwv1.RouteGroupKind{} // no route kind is served on a protocol corsgate does not speak
	}
	if l.AllowedRoutes == nil || len(l.AllowedRoutes.Kinds) == 0 {
		return []gwv1.RouteGroupKind{http}
	}
	for _, k := range l.AllowedRoutes.Kinds {
		if k.Kind == "HTTPRoute" && (k.Group == nil || *k.Group == gwv1.GroupName) {
			return []gwv1.RouteGroupKind{http}
		}
	}
	return []gwv1.RouteGroupKind{}
}

// gatewayStatus renders the conditions of one Gateway and its listeners.
func (t *translator) gatewayStatus(o *Object, gr *gatewayReport) GatewayStatus {
	gen := generation(o)
	gs := GatewayStatus{Key: objectKey(o), Generation: gen, Listeners: []gwv1.ListenerStatus{}}
	var valid, invalid []string
	for i, lr := range gr.listeners {
		ls := t.listenerStatus(o, lr, gen)
		if lr.valid == nil {
			ls.AttachedRoutes = t.attachedToInvalid(o, i, lr)
		}
		gs.Listeners = append(gs.Listeners, ls)
		if lr.valid != nil {
			valid = append(valid, string(lr.name))
		} else {
			invalid = append(invalid, fmt.Sprintf("%q", lr.name))
		}
	}
	accepted, programmed := string(gwv1.GatewayConditionAccepted), string(gwv1.GatewayConditionProgrammed)
	switch {
	case len(gr.problems) > 0:
		msg := problemsMessage(o, gr.problems)
		gs.Conditions = []metav1.Condition{
			cond(accepted, false, gr.problems[0].Code, msg, gen),
			cond(programmed, false, string(gwv1.GatewayReasonInvalid), "the Gateway is not served: "+msg, gen),
		}
	case len(valid) == 0:
		msg := "no listener of the Gateway is valid; fix the listeners (see status.listeners for each one's problem)"
		gs.Conditions = []metav1.Condition{
			cond(accepted, false, string(gwv1.GatewayReasonListenersNotValid), msg, gen),
			cond(programmed, false, string(gwv1.GatewayReasonInvalid), msg, gen),
		}
	default:
		msg := "the Gateway is served by corsgate"
		if len(invalid) > 0 {
			msg += fmt.Sprintf("; listeners %s are invalid and not served (see status.listeners)", strings.Join(invalid, ", "))
		}
		gs.Conditions = []metav1.Condition{
			cond(accepted, true, string(gwv1.GatewayReasonAccepted), msg, gen),
			cond(programmed, true, string(gwv1.GatewayReasonProgrammed),
				fmt.Sprintf("listeners %s are programmed in the data plane", strings.Join(valid, ", ")), gen),
		}
	}
	return gs
}

// listenerStatus renders the conditions of one listener.
func (t *translator) listenerStatus(o *Object, lr *listenerReport, gen int64) gwv1.ListenerStatus {
	var acc Problems
	for _, p := range lr.problems {
		if p.Severity == SeverityError && !listenerRefReasons[p.Code] && !listenerConflictReasons[p.Code] {
			acc = append(acc, p)
		}
	}
	refs := errorsWithCode(lr.problems, listenerRefReasons)
	for _, p := range lr.problems { // unsupported kinds next to HTTPRoute: served, but not resolved
		if p.Severity == SeverityWarning && p.Code == string(gwv1.ListenerReasonInvalidRouteKinds) {
			refs = append(refs, p)
		}
	}
	conflicts := errorsWithCode(lr.problems, listenerConflictReasons)
	ls := gwv1.ListenerStatus{Name: lr.name, SupportedKinds: lr.kinds}
	if lr.valid != nil {
		ls.AttachedRoutes = int32(lr.valid.attached)
	}
	accMsg := "the listener is valid"
	if lr.valid == nil {
		accMsg = "the listener's settings are supported, but it is not served until its references or conflicts are fixed (see ResolvedRefs, Conflicted and Programmed)"
	}
	conds := []metav1.Condition{
		okOr(string(gwv1.ListenerConditionAccepted), string(gwv1.ListenerReasonAccepted), accMsg, o, acc, gen),
		okOr(string(gwv1.ListenerConditionResolvedRefs), string(gwv1.ListenerReasonResolvedRefs), "every reference of the listener is resolved", o, refs, gen),
	}
	if len(conflicts) > 0 {
		conds = append(conds, cond(string(gwv1.ListenerConditionConflicted), true, conflicts[0].Code, problemsMessage(o, conflicts), gen))
	} else {
		conds = append(conds, cond(string(gwv1.ListenerConditionConflicted), false, string(gwv1.ListenerReasonNoConflicts), "the listener does not conflict with another listener", gen))
	}
	if lr.valid != nil {
		msg := fmt.Sprintf("the listener is served on port %d", lr.valid.port)
		if t.opts.PortOffset != 0 {
			msg += fmt.Sprintf(" (bound to port %d: port offset %d)", lr.valid.port+t.opts.PortOffset, t.opts.PortOffset)
		}
		conds = append(conds, cond(string(gwv1.ListenerConditionProgrammed), true, string(gwv1.ListenerReasonProgrammed), msg, gen))
	} else {
		conds = append(conds, cond(string(gwv1.ListenerConditionProgrammed), false, string(gwv1.ListenerReasonInvalid),
			"the listener is not served: "+problemsMessage(o, lr.problems.Errors()), gen))
	}
	ls.Conditions = conds
	return ls
}

// okOr is a True condition with reason okReason, or False with the code
// of the first problem when there are any.
func okOr(typ, okReason, okMsg string, o *Object, ps Problems, gen int64) metav1.Condition {
	if len(ps) == 0 {
		return cond(typ, true, okReason, okMsg, gen)
	}
	reason := ps[0].Code
	if reason == "" {
		reason = reasonListenerUnsupported
	}
	return cond(typ, false, reason, problemsMessage(o, ps), gen)
}

// attachedToInvalid counts the routes attached to an invalid listener (the
// i-th of Gateway o). The Gateway API requires attachedRoutes even when a
// listener is not accepted: a route is attached when a parentRef of it,
// accepted by this Gateway, selects the listener (whole Gateway, or its
// sectionName and port) and the listener's allowedRoutes admit it.
func (t *translator) attachedToInvalid(o *Object, i int, lr *listenerReport) int32 {
	gw := o.Value.(*gwv1.Gateway)
	spec := gw.Spec.Listeners[i]
	if len(lr.kinds) == 0 {
		return 0
	}
	var n int32
	for _, ro := range t.routes {
		rr := t.st.routes[ro]
		if rr == nil || rr.leftOut {
			continue
		}
		for _, p := range rr.parents {
			if p.reason == "" && parentSelects(ro, p.ref, gw, spec) && t.specAdmits(gw, spec, ro.Namespace) {
				n++
				break
			}
		}
	}
	return n
}

// parentSelects reports whether ref (of route ro) selects listener l of gw.
func parentSelects(ro *Object, ref gwv1.ParentReference, gw *gwv1.Gateway, l gwv1.Listener) bool {
	return parentNamespace(ro, ref) == gw.Namespace && string(ref.Name) == gw.Name &&
		(ref.SectionName == nil || *ref.SectionName == l.Name) &&
		(ref.Port == nil || *ref.Port == l.Port)
}

// specAdmits is admits for a listener that was not translated: whether its
// allowedRoutes.namespaces admit routes from namespace ns.
func (t *translator) specAdmits(gw *gwv1.Gateway, l gwv1.Listener, ns string) bool {
	probe := &gwListener{gw: gw}
	if ar := l.AllowedRoutes; ar != nil && ar.Namespaces != nil && ar.Namespaces.From != nil {
		switch *ar.Namespaces.From {
		case gwv1.NamespacesFromAll:
			probe.allowAll = true
		case gwv1.NamespacesFromSelector:
			sel, msg := namespaceSelector(ar.Namespaces.Selector)
			if msg != "" {
				return false
			}
			probe.selector = sel
		case gwv1.NamespacesFromSame:
		default:
			return false
		}
	}
	return t.admits(probe, ns)
}
