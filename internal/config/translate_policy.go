package config

import (
	"fmt"
	"slices"
	"sort"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
)

// CORSPolicy attachment. A CORSPolicy (native, or converted from a kgateway
// TrafficPolicy, an agentgateway AgentgatewayPolicy, an Istio corsPolicy or
// an FSM PluginConfig) names its targets with spec.targetRefs. For each
// request the most specific setting wins; from most to least specific:
//
//	backendRef filter   the CORS filter of a rule's backendRefs[] entry
//	rule filter         the CORS filter of the HTTPRoute rule
//	Backend             a CORSPolicy targeting the corsgate Backend the rule
//	                    routes to (group corsgate.dev, kind Backend); FSM
//	                    destinationRefs map onto this level
//	route rule          a CORSPolicy targeting the HTTPRoute with
//	                    sectionName = the rule's name
//	HTTPRoute           a CORSPolicy targeting the HTTPRoute
//	listener            a CORSPolicy targeting the Gateway with
//	                    sectionName = the listener's name
//	Gateway             a CORSPolicy targeting the Gateway
//
// A route's own CORS filter (either filter level) always overrides every
// attached policy as a whole, as kgateway and agentgateway document; to
// merge with a less specific policy, move the filter into a CORSPolicy
// targeting the rule. A policy with mergeStrategy Override (the default)
// replaces the less specific ones; with Union it is merged with the next
// less specific policy (and on down while those ask for Union too): list
// fields unioned, duplicates dropped, least specific first; a "*" list
// absorbs the others; scalars (allowCredentials, maxAge,
// allowPrivateNetwork, unmatchedPreflights) from the most specific policy
// that sets them. The listener and Gateway levels also answer requests that
// match no route (ir.Listener.Fallback).
//
// Two policies at the same level on the same target conflict: the older
// one (creationTimestamp, then namespace/name) wins and the other is
// reported with code Conflicted. A targetRef naming a missing object (or
// listener, or rule) is reported with code TargetNotFound.

// Problem codes of the attachment warnings.
const (
	CodeConflicted     = "Conflicted"
	CodeTargetNotFound = "TargetNotFound"
)

// level ranks where a CORS setting applies; lower is more specific.
type level uint8

const (
	levelBackendFilter level = iota
	levelRuleFilter
	levelBackend
	levelRule
	levelRoute
	levelListener
	levelGateway
)

var levelNames = [...]string{"backendRef filter", "rule filter", "Backend", "route rule", "HTTPRoute", "listener", "Gateway"}

func (l level) String() string { return levelNames[l] }

// corsPolicy is one valid CORSPolicy, compiled on its own.
type corsPolicy struct {
	obj     *Object
	created int64
	layer   *layer
}

// layer is one CORS setting that may take part in a request's effective
// policy: a filter or an attached CORSPolicy.
type layer struct {
	cors   *ir.CORS // compiled on its own
	raw    specLayer
	union  bool
	desc   string // "CORSPolicy ns/name (FILE:LINE)"
	obj    *Object
	policy bool // a CORSPolicy (false: a route filter)
}

// attachment is a policy winning one target.
type attachment struct {
	p     *corsPolicy
	ref   int // targetRefs index
	level level
}

// policyState is the translator's view of every CORSPolicy.
type policyState struct {
	// attached maps "level|ns/name[|section]" to the winning policy.
	attached map[string]*attachment
	// merged caches effective policies by their chain.
	merged map[string]*ir.CORS
}

func attachKey(l level, ns, name, section string) string {
	k := fmt.Sprintf("%d|%s/%s", l, ns, name)
	if section != "" {
		k += "|" + section
	}
	return k
}

// translatePolicies validates every CORSPolicy and records which one wins
// each target. It runs after the Gateways and Backends are known and
// before routes are attached.
func (t *translator) translatePolicies(objs []*Object) {
	t.pol = &policyState{attached: map[string]*attachment{}, merged: map[string]*ir.CORS{}}
	candidates := map[string][]*attachment{}
	var keys []string
	for _, o := range objs {
		before := len(t.problems)
		p := t.translatePolicy(o)
		cp := o.Value.(*v1alpha1.CORSPolicy)
		seen := map[string]bool{}
		for i, ref := range cp.Spec.TargetRefs {
			k, lv, ok := t.policyTarget(o, i, ref)
			if p == nil || !ok || seen[k] {
				continue // an invalid policy is checked, never attached
			}
			seen[k] = true
			if candidates[k] == nil {
				keys = append(keys, k)
			}
			candidates[k] = append(candidates[k], &attachment{p: p, ref: i, level: lv})
		}
		t.st.policies[o] = &policyReport{problems: slices.Clone(t.problems[before:])}
	}
	for _, k := range keys {
		t.pol.attached[k] = t.resolveConflict(candidates[k])
	}
}

// resolveConflict picks the oldest policy (then namespace/name) and
// reports the others.
func (t *translator) resolveConflict(list []*attachment) *attachment {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].p, list[j].p
		if a.created != b.created {
			return a.created < b.created
		}
		return key(a.obj.Namespace, a.obj.Name) < key(b.obj.Namespace, b.obj.Name)
	})
	win := list[0]
	t.st.policies[win.p.obj].wins = append(t.st.policies[win.p.obj].wins, targetDesc(win.p.obj, win.ref))
	for _, lost := range list[1:] {
		o := lost.p.obj
		fp := fmt.Sprintf("spec.targetRefs[%d]", lost.ref)
		t.warnf(o, fp, CodeConflicted,
			"conflicts with %s %s, which targets the same %s and wins because it is older (or, as old, first by namespace/name); this targetRef is ignored; merge the two policies or target different sections",
			win.p.obj.Kind, sourceDesc(win.p.obj), targetDesc(o, lost.ref))
		pr := t.st.policies[o]
		pr.problems = append(pr.problems, t.problems[len(t.problems)-1])
	}
	return win
}

