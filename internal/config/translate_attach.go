package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// leveled is a layer at the level it applies.
type leveled struct {
	l  *layer
	lv level
}

func (x leveled) entry() string { return x.lv.String() + " " + x.l.desc }

// filterLayer wraps a route's own CORS filter as a layer (never merged).
func filterLayer(c *ir.CORS, lv level, route string) leveled {
	if c == nil {
		return leveled{}
	}
	return leveled{l: &layer{cors: c, desc: fmt.Sprintf("HTTPRoute %s (%s)", route, c.Source)}, lv: lv}
}

// gatewayChain is the listener and Gateway policies of listener l.
func (t *translator) gatewayChain(l *gwListener) []leveled {
	ns, name := l.gw.Namespace, l.gw.Name
	return []leveled{
		{t.attachedAt(levelListener, ns, name, l.name), levelListener},
		{t.attachedAt(levelGateway, ns, name, ""), levelGateway},
	}
}

// withPolicies returns copies of a route's entries, as attached to
// listener l, whose CORS fields hold the effective policies: the route's
// filters or else the policies attached to the rule, the route, the
// listener and the Gateway (and, per backendRef, the Backend). Copies keep
// entries shared by several listeners independent.
func (t *translator) withPolicies(l *gwListener, entries []*routeEntry) []*routeEntry {
	gw := t.gatewayChain(l)
	out := make([]*routeEntry, len(entries))
	for i, e := range entries {
		r := *e.route
		ne := *e
		ne.route = &r
		out[i] = &ne
		route := key(r.Namespace, r.Name)
		var attached []leveled
		if r.RuleName != "" {
			attached = append(attached, leveled{t.attachedAt(levelRule, r.Namespace, r.Name, r.RuleName), levelRule})
		}
		attached = append(attached, leveled{t.attachedAt(levelRoute, r.Namespace, r.Name, ""), levelRoute})
		attached = append(attached, gw...)
		rule := filterLayer(e.route.CORS, levelRuleFilter, route)
		r.CORS = t.effective(append([]leveled{rule}, attached...))
		for j, wb := range e.route.Backends {
			bns, bname, _ := strings.Cut(wb.BackendID, "/") // a cross-namespace Backend keeps its namespace
			be := leveled{t.attachedAt(levelBackend, bns, bname, ""), levelBackend}
			if wb.CORS == nil && (be.l == nil || rule.l != nil) {
				continue // the rule's effective policy applies
			}
			if sameBackends(r.Backends, e.route.Backends) {
				r.Backends = slices.Clone(e.route.Backends)
			}
			nwb := *wb
			chain := append([]leveled{filterLayer(wb.CORS, levelBackendFilter, route), rule, be}, attached...)
			nwb.CORS = t.effective(chain)
			r.Backends[j] = &nwb
		}
	}
	return out
}

// sameBackends reports whether a and b share their backing array, i.e.
// the route copy still uses the original list.
func sameBackends(a, b []*ir.WeightedBackend) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}

// effective combines a chain of layers (most specific first; empty
// entries skipped) into one policy: the most specific layer, merged with
// the next ones while they ask for Union. Identical chains share one
// result, compiled once.
func (t *translator) effective(chain []leveled) *ir.CORS {
	chain = slices.DeleteFunc(slices.Clone(chain), func(x leveled) bool { return x.l == nil })
	if len(chain) == 0 {
		return nil
	}
	k := 0
	for k+1 < len(chain) && chain[k].l.union {
		k++
	}
	used, over := chain[:k+1], chain[k+1:]
	t.st.trackUse(used, over)
	var entries, overridden []string
	for _, x := range used {
		entries = append(entries, x.entry())
	}
	for _, x := range over {
		overridden = append(overridden, x.entry())
	}
	cacheKey := strings.Join(entries, "\n") + "\n--\n" + strings.Join(overridden, "\n")
	if t.pol == nil {
		t.pol = &policyState{attached: map[string]*attachment{}, merged: map[string]*ir.CORS{}}
	}
	if c, ok := t.pol.merged[cacheKey]; ok {
		return c
	}
	base := used[0].l.cors
	if len(used) > 1 {
		if m := t.merge(used, entries); m != nil {
			base = m
		}
	}
	c := *base
	c.Chain, c.Overridden = entries, overridden
	t.pol.merged[cacheKey] = &c
	return &c
}

