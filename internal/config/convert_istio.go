package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/foreign/istio"
	"github.com/corsgate/corsgate/api/v1alpha1"
)

// Istio / Alibaba Cloud ASM: a VirtualService bound to Istio Gateways
// becomes one HTTPRoute (one named rule per http entry, parentRefs = the
// converted Gateways) and, per http entry with a corsPolicy, one
// CORSPolicy targeting that rule. Destinations resolve to corsgate
// Backends. Every field is either converted or reported.

func init() {
	for _, v := range istio.Versions {
		registerConverter(v, "Gateway", convertIstioGateway)
		registerConverter(v, "VirtualService", convertVirtualService)
	}
}

// Decoder constructors for the kinds table (decode.go).
func newIstioGateway() any        { return new(istio.Gateway) }
func newIstioVirtualService() any { return new(istio.VirtualService) }

// vsConv converts one VirtualService.
type vsConv struct {
	conv
	vs          *istio.VirtualService
	ruleMatches [][]gwv1.HTTPRouteMatch // converted matches per http entry
}

func convertVirtualService(o *Object, all *Resources) ([]*Object, Problems) {
	vs := o.Value.(*istio.VirtualService)
	c := &vsConv{conv: conv{o: o, all: all}, vs: vs}
	c.unsupported(vs.Spec, "spec", "Istio")
	ns := o.Namespace
	c.checkFree(gatewayAPIVersion, "HTTPRoute", ns, vs.Name)
	route := &gwv1.HTTPRoute{TypeMeta: typeMeta(gatewayAPIVersion, "HTTPRoute"), ObjectMeta: objectMeta(ns, vs.Name)}
	route.Spec.ParentRefs = c.parents()
	route.Spec.Hostnames = c.hostnames()
	if len(vs.Spec.HTTP) == 0 {
		c.errorf("spec.http", "the VirtualService has no http routes; corsgate converts only http routes, add at least one")
	}
	names := uniqueNames{}
	var policies []*Object
	for i := range vs.Spec.HTTP {
		rule, pol := c.rule(i, names)
		route.Spec.Rules = append(route.Spec.Rules, rule)
		if pol != nil {
			policies = append(policies, pol)
		}
	}
	c.checkOrder()
	if c.failed() {
		return nil, c.probs
	}
	out := []*Object{c.native(o.Line, gatewayAPIVersion, "HTTPRoute", ns, vs.Name, route)}
	return append(out, policies...), c.probs
}

// parents turns spec.gateways into parentRefs; "mesh" (the sidecars) has
// no meaning for a gateway.
func (c *vsConv) parents() []gwv1.ParentReference {
	var refs []gwv1.ParentReference
	mesh := -1
	for i, g := range c.vs.Spec.Gateways {
		fp := fmt.Sprintf("spec.gateways[%d]", i)
		if g == "mesh" {
			mesh = i
			continue
		}
		ns, name := c.o.Namespace, g
		if a, b, ok := strings.Cut(g, "/"); ok {
			ns, name = a, b
		}
		if !c.gatewayKnown(ns, name) {
			c.errorf(fp, "Istio Gateway %q not found in namespace %q; add the networking.istio.io Gateway (or a gateway.networking.k8s.io Gateway of that name) to the config", name, ns)
			continue
		}
		ref := gwv1.ParentReference{Name: gwv1.ObjectName(name)}
		if ns != c.o.Namespace {
			ref.Namespace = ptrTo(gwv1.Namespace(ns))
		}
		refs = append(refs, ref)
	}
	switch {
	case len(c.vs.Spec.Gateways) == 0 || (mesh >= 0 && len(c.vs.Spec.Gateways) == 1):
		c.errorf("spec.gateways", "the VirtualService applies only to the mesh sidecars (gateways is empty or just \"mesh\"); corsgate is a gateway: list the Istio Gateway it serves, e.g. gateways: [bookinfo-gateway]")
	case mesh >= 0:
		c.warnf(fmt.Sprintf("spec.gateways[%d]", mesh), "IstioMeshIgnored",
			"\"mesh\" (the sidecars) is not served by corsgate; the routes apply to the listed gateways only")
	}
	return refs
}

func (c *vsConv) gatewayKnown(ns, name string) bool {
	for _, v := range istio.Versions {
		if findObject(c.all, v, "Gateway", ns, name) != nil {
			return true
		}
	}
	return findObject(c.all, gatewayAPIVersion, "Gateway", ns, name) != nil
}

