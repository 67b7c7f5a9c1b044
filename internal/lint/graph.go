package lint

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/ir"
)

// effective calls fn for every effective policy of the snapshot: each
// route's, each backendRef's own, and each listener fallback's.
func (l *linter) effective(fn func(c *ir.CORS, rt *ir.Route, wb *ir.WeightedBackend)) {
	if l.snap == nil {
		return
	}
	for _, ls := range l.snap.Listeners {
		for _, vh := range ls.Hosts {
			for _, rt := range vh.Routes {
				if rt.CORS != nil {
					fn(rt.CORS, rt, nil)
				}
				for _, wb := range rt.Backends {
					if wb != nil && wb.CORS != nil {
						fn(wb.CORS, rt, wb)
					}
				}
			}
		}
		for _, fb := range ls.Fallback {
			if fb != nil && fb.CORS != nil {
				fn(fb.CORS, nil, nil)
			}
		}
	}
}

// chainEntryRE reads an ir.CORS chain entry, "LEVEL KIND ns/name (FILE:LINE)".
var chainEntryRE = regexp.MustCompile(`(\S+) (\S+/\S+) \(([^()]*)\)$`)

// setting is one CORS setting named by chain entries.
type setting struct {
	kind, nsName, source string
}

func parseEntry(s string) (setting, bool) {
	m := chainEntryRE.FindStringSubmatch(s)
	if m == nil {
		return setting{}, false
	}
	return setting{m[1], m[2], m[3]}, true
}

// checkShadowed finds CORSPolicies that attach somewhere but are
// overridden everywhere: they appear in ir.CORS.Overridden and in no
// ir.CORS.Chain.
func (l *linter) checkShadowed() {
	used := map[setting]bool{}
	overriddenBy := map[setting]string{} // first example of what overrides it
	var order []setting
	l.effective(func(c *ir.CORS, rt *ir.Route, _ *ir.WeightedBackend) {
		for _, e := range c.Chain {
			if s, ok := parseEntry(e); ok {
				used[s] = true
			}
		}
		for _, e := range c.Overridden {
			s, ok := parseEntry(e)
			if !ok || overriddenBy[s] != "" {
				continue
			}
			where := "requests that match no route"
			if rt != nil {
				where = "route " + rt.ID + " (" + rt.Source + ")"
			}
			winner := c.Source
			if len(c.Chain) > 0 {
				winner = c.Chain[0]
			}
			overriddenBy[s] = where + ", where " + winner + " wins"
			order = append(order, s)
		}
	})
	for _, s := range order {
		if used[s] || s.kind != "CORSPolicy" {
			continue
		}
		ns, name, _ := strings.Cut(s.nsName, "/")
		o := l.byID[objectID(s.kind, ns, name)]
		if o == nil {
			continue
		}
		l.add(RuleShadowedPolicy, Warning, o, "spec",
			fmt.Sprintf("%s %s applies nowhere: a more specific setting overrides it everywhere it attaches, e.g. %s", s.kind, s.nsName, overriddenBy[s]), "")
	}
}

// checkUpstreamCORS flags routes whose effective policy is the gateway's
// while the Backend they route to declares that it answers CORS itself.
func (l *linter) checkUpstreamCORS() {
	type hit struct{ route, backend string }
	seen := map[hit]bool{}
	var hits []hit
	detail := map[hit][3]string{}
	l.effective(func(c *ir.CORS, rt *ir.Route, wb *ir.WeightedBackend) {
		if rt == nil {
			return
		}
		list := rt.Backends
		if wb != nil {
			list = []*ir.WeightedBackend{wb}
		}
		for _, b := range list {
			if b == nil || (wb == nil && b.CORS != nil) {
				continue // a backendRef with its own policy is judged with it
			}
			h := hit{rt.Source, b.BackendID}
			if seen[h] || !l.sendsCORS(b.BackendID) {
				continue
			}
			seen[h] = true
			hits = append(hits, h)
			detail[h] = [3]string{rt.Namespace, rt.Name, describePolicy(c)}
		}
	})
	sort.Slice(hits, func(i, j int) bool {
		return hits[i].route < hits[j].route || hits[i].route == hits[j].route && hits[i].backend < hits[j].backend
	})
	for _, h := range hits {
		d := detail[h]
		o := l.byID[objectID("HTTPRoute", d[0], d[1])]
		be := l.byID[objectID("Backend", backendNS(h.backend), backendName(h.backend))]
		if o == nil || be == nil {
			continue
		}
		field := ruleField(o, h.route)
		l.add(RuleUpstreamSendsCORS, Warning, o, field,
			fmt.Sprintf("the rule has a gateway CORS policy (%s) and routes to Backend %s, annotated %s: \"true\" at %s:%d; corsgate answers the preflights and replaces the backend's Access-Control-* headers",
				d[2], h.backend, UpstreamSendsCORSAnnotation, be.File, be.FieldLine("metadata.annotations."+UpstreamSendsCORSAnnotation)), "")
	}
}

// describePolicy names the setting an effective policy comes from.
func describePolicy(c *ir.CORS) string {
	if len(c.Chain) > 0 {
		return c.Chain[0]
	}
	return "at " + c.Source
}

// sendsCORS reports whether Backend id ("ns/name") carries the annotation.
func (l *linter) sendsCORS(id string) bool {
	o := l.byID[objectID("Backend", backendNS(id), backendName(id))]
	if o == nil {
		return false
	}
	b, ok := o.Value.(*v1alpha1.Backend)
	return ok && strings.EqualFold(strings.TrimSpace(b.Annotations[UpstreamSendsCORSAnnotation]), "true")
}

func backendNS(id string) string {
	ns, _, _ := strings.Cut(id, "/")
	return ns
}

func backendName(id string) string {
	_, name, _ := strings.Cut(id, "/")
	return name
}

// ruleField finds the spec.rules[i] path whose line is the route source's
// "FILE:LINE"; "spec.rules" when none matches.
func ruleField(o *config.Object, src string) string {
	_, lineText, ok := cutLast(src, ":")
	line, err := strconv.Atoi(lineText)
	if !ok || err != nil {
		return "spec.rules"
	}
	hr, ok := o.Value.(*gwv1.HTTPRoute)
	if !ok {
		return "spec.rules"
	}
	for i := range hr.Spec.Rules {
		if fp := fmt.Sprintf("spec.rules[%d]", i); o.FieldLine(fp) == line {
			return fp
		}
	}
	return "spec.rules"
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
