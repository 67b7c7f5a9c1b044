package config

import (
	"fmt"
	"slices"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/ir"
)

// routeEntry is one flattened (rule, match) with its precedence keys.
type routeEntry struct {
	route    *ir.Route
	created  int64 // unix seconds of creationTimestamp; 0 when unset
	nsName   string
	ruleIdx  int
	matchIdx int
}

func (t *translator) translateRoutes() {
	t.st.tracking = true
	defer func() { t.st.tracking = false }()
	for _, o := range t.routes {
		t.translateRoute(o)
	}
}

// translateRoute checks one HTTPRoute; when it has no error it is attached
// to every listener its parentRefs select. A route with any error is left
// out entirely, never half-applied; in Kubernetes mode, a parentRef or
// backendRef that cannot be resolved only affects that parent or
// backendRef (the Gateway API keeps such routes Accepted).
func (t *translator) translateRoute(o *Object) {
	hr := o.Value.(*gwv1.HTTPRoute)
	if t.opts.Kubernetes && !t.namesServedGateway(o, hr) {
		return // another controller's route
	}
	rr := &routeReport{obj: o}
	t.st.routes[o] = rr
	before := len(t.problems)
	hostnames := t.routeHostnames(o, hr)
	var entries []*routeEntry
	for i := range hr.Spec.Rules {
		entries = append(entries, t.translateRule(o, hr, i)...)
	}
	rr.parents = t.routeParents(o, hr)
	if len(hr.Spec.ParentRefs) == 0 {
		t.errorf(o, "spec.parentRefs", "the route has no parentRefs; add one naming the Gateway, e.g. parentRefs: [{name: my-gateway}]")
	}
	rr.classify(slices.Clone(t.problems[before:]), t.opts.Kubernetes)
	if rr.leftOut {
		return
	}
	t.attachRoute(hostnames, entries, rr)
}

// attachRoute attaches a valid route's entries to the listeners its
// parents selected, and completes the parents' status.
func (t *translator) attachRoute(hostnames []string, entries []*routeEntry, rr *routeReport) {
	var listeners []*gwListener
	for _, p := range rr.parents {
		for _, l := range p.listeners {
			if !slices.Contains(listeners, l) {
				listeners = append(listeners, l)
			}
		}
	}
	slices.SortStableFunc(listeners, byHostnameSpecificity)
	attached := map[*gwListener]string{} // listener -> reflecting policy ("" if none)
	for _, l := range listeners {
		hosts, ok := intersectHostnames(l.hostname, hostnames)
		if !ok {
			t.warnf(rr.obj, "spec.hostnames", "NoMatchingListenerHostname",
				"no hostname of the route matches listener %s (hostname %q); the route does not attach to it", l.id, l.hostname)
			continue
		}
		l.attached++
		es := t.withPolicies(l, entries)
		attached[l] = reflectingPolicy(es)
		t.attach(l.port, hosts, es)
	}
	rr.complete(attached, hostnames)
}

func (t *translator) attach(port int, hosts []string, entries []*routeEntry) {
	m := t.hosts[port]
	if m == nil {
		m = map[string][]*routeEntry{}
		t.hosts[port] = m
	}
	for _, h := range hosts {
		m[h] = append(m[h], entries...)
	}
}

func (t *translator) routeHostnames(o *Object, hr *gwv1.HTTPRoute) []string {
	var out []string
	for i, h := range hr.Spec.Hostnames {
		hs := strings.ToLower(string(h))
		if msg := checkHostname(hs); msg != "" {
			t.errorf(o, fmt.Sprintf("spec.hostnames[%d]", i), "%s", msg)
			continue
		}
		out = append(out, hs)
	}
	return out
}