// merge compiles the Union of the used layers. Problems are reported on
// the most specific policy; nil means the merge failed and the most
// specific policy applies alone.
func (t *translator) merge(used []leveled, entries []string) *ir.CORS {
	layers := make([]*layer, len(used))
	dangerous := false
	for i, x := range used {
		layers[i] = x.l
		dangerous = dangerous || x.l.raw.dangerous
	}
	top := layers[0].obj
	with := strings.Join(entries[1:], ", ")
	p, _, err := policy.Compile(mergeSpecs(layers))
	if err != nil {
		var msgs []string
		for _, fe := range fieldErrors(err) {
			msgs = append(msgs, fe.Field+": "+engineMessage(fe.Value, fe.Reason, ""))
		}
		t.errorf(top, "spec.mergeStrategy", "merging this Union policy with %s gives an invalid policy (%s); make the lists compatible, or use mergeStrategy Override",
			with, strings.Join(msgs, "; "))
		return nil
	}
	if p.ReflectsAnyOriginWithCredentials() {
		if !dangerous {
			t.errorf(top, "spec.mergeStrategy", "refused: merged with %s, this policy lets every origin read responses with credentials (any web site could read them with the user's cookies); list the origins, turn credentials off, or set dangerouslyAllowAnyOriginWithCredentials: true", with)
			return nil
		}
		t.warnf(top, "spec.mergeStrategy", string(policy.WarnReflectAnyOriginWithCredentials),
			"DANGEROUS, allowed by dangerouslyAllowAnyOriginWithCredentials: merged with %s, this policy lets every origin read responses with the user's cookies", with)
	}
	return &ir.CORS{Policy: p, Spec: p.Spec(), Source: layers[0].cors.Source}
}

// mergeSpecs unions the layers' lists, least specific first (the engine
// drops duplicates, keeping the first spelling); a "*" list absorbs the
// others. Scalars come from the most specific layer that sets them.
func mergeSpecs(layers []*layer) policy.Spec {
	var s policy.Spec
	for i := len(layers) - 1; i >= 0; i-- {
		r := &layers[i].raw.spec
		s.AllowOrigins = append(s.AllowOrigins, r.AllowOrigins...)
		s.OriginPrefixes = append(s.OriginPrefixes, r.OriginPrefixes...)
		s.OriginRegexes = append(s.OriginRegexes, r.OriginRegexes...)
		s.AllowMethods = append(s.AllowMethods, r.AllowMethods...)
		s.AllowHeaders = append(s.AllowHeaders, r.AllowHeaders...)
		s.ExposeHeaders = append(s.ExposeHeaders, r.ExposeHeaders...)
	}
	if slices.Contains(s.AllowOrigins, "*") {
		s.AllowOrigins, s.OriginPrefixes, s.OriginRegexes = []string{"*"}, nil, nil
	}
	for _, list := range []*[]string{&s.AllowMethods, &s.AllowHeaders, &s.ExposeHeaders} {
		if slices.Contains(*list, "*") {
			*list = []string{"*"}
		}
	}
	var creds, maxAge, pna, fw bool
	for _, l := range layers {
		r := &l.raw
		if r.credsSet && !creds {
			s.AllowCredentials, creds = r.spec.AllowCredentials, true
		}
		if r.maxAgeSet && !maxAge {
			s.MaxAge, maxAge = r.spec.MaxAge, true
		}
		if r.pnaSet && !pna {
			s.AllowPrivateNetwork, pna = r.spec.AllowPrivateNetwork, true
		}
		if r.fwSet && !fw {
			s.ForwardUnmatchedPreflights, fw = r.spec.ForwardUnmatchedPreflights, true
		}
	}
	return s
}

// addFallbacks gives each snapshot listener the listener- and
// Gateway-level policies of the Gateway listeners it serves, for requests
// that match no route.
func (t *translator) addFallbacks(snap *ir.Snapshot) {
	byPort := map[int]*ir.Listener{}
	for _, il := range snap.Listeners {
		byPort[il.Port] = il
	}
	for _, l := range t.listeners {
		il := byPort[l.port]
		if il == nil {
			continue
		}
		if c := t.effective(t.gatewayChain(l)); c != nil {
			il.Fallback = append(il.Fallback, &ir.HostPolicy{Hostname: l.hostname, CORS: c})
		}
	}
	for _, il := range snap.Listeners {
		sort.SliceStable(il.Fallback, func(i, j int) bool { return hostLess(il.Fallback[i].Hostname, il.Fallback[j].Hostname) })
	}
}

// byHostnameSpecificity orders listeners by port, then most specific
// hostname first, so that when a route attaches to several listeners of
// one port with the same effective hostname, the copy kept (the first) is
// that of the listener the Gateway API routes the request through.
func byHostnameSpecificity(a, b *gwListener) int {
	switch {
	case a.port != b.port:
		return a.port - b.port
	case hostLess(a.hostname, b.hostname):
		return -1
	case hostLess(b.hostname, a.hostname):
		return 1
	}
	return 0
}