// targetDesc names what targetRefs[i] of a CORSPolicy object points at.
func targetDesc(o *Object, i int) string {
	ref := o.Value.(*v1alpha1.CORSPolicy).Spec.TargetRefs[i]
	s := fmt.Sprintf("%s %s", ref.Kind, key(o.Namespace, string(ref.Name)))
	if ref.SectionName != nil {
		s += " section " + string(*ref.SectionName)
	}
	return s
}

// sourceDesc is "ns/name (FILE:LINE)".
func sourceDesc(o *Object) string {
	return fmt.Sprintf("%s (%s)", key(o.Namespace, o.Name), source(o, "spec"))
}

// policyTarget checks targetRefs[i] and returns its attachment key. A
// missing target is a warning: the policy stays valid for its other
// targets.
func (t *translator) policyTarget(o *Object, i int, ref v1alpha1.PolicyTargetReference) (string, level, bool) {
	fp := fmt.Sprintf("spec.targetRefs[%d]", i)
	ns, name := o.Namespace, string(ref.Name)
	section := ""
	if ref.SectionName != nil {
		section = string(*ref.SectionName)
	}
	switch {
	case ref.Group == gwv1.GroupName && ref.Kind == "Gateway":
		gw := t.findGateway(ns, name)
		if gw == nil {
			t.warnf(o, fp+".name", CodeTargetNotFound, "Gateway %q not found in namespace %q, so this targetRef attaches to nothing; check the name (a targetRef always names an object in the policy's own namespace)", name, ns)
			return "", 0, false
		}
		if section == "" {
			return attachKey(levelGateway, ns, name, ""), levelGateway, true
		}
		if !hasListener(gw, section) {
			t.warnf(o, fp+".sectionName", CodeTargetNotFound, "Gateway %s/%s has no listener named %q, so this targetRef attaches to nothing; use one of its listener names", ns, name, section)
			return "", 0, false
		}
		return attachKey(levelListener, ns, name, section), levelListener, true
	case ref.Group == gwv1.GroupName && ref.Kind == "HTTPRoute":
		hr := t.findRoute(ns, name)
		if hr == nil {
			t.warnf(o, fp+".name", CodeTargetNotFound, "HTTPRoute %q not found in namespace %q, so this targetRef attaches to nothing; check the name (a targetRef always names an object in the policy's own namespace)", name, ns)
			return "", 0, false
		}
		if section == "" {
			return attachKey(levelRoute, ns, name, ""), levelRoute, true
		}
		if !hasRule(hr, section) {
			t.warnf(o, fp+".sectionName", CodeTargetNotFound, "HTTPRoute %s/%s has no rule named %q, so this targetRef attaches to nothing; give the rule that name (spec.rules[].name) or fix sectionName", ns, name, section)
			return "", 0, false
		}
		return attachKey(levelRule, ns, name, section), levelRule, true
	case ref.Group == v1alpha1.GroupName && ref.Kind == "Backend":
		if section != "" {
			t.errorf(o, fp+".sectionName", "a Backend has no sections; remove sectionName")
			return "", 0, false
		}
		if t.backendObj[key(ns, name)] == nil {
			t.warnf(o, fp+".name", CodeTargetNotFound, "Backend %q not found in namespace %q, so this targetRef attaches to nothing; check the name", name, ns)
			return "", 0, false
		}
		return attachKey(levelBackend, ns, name, ""), levelBackend, true
	}
	t.errorf(o, fp, "kind %q in group %q cannot be targeted; target a Gateway or HTTPRoute (group %s) or a Backend (group %s)",
		ref.Kind, ref.Group, gwv1.GroupName, v1alpha1.GroupName)
	return "", 0, false
}

func (t *translator) findGateway(ns, name string) *gwv1.Gateway {
	for _, o := range t.gateways {
		if o.Namespace == ns && o.Name == name {
			return o.Value.(*gwv1.Gateway)
		}
	}
	return nil
}

func (t *translator) findRoute(ns, name string) *gwv1.HTTPRoute {
	for _, o := range t.routes {
		if o.Namespace == ns && o.Name == name {
			return o.Value.(*gwv1.HTTPRoute)
		}
	}
	return nil
}

func hasListener(gw *gwv1.Gateway, name string) bool {
	for _, l := range gw.Spec.Listeners {
		if string(l.Name) == name {
			return true
		}
	}
	return false
}

func hasRule(hr *gwv1.HTTPRoute, name string) bool {
	for _, r := range hr.Spec.Rules {
		if r.Name != nil && string(*r.Name) == name {
			return true
		}
	}
	return false
}

// attachedAt returns the layer attached at level to ns/name[/section], or
// nil.
func (t *translator) attachedAt(l level, ns, name, section string) *layer {
	if t.pol == nil {
		return nil
	}
	a := t.pol.attached[attachKey(l, ns, name, section)]
	if a == nil {
		return nil
	}
	return a.p.layer
}