// routeParents resolves each parentRef naming a Gateway of a served class
// to the valid listeners it selects.
func (t *translator) routeParents(o *Object, hr *gwv1.HTTPRoute) []*parentReport {
	var out []*parentReport
	for i, ref := range hr.Spec.ParentRefs {
		fp := fmt.Sprintf("spec.parentRefs[%d]", i)
		if (ref.Group != nil && *ref.Group != gwv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
			if !t.opts.Kubernetes { // in Kubernetes, another controller's parent (a mesh Service, ...)
				t.errorf(o, fp, "parentRef must name a Gateway (group gateway.networking.k8s.io, kind Gateway)")
			}
			continue
		}
		ns := o.Namespace
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		gw := t.findGatewayObject(ns, string(ref.Name))
		if gw == nil {
			t.errorc(o, fp+".name", string(gwv1.RouteReasonNoMatchingParent), "Gateway %q not found in namespace %q; check the name or add the Gateway", ref.Name, ns)
			continue
		}
		if !t.opts.served(string(gw.Value.(*gwv1.Gateway).Spec.GatewayClassName)) {
			continue // not ours; in standalone mode the Gateway has its own error
		}
		p := &parentReport{ref: ref}
		out = append(out, p)
		t.matchParent(o, fp, ns, p)
	}
	return out
}

// matchParent finds the valid listeners parentRef p selects.
func (t *translator) matchParent(o *Object, fp, ns string, p *parentReport) {
	ref := p.ref
	gwValid, selected := false, false
	var names []string
	for _, l := range t.listeners {
		if l.gw.Namespace != ns || l.gw.Name != string(ref.Name) {
			continue
		}
		gwValid = true
		names = append(names, fmt.Sprintf("%s (port %d)", l.name, l.port))
		if ref.SectionName != nil && string(*ref.SectionName) != l.name {
			continue
		}
		if ref.Port != nil && int(*ref.Port) != l.port {
			continue
		}
		selected = true
		if !t.admits(l, o.Namespace) {
			continue
		}
		p.listeners = append(p.listeners, l)
	}
	gwName := key(ns, string(ref.Name))
	switch {
	case !gwValid: // the Gateway has its own errors
		p.reason = string(gwv1.RouteReasonNoMatchingParent)
		p.msg = fmt.Sprintf("Gateway %s has no valid listener, so the route cannot attach to it; fix the Gateway (see its status)", gwName)
		return
	case !selected:
		p.reason = string(gwv1.RouteReasonNoMatchingParent)
		p.msg = fmt.Sprintf("no listener of Gateway %s matches this parentRef's sectionName/port; name one of its valid listeners: %s", gwName, strings.Join(names, ", "))
	case len(p.listeners) == 0:
		p.reason = string(gwv1.RouteReasonNotAllowedByListeners)
		p.msg = fmt.Sprintf("the listeners of Gateway %s accept routes only from namespace %q; set allowedRoutes.namespaces.from: All on the listener, or put the route in namespace %q", gwName, ns, ns)
	default:
		return
	}
	t.errorc(o, fp, p.reason, "no listener of Gateway %s accepts this route (check sectionName, port and the listener's allowedRoutes)", gwName)
}

// namesServedGateway reports whether a parentRef of hr names an existing
// Gateway of a served class.
func (t *translator) namesServedGateway(o *Object, hr *gwv1.HTTPRoute) bool {
	for _, ref := range hr.Spec.ParentRefs {
		if (ref.Group != nil && *ref.Group != gwv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
			continue
		}
		ns := o.Namespace
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		if gw := t.findGatewayObject(ns, string(ref.Name)); gw != nil &&
			t.opts.served(string(gw.Value.(*gwv1.Gateway).Spec.GatewayClassName)) {
			return true
		}
	}
	return false
}

// findGatewayObject returns the Gateway object ns/name (valid or not).
func (t *translator) findGatewayObject(ns, name string) *Object {
	for _, o := range t.gateways {
		if o.Namespace == ns && o.Name == name {
			return o
		}
	}
	return nil
}