// hostnames turns spec.hosts into route hostnames; "*" means any host.
func (c *vsConv) hostnames() []gwv1.Hostname {
	if len(c.vs.Spec.Hosts) == 0 {
		c.errorf("spec.hosts", "hosts is required; list the host names clients use, or \"*\"")
		return nil
	}
	var out []gwv1.Hostname
	for i, h := range c.vs.Spec.Hosts {
		if h == "*" {
			return nil
		}
		h = strings.ToLower(h)
		if msg := checkHostname(h); msg != "" {
			c.errorf(fmt.Sprintf("spec.hosts[%d]", i), "%s", msg)
			continue
		}
		out = append(out, gwv1.Hostname(h))
	}
	return out
}

// rule converts spec.http[i] into a named route rule and, when it has a
// corsPolicy, a CORSPolicy targeting that rule.
func (c *vsConv) rule(i int, names uniqueNames) (gwv1.HTTPRouteRule, *Object) {
	h := c.vs.Spec.HTTP[i]
	fp := fmt.Sprintf("spec.http[%d]", i)
	name := names.take(h.Name, fmt.Sprintf("http-%d", i))
	rule := gwv1.HTTPRouteRule{Name: ptrTo(gwv1.SectionName(name))}
	rule.Matches = c.matches(fp, h.Match)
	c.ruleMatches = append(c.ruleMatches, rule.Matches)
	rule.Filters = c.headerFilters(fp+".headers", h.Headers)
	if len(h.Route) == 0 {
		c.errorf(fp+".route", "the http route has no route destinations; add route: [{destination: {host: ...}}]")
	}
	weighted := false
	for _, d := range h.Route {
		weighted = weighted || d.Weight != 0
	}
	for j, d := range h.Route {
		if ref, ok := c.backendRef(fmt.Sprintf("%s.route[%d]", fp, j), d, weighted); ok {
			rule.BackendRefs = append(rule.BackendRefs, ref)
		}
	}
	if h.CorsPolicy == nil {
		return rule, nil
	}
	return rule, c.corsPolicy(fp+".corsPolicy", name, h.CorsPolicy)
}

// backendRef resolves a destination to a corsgate Backend named like the
// host or like the host's first DNS label, in the VirtualService's
// namespace.
func (c *vsConv) backendRef(fp string, d istio.HTTPRouteDestination, weighted bool) (gwv1.HTTPBackendRef, bool) {
	host := d.Destination.Host
	ns := c.o.Namespace
	cands := []string{host}
	if label, _, ok := strings.Cut(host, "."); ok && label != "" {
		cands = append(cands, label)
	}
	name := ""
	for _, n := range cands {
		if findObject(c.all, v1alpha1.GroupVersion, "Backend", ns, n) != nil {
			name = n
			break
		}
	}
	if host == "" {
		c.errorf(fp+".destination.host", "destination.host is required; name the service, e.g. host: details")
		return gwv1.HTTPBackendRef{}, false
	}
	if name == "" {
		quoted := make([]string, len(cands))
		for i, n := range cands {
			quoted[i] = strconv.Quote(n)
		}
		c.errorf(fp+".destination.host", "no corsgate Backend named %s in namespace %q for destination host %q; add a corsgate.dev/v1alpha1 Backend named %q with the service's endpoints",
			strings.Join(quoted, " or "), ns, host, cands[len(cands)-1])
		return gwv1.HTTPBackendRef{}, false
	}
	ref := gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
		Group: ptrTo(gwv1.Group(v1alpha1.GroupName)), Kind: ptrTo(gwv1.Kind("Backend")), Name: gwv1.ObjectName(name),
	}}}
	if p := d.Destination.Port; p != nil && p.Number != 0 {
		if p.Number > 65535 {
			c.errorf(fp+".destination.port.number", "port %d is out of range; use 1-65535", p.Number)
			return ref, false
		}
		ref.Port = ptrTo(gwv1.PortNumber(p.Number))
	}
	if weighted {
		ref.Weight = ptrTo(d.Weight)
	}
	ref.Filters = c.headerFilters(fp+".headers", d.Headers)
	return ref, true
}

// headerFilters converts Istio header operations to header modifiers.
func (c *vsConv) headerFilters(fp string, h *istio.Headers) []gwv1.HTTPRouteFilter {
	if h == nil {
		return nil
	}
	var out []gwv1.HTTPRouteFilter
	if m := headerModifier(h.Request); m != nil {
		out = append(out, gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: m})
	}
	if m := headerModifier(h.Response); m != nil {
		out = append(out, gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: m})
	}
	return out
}

