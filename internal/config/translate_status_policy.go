package config

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// policyReport is what translatePolicies found about one CORSPolicy.
type policyReport struct {
	// problems are the policy's errors (Invalid) and its TargetNotFound
	// and Conflicted warnings.
	problems Problems
	// wins lists the targets the policy is attached to.
	wins []string
}

// foreignPolicyKinds are the foreign kinds that convert into CORSPolicies
// and are reported as policies even when their conversion fails.
var foreignPolicyKinds = map[string]bool{"TrafficPolicy": true, "AgentgatewayPolicy": true, "PluginConfig": true}

// tracked is Convert's result, remembering where converted objects came
// from.
type tracked struct {
	res      *Resources
	problems Problems
	origin   map[*Object]*Object // converted object -> foreign object
	// failed are foreign policies whose conversion failed, with its errors.
	failed   []*Object
	failedPs map[*Object]Problems
}

// convertTracked is Convert (same output, same order) keeping, for status,
// the foreign object each converted object came from.
func convertTracked(res *Resources) *tracked {
	tr := &tracked{origin: map[*Object]*Object{}, failedPs: map[*Object]Problems{}}
	if res == nil {
		return tr
	}
	tr.res = &Resources{Objects: make([]*Object, 0, len(res.Objects))}
	for _, o := range res.Objects {
		conv := converterFor(o)
		if conv == nil {
			tr.res.Objects = append(tr.res.Objects, o)
			continue
		}
		objs, ps := conv(o, res)
		tr.problems = append(tr.problems, ps...)
		tr.res.Objects = append(tr.res.Objects, objs...)
		for _, n := range objs {
			tr.origin[n] = o
		}
		if len(objs) == 0 && foreignPolicyKinds[o.Kind] && len(ps.Errors()) > 0 {
			tr.failed = append(tr.failed, o)
			tr.failedPs[o] = ps.Errors()
		}
	}
	return tr
}

// policyStatuses renders the status of every CORSPolicy, keyed by the
// object the user wrote: a foreign policy converted into several
// CORSPolicies gets one status combining theirs.
func (t *translator) policyStatuses(tr *tracked) []PolicyStatus {
	var order []*Object
	conds := map[*Object][][]metav1.Condition{}
	for _, o := range t.policyObjs {
		pr := t.st.policies[o]
		if pr == nil {
			continue
		}
		src := o
		if s := t.origin[o]; s != nil {
			src = s
		}
		if _, ok := conds[src]; !ok {
			order = append(order, src)
		}
		conds[src] = append(conds[src], t.policyConditions(o, src, pr))
	}
	var out []PolicyStatus
	for _, src := range order {
		out = append(out, PolicyStatus{Key: objectKey(src), Generation: generation(src), Conditions: combineConditions(conds[src])})
	}
	for _, src := range tr.failed {
		gen := generation(src)
		out = append(out, PolicyStatus{Key: objectKey(src), Generation: gen, Conditions: []metav1.Condition{
			cond(string(gwv1.PolicyConditionAccepted), false, string(gwv1.PolicyReasonInvalid), problemsMessage(src, tr.failedPs[src]), gen),
			cond(ConditionOverridden, false, ReasonNotOverridden, "the policy is not attached", gen),
		}})
	}
	return out
}

// policyConditions computes Accepted and Overridden for one CORSPolicy o
// (src is what the user wrote: o, or the foreign policy o came from).
func (t *translator) policyConditions(o, src *Object, pr *policyReport) []metav1.Condition {
	gen := generation(src)
	accepted := string(gwv1.PolicyConditionAccepted)
	var notFound, conflicted Problems
	for _, p := range pr.problems {
		switch {
		case p.Severity != SeverityWarning:
		case p.Code == CodeTargetNotFound:
			notFound = append(notFound, p)
		case p.Code == CodeConflicted:
			conflicted = append(conflicted, p)
		}
	}
	var acc metav1.Condition
	switch errs := pr.problems.Errors(); {
	case len(errs) > 0:
		acc = cond(accepted, false, string(gwv1.PolicyReasonInvalid), "the policy is invalid and not applied: "+problemsMessage(src, errs), gen)
	case len(pr.wins) == 0 && len(conflicted) > 0:
		acc = cond(accepted, false, string(gwv1.PolicyReasonConflicted), problemsMessage(src, conflicted), gen)
	case len(pr.wins) == 0 && len(notFound) > 0:
		acc = cond(accepted, false, string(gwv1.PolicyReasonTargetNotFound), problemsMessage(src, notFound), gen)
	case len(pr.wins) == 0:
		acc = cond(accepted, false, string(gwv1.PolicyReasonTargetNotFound), "the policy attaches to nothing; name a Gateway, HTTPRoute or Backend in spec.targetRefs", gen)
	default:
		msg := "the policy is attached to " + strings.Join(pr.wins, ", ")
		if ignored := append(conflicted, notFound...); len(ignored) > 0 {
			msg += "; some targetRefs are ignored: " + problemsMessage(src, ignored)
		}
		acc = cond(accepted, true, string(gwv1.PolicyReasonAccepted), msg, gen)
	}
	over := cond(ConditionOverridden, false, ReasonNotOverridden, "the policy is not attached", gen)
	if acc.Status == metav1.ConditionTrue {
		over = cond(ConditionOverridden, false, ReasonNotOverridden, "the policy applies to at least one route, or no route it targets exists yet", gen)
		if by := t.st.overriddenBy[o]; by != "" && !t.st.used[o] {
			over = cond(ConditionOverridden, true, ReasonOverridden, fmt.Sprintf(
				"on every route it applies to, a more specific setting wins (for example %s), so this policy has no effect there; remove that setting, set mergeStrategy: Union on the more specific CORSPolicy to merge with this one, or target something else", by), gen)
		}
	}
	return []metav1.Condition{acc, over}
}

// combineConditions merges the conditions of the CORSPolicies converted
// from one foreign policy: a False Accepted wins; Overridden is True only
// when it is True for all.
func combineConditions(list [][]metav1.Condition) []metav1.Condition {
	out := list[0]
	for _, cs := range list[1:] {
		for _, c := range cs {
			cur := meta.FindStatusCondition(out, c.Type)
			switch {
			case cur == nil:
				out = append(out, c)
			case c.Type == string(gwv1.PolicyConditionAccepted) && c.Status == metav1.ConditionFalse && cur.Status == metav1.ConditionTrue,
				c.Type == ConditionOverridden && c.Status == metav1.ConditionFalse && cur.Status == metav1.ConditionTrue:
				*cur = c
			}
		}
	}
	return out
}