// intersectHostnames applies the Gateway API rule for listener and route
// hostnames. ok is false when they do not intersect.
func intersectHostnames(listener string, route []string) ([]string, bool) {
	if len(route) == 0 {
		return []string{listener}, true
	}
	if listener == "" {
		return route, true
	}
	var out []string
	for _, h := range route {
		switch {
		case h == listener:
			out = append(out, h)
		case hostCovers(listener, h):
			out = append(out, h)
		case hostCovers(h, listener):
			out = append(out, listener)
		}
	}
	return out, len(out) > 0
}

// hostCovers reports whether wildcard pattern p ("*.example.com") covers
// h (a name or a narrower wildcard) by one or more labels.
func hostCovers(p, h string) bool {
	if !strings.HasPrefix(p, "*.") {
		return false
	}
	suffix := p[1:] // ".example.com"
	return len(h) > len(suffix) && strings.HasSuffix(h, suffix)
}

// translateRule flattens one rule into route entries (one per match).
func (t *translator) translateRule(o *Object, hr *gwv1.HTTPRoute, i int) []*routeEntry {
	rule := hr.Spec.Rules[i]
	fp := fmt.Sprintf("spec.rules[%d]", i)
	base := ir.Route{
		Namespace: hr.Namespace, Name: hr.Name, RuleIndex: i,
		Source: source(o, fp),
	}
	if rule.Name != nil {
		base.RuleName = string(*rule.Name)
	}
	fs := t.filters(o, fp+".filters", rule.Filters)
	base.CORS, base.RequestHeaders, base.ResponseHeaders = fs.cors, fs.req, fs.resp
	resolved := 0
	for j := range rule.BackendRefs {
		ref := rule.BackendRefs[j]
		wb := t.backendRef(o, fmt.Sprintf("%s.backendRefs[%d]", fp, j), hr.Namespace, ref)
		if wb == nil && t.opts.Kubernetes {
			wb = invalidShare(ref)
		} else if wb != nil {
			resolved++
		}
		if wb != nil {
			base.Backends = append(base.Backends, wb)
			base.TotalWeight += wb.Weight
		}
	}
	if len(rule.BackendRefs) > 0 && resolved == 0 {
		base.Invalid = "no backendRef of the route rule could be resolved; see the HTTPRoute's ResolvedRefs condition"
	}
	if len(rule.BackendRefs) == 0 {
		base.Invalid = "the route rule has no backendRefs"
		if base.CORS == nil {
			t.warnf(o, fp+".backendRefs", "NoBackends", "the rule has no backendRefs; requests it matches get 500")
		}
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gwv1.HTTPRouteMatch{{}}
	}
	var out []*routeEntry
	for j := range matches {
		m, ok := t.match(o, fmt.Sprintf("%s.matches[%d]", fp, j), matches[j])
		if !ok {
			continue
		}
		r := base
		r.ID = fmt.Sprintf("%s/%s/%d/%d", hr.Namespace, hr.Name, i, j)
		r.Match = m
		out = append(out, &routeEntry{
			route: &r, created: hr.CreationTimestamp.Unix(),
			nsName: key(hr.Namespace, hr.Name), ruleIdx: i, matchIdx: j,
		})
	}
	return out
}

// invalidShare keeps the weight of a backendRef that could not be resolved
// (Kubernetes mode), so that share of the rule's requests gets 500 rather
// than going to the other backends. Nil when its weight is zero or out of
// range (then it has no share).
func invalidShare(ref gwv1.HTTPBackendRef) *ir.WeightedBackend {
	w := 1
	if ref.Weight != nil {
		w = int(*ref.Weight)
	}
	if w <= 0 || w > 1000000 {
		return nil
	}
	id := string(ref.Name)
	if ref.Namespace != nil {
		id = string(*ref.Namespace) + "/" + id
	}
	return &ir.WeightedBackend{BackendID: id, Weight: w,
		Invalid: "internal server error: backendRef " + id + " could not be resolved; see the HTTPRoute's ResolvedRefs condition"}
}
