package config

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/ir"
)

// parentReasons are the codes of parentRef problems; they concern one
// parent, not the whole route.
var parentReasons = map[string]bool{
	string(gwv1.RouteReasonNoMatchingParent):      true,
	string(gwv1.RouteReasonNotAllowedByListeners): true,
}

// routeReport is what translateRoute found about one HTTPRoute.
type routeReport struct {
	obj     *Object
	parents []*parentReport
	invalid Problems // the route is invalid: Accepted=False UnsupportedValue
	refs    Problems // unresolved backendRefs: ResolvedRefs=False
	leftOut bool     // the route is not in the snapshot
}

// parentReport is the status of one parentRef naming a served Gateway.
type parentReport struct {
	ref       gwv1.ParentReference
	reason    string // Accepted=False reason; "" when accepted
	msg       string
	listeners []*gwListener // the valid listeners it selects
	reflects  string        // a policy reflecting any origin with credentials
}

// classify sorts the errors found while translating the route. In
// standalone mode any error leaves the route out; in Kubernetes mode only
// errors of the route itself do (parentRef and backendRef problems are
// reported on that parent or in ResolvedRefs).
func (rr *routeReport) classify(ps Problems, kubernetes bool) {
	parentErrs := 0
	for _, p := range ps {
		switch {
		case p.Severity != SeverityError:
		case refReasons[p.Code]:
			rr.refs = append(rr.refs, p)
		case parentReasons[p.Code]:
			parentErrs++
		default:
			rr.invalid = append(rr.invalid, p)
		}
	}
	rr.leftOut = len(rr.invalid) > 0 || (!kubernetes && (len(rr.refs) > 0 || parentErrs > 0))
}

// complete marks the parents whose listeners all refused the route's
// hostnames, and records reflecting policies per parent.
func (rr *routeReport) complete(attached map[*gwListener]string, hostnames []string) {
	for _, p := range rr.parents {
		if p.reason != "" {
			continue
		}
		ok := false
		var names []string
		for _, l := range p.listeners {
			names = append(names, fmt.Sprintf("%s (%q)", l.id, l.hostname))
			if r, in := attached[l]; in {
				ok = true
				if p.reflects == "" {
					p.reflects = r
				}
			}
		}
		if !ok {
			p.reason = string(gwv1.RouteReasonNoMatchingListenerHostname)
			p.msg = fmt.Sprintf("no hostname of the route (%s) matches the hostname of listener %s; add a matching hostname to spec.hostnames, or change the listener's hostname",
				strings.Join(hostnames, ", "), strings.Join(names, ", "))
		}
	}
}

// reflectingPolicy returns the source of the first effective policy in
// entries that lets every origin read responses with credentials.
func reflectingPolicy(entries []*routeEntry) string {
	check := func(c *ir.CORS) string {
		if c == nil || c.Policy == nil || !c.Policy.ReflectsAnyOriginWithCredentials() {
			return ""
		}
		if len(c.Chain) > 0 {
			return c.Chain[0]
		}
		return c.Source
	}
	for _, e := range entries {
		if s := check(e.route.CORS); s != "" {
			return s
		}
		for _, wb := range e.route.Backends {
			if s := check(wb.CORS); s != "" {
				return s
			}
		}
	}
	return ""
}

// routeStatus renders one RouteParentStatus per reported parent.
func (t *translator) routeStatus(o *Object, rr *routeReport) RouteStatus {
	gen := generation(o)
	rs := RouteStatus{Key: objectKey(o), Generation: gen}
	accepted, resolved := string(gwv1.RouteConditionAccepted), string(gwv1.RouteConditionResolvedRefs)
	refs := cond(resolved, true, string(gwv1.RouteReasonResolvedRefs), "every backendRef is resolved", gen)
	if len(rr.refs) > 0 {
		msg := problemsMessage(o, rr.refs)
		if t.opts.Kubernetes {
			msg += " (requests to a rule with no resolved backendRef get 500)"
		}
		refs = cond(resolved, false, rr.refs[0].Code, msg, gen)
	}
	for _, p := range rr.parents {
		ps := gwv1.RouteParentStatus{ParentRef: p.ref, ControllerName: gwv1.GatewayController(ControllerName)}
		var acc metav1.Condition
		switch {
		case len(rr.invalid) > 0:
			acc = cond(accepted, false, string(gwv1.RouteReasonUnsupportedValue), "the route is invalid and not served: "+problemsMessage(o, rr.invalid), gen)
		case rr.leftOut:
			acc = cond(accepted, false, string(gwv1.RouteReasonUnsupportedValue), "the route is not served because a backendRef or parentRef cannot be resolved (standalone mode refuses the whole route): "+problemsMessage(o, rr.refs), gen)
		case p.reason != "":
			acc = cond(accepted, false, p.reason, t.parentMessage(o, p), gen)
		default:
			acc = cond(accepted, true, string(gwv1.RouteReasonAccepted), "the route is attached to Gateway "+key(parentNamespace(o, p.ref), string(p.ref.Name)), gen)
		}
		ps.Conditions = []metav1.Condition{acc, refs}
		if p.reflects != "" && p.reason == "" && !rr.leftOut {
			ps.Conditions = append(ps.Conditions, cond(ConditionReflectsAnyOriginWithCredentials, true, ReasonReflectsAnyOriginWithCredentials,
				fmt.Sprintf("DANGEROUS: the effective CORS policy (%s) lets every web site read responses with the user's cookies; list the allowed origins in allowOrigins, or set allowCredentials: false", p.reflects), gen))
		}
		rs.Parents = append(rs.Parents, ps)
	}
	return rs
}

func parentNamespace(o *Object, ref gwv1.ParentReference) string {
	if ref.Namespace != nil {
		return string(*ref.Namespace)
	}
	return o.Namespace
}

// parentMessage is the Accepted=False message of parent p. When its
// sectionName names a listener that exists but is invalid, it says so and
// why, instead of suggesting the name is wrong.
func (t *translator) parentMessage(o *Object, p *parentReport) string {
	if p.reason != string(gwv1.RouteReasonNoMatchingParent) || p.ref.SectionName == nil {
		return p.msg
	}
	gwName := key(parentNamespace(o, p.ref), string(p.ref.Name))
	gwo := t.findGatewayObject(parentNamespace(o, p.ref), string(p.ref.Name))
	gr := t.st.gateways[gwo]
	if gr == nil {
		return p.msg
	}
	for _, lr := range gr.listeners {
		if lr.name == *p.ref.SectionName && lr.valid == nil {
			return fmt.Sprintf("listener %q of Gateway %s is invalid and not served, so the route cannot attach to it: %s; fix the listener (see the Gateway's status.listeners), or name another listener in sectionName",
				lr.name, gwName, problemsMessage(gwo, lr.problems.Errors()))
		}
	}
	return p.msg
}