func headerModifier(op *istio.HeaderOperations) *gwv1.HTTPHeaderFilter {
	if op == nil || len(op.Set)+len(op.Add)+len(op.Remove) == 0 {
		return nil
	}
	list := func(m map[string]string) []gwv1.HTTPHeader {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []gwv1.HTTPHeader
		for _, k := range keys {
			out = append(out, gwv1.HTTPHeader{Name: gwv1.HTTPHeaderName(k), Value: m[k]})
		}
		return out
	}
	return &gwv1.HTTPHeaderFilter{Set: list(op.Set), Add: list(op.Add), Remove: op.Remove}
}

// corsPolicy converts an Istio corsPolicy into a CORSPolicy targeting the
// converted rule.
func (c *vsConv) corsPolicy(fp, rule string, cp *istio.CorsPolicy) *Object {
	ns, route := c.o.Namespace, c.vs.Name
	name := route + "-" + rule
	c.checkFree(v1alpha1.GroupVersion, "CORSPolicy", ns, name)
	pol := corsPolicyObject(ns, name, v1alpha1.PolicyTargetReference{
		Group: gwv1.GroupName, Kind: "HTTPRoute", Name: gwv1.ObjectName(route), SectionName: ptrTo(gwv1.SectionName(rule)),
	})
	s := &pol.Spec
	s.AllowOrigins = c.origins(fp, cp)
	s.AllowMethods, s.AllowHeaders, s.ExposeHeaders = cp.AllowMethods, cp.AllowHeaders, cp.ExposeHeaders
	s.AllowCredentials = cp.AllowCredentials
	if cp.MaxAge != "" {
		d, err := time.ParseDuration(cp.MaxAge)
		if err != nil || d < 0 {
			c.errorf(fp+".maxAge", "maxAge %q is not a duration; write e.g. \"24h\", \"3600s\" or \"1m30s\"", cp.MaxAge)
		}
		s.MaxAge = &v1alpha1.Duration{Duration: d}
	}
	switch cp.UnmatchedPreflights {
	case "FORWARD":
		s.UnmatchedPreflights = v1alpha1.UnmatchedPreflightsForward
	case "IGNORE":
		s.UnmatchedPreflights = v1alpha1.UnmatchedPreflightsDeny
	case "", "UNSPECIFIED":
		// corsgate answers unmatched preflights itself unless forwarding
		// is asked for explicitly.
	default:
		c.errorf(fp+".unmatchedPreflights", "unmatchedPreflights %q is not valid; use FORWARD or IGNORE", cp.UnmatchedPreflights)
	}
	return c.native(c.o.FieldLine(fp), v1alpha1.GroupVersion, "CORSPolicy", ns, name, pol)
}

// origins converts allowOrigins (StringMatch) or the deprecated
// allowOrigin (exact strings or "*").
func (c *vsConv) origins(fp string, cp *istio.CorsPolicy) []v1alpha1.OriginMatch {
	if len(cp.AllowOrigins) > 0 && len(cp.AllowOrigin) > 0 {
		c.errorf(fp+".allowOrigin", "both allowOrigins and the deprecated allowOrigin are set, and Istio uses only allowOrigins; move these origins into allowOrigins as {exact: ...} and remove allowOrigin")
		return nil
	}
	var out []v1alpha1.OriginMatch
	for i, o := range cp.AllowOrigin {
		if o == "*" {
			out = append(out, v1alpha1.OriginMatch{Value: "*"})
			continue
		}
		if o == "" {
			c.errorf(fmt.Sprintf("%s.allowOrigin[%d]", fp, i), "origin is empty; remove it")
			continue
		}
		out = append(out, v1alpha1.OriginMatch{Exact: o})
	}
	for i, m := range cp.AllowOrigins {
		mf := fmt.Sprintf("%s.allowOrigins[%d]", fp, i)
		if !c.oneOf(mf, m) {
			continue
		}
		if m.Regex != "" {
			if _, err := regexp.Compile(m.Regex); err != nil {
				c.errorf(mf+".regex", "invalid RE2 regular expression %q: %v", m.Regex, err)
				continue
			}
		}
		out = append(out, v1alpha1.OriginMatch{Exact: m.Exact, Prefix: m.Prefix, Regex: m.Regex})
	}
	return out
}

// oneOf checks that exactly one of exact, prefix, regex is set.
func (c *vsConv) oneOf(fp string, m istio.StringMatch) bool {
	n := 0
	for _, s := range []string{m.Exact, m.Prefix, m.Regex} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		c.errorf(fp, "set exactly one of exact, prefix or regex")
		return false
	}
	return true
}
