package config

import (
	"fmt"
	"slices"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
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
	for _, o := range t.routes {
		t.translateRoute(o)
	}
}

// translateRoute checks one HTTPRoute; when it has no error it is attached
// to every listener its parentRefs select. A route with any error is left
// out entirely, never half-applied.
func (t *translator) translateRoute(o *Object) {
	hr := o.Value.(*gwv1.HTTPRoute)
	before := len(t.problems.Errors())
	hostnames := t.routeHostnames(o, hr)
	var entries []*routeEntry
	for i := range hr.Spec.Rules {
		entries = append(entries, t.translateRule(o, hr, i)...)
	}
	parents := t.routeParents(o, hr)
	if len(hr.Spec.ParentRefs) == 0 {
		t.errorf(o, "spec.parentRefs", "the route has no parentRefs; add one naming the Gateway, e.g. parentRefs: [{name: my-gateway}]")
	}
	if len(t.problems.Errors()) > before {
		return
	}
	slices.SortStableFunc(parents, byHostnameSpecificity)
	for _, l := range parents {
		hosts, ok := intersectHostnames(l.hostname, hostnames)
		if !ok {
			t.warnf(o, "spec.hostnames", "NoMatchingListenerHostname",
				"no hostname of the route matches listener %s (hostname %q); the route does not attach to it", l.id, l.hostname)
			continue
		}
		l.attached++
		t.attach(l.port, hosts, t.withPolicies(l, entries))
	}
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

// routeParents resolves parentRefs to valid listeners.
func (t *translator) routeParents(o *Object, hr *gwv1.HTTPRoute) []*gwListener {
	var out []*gwListener
	seen := map[*gwListener]bool{}
	for i, ref := range hr.Spec.ParentRefs {
		fp := fmt.Sprintf("spec.parentRefs[%d]", i)
		if (ref.Group != nil && *ref.Group != gwv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
			t.errorf(o, fp, "parentRef must name a Gateway (group gateway.networking.k8s.io, kind Gateway)")
			continue
		}
		ns := o.Namespace
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		matched, gwFound := 0, false
		for _, l := range t.listeners {
			if l.gw.Namespace != ns || l.gw.Name != string(ref.Name) {
				continue
			}
			gwFound = true
			if ref.SectionName != nil && string(*ref.SectionName) != l.name {
				continue
			}
			if ref.Port != nil && int(*ref.Port) != l.port {
				continue
			}
			if !l.allowAll && ns != o.Namespace {
				continue
			}
			matched++
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
		switch {
		case !gwFound && !t.gatewayExists(ns, string(ref.Name)):
			t.errorf(o, fp+".name", "Gateway %q not found in namespace %q; check the name or add the Gateway", ref.Name, ns)
		case matched == 0 && gwFound:
			t.errorf(o, fp, "no listener of Gateway %s/%s accepts this route (check sectionName, port and the listener's allowedRoutes)", ns, ref.Name)
		}
	}
	return out
}

// gatewayExists reports whether a Gateway object (valid or not) exists; an
// invalid Gateway already has its own error, so the route adds none.
func (t *translator) gatewayExists(ns, name string) bool {
	for _, o := range t.gateways {
		if o.Namespace == ns && o.Name == name {
			return true
		}
	}
	return false
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
	for j := range rule.BackendRefs {
		if wb := t.backendRef(o, fmt.Sprintf("%s.backendRefs[%d]", fp, j), hr.Namespace, rule.BackendRefs[j]); wb != nil {
			base.Backends = append(base.Backends, wb)
			base.TotalWeight += wb.Weight
		}
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

// backendRef resolves one backendRef to a Backend.
func (t *translator) backendRef(o *Object, fp, ns string, ref gwv1.HTTPBackendRef) *ir.WeightedBackend {
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if group == "" && kind == "Service" {
		t.errorf(o, fp, "backendRef to Service %q: standalone mode has no Kubernetes Services; define a corsgate.dev/v1alpha1 Backend with its endpoints and reference it with group: corsgate.dev, kind: Backend", ref.Name)
		return nil
	}
	if group != v1alpha1.GroupName || kind != "Backend" {
		t.errorf(o, fp, "backendRef kind %q in group %q is not supported; use group corsgate.dev, kind Backend", kind, group)
		return nil
	}
	if ref.Namespace != nil && string(*ref.Namespace) != ns {
		t.errorf(o, fp+".namespace", "backendRef to namespace %q is not allowed in standalone mode; put the Backend in namespace %q", *ref.Namespace, ns)
		return nil
	}
	id := key(ns, string(ref.Name))
	b := t.backends[id]
	if b == nil {
		if t.backendObj[id] == nil {
			t.errorf(o, fp+".name", "Backend %q not found in namespace %q; add a corsgate.dev/v1alpha1 Backend with that name", ref.Name, ns)
		} else {
			t.errorf(o, fp+".name", "Backend %q is invalid (see its errors)", ref.Name)
		}
		return nil
	}
	wb := &ir.WeightedBackend{Backend: b, BackendID: id, Weight: 1}
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
