package config

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Status. While it translates, the translator records what it found about
// each Gateway, HTTPRoute and CORS policy; TranslateStatus turns that into
// Gateway API conditions. Problems carry, in Problem.Code, the Gateway API
// reason they map to (for example "BackendNotFound"), so status messages
// are exactly the problem messages: what is wrong and how to fix it.

// ObjectKey names an object as the user wrote it: its API group ("" for
// core), kind, namespace and name.
type ObjectKey struct {
	Group, Kind, Namespace, Name string
}

// Report is the status of one translation.
type Report struct {
	// Gateways are the Gateways of the served classes.
	Gateways []GatewayStatus
	// Routes are the HTTPRoutes naming at least one Gateway of a served
	// class; each has one entry per such parentRef.
	Routes []RouteStatus
	// Policies are the CORSPolicies and the foreign policies converted
	// into CORSPolicies, keyed by the object the user wrote.
	Policies []PolicyStatus
}

// GatewayStatus is the status of one Gateway.
type GatewayStatus struct {
	Key        ObjectKey
	Generation int64
	Conditions []metav1.Condition
	Listeners  []gwv1.ListenerStatus
}

// RouteStatus is the status of one HTTPRoute: one entry per parentRef
// naming a Gateway of a served class, with ControllerName set.
type RouteStatus struct {
	Key        ObjectKey
	Generation int64
	Parents    []gwv1.RouteParentStatus
}

// PolicyStatus is the status of one CORS policy.
type PolicyStatus struct {
	Key        ObjectKey
	Generation int64
	Conditions []metav1.Condition
}

// Condition types and reasons corsgate adds to the Gateway API ones.
const (
	// ConditionReflectsAnyOriginWithCredentials is set (True) on an
	// HTTPRoute parent whose effective CORS policy lets every origin read
	// responses with credentials. The Gateway API requires accepting such
	// a CORS filter, so the route stays Accepted; the condition makes the
	// risk visible.
	ConditionReflectsAnyOriginWithCredentials = "corsgate.dev/ReflectsAnyOriginWithCredentials"
	ReasonReflectsAnyOriginWithCredentials    = "ReflectsAnyOriginWithCredentials"
	// ConditionOverridden is set on a CORS policy: True when, on every
	// route it applies to, a more specific policy or route filter wins.
	ConditionOverridden = "Overridden"
	ReasonOverridden    = "Overridden"
	ReasonNotOverridden = "NotOverridden"
)

// statusState is what the translator records for the report.
type statusState struct {
	gateways map[*Object]*gatewayReport
	routes   map[*Object]*routeReport
	policies map[*Object]*policyReport
	// tracking is set while routes are attached, so that effective()
	// records which policies win (used) and which are overridden.
	tracking     bool
	used         map[*Object]bool
	overriddenBy map[*Object]string
}

func newStatusState() *statusState {
	return &statusState{
		gateways: map[*Object]*gatewayReport{},
		routes:   map[*Object]*routeReport{},
		policies: map[*Object]*policyReport{},
		used:     map[*Object]bool{}, overriddenBy: map[*Object]string{},
	}
}

// trackUse records, for the status of CORS policies, which layers of an
// effective policy were used and which were overridden (and by what).
func (s *statusState) trackUse(used, over []leveled) {
	if s == nil || !s.tracking {
		return
	}
	for _, x := range used {
		if x.l.policy {
			s.used[x.l.obj] = true
		}
	}
	for _, x := range over {
		if x.l.policy && s.overriddenBy[x.l.obj] == "" {
			s.overriddenBy[x.l.obj] = used[0].entry()
		}
	}
}

// cond builds a condition.
func cond(typ string, ok bool, reason, msg string, gen int64) metav1.Condition {
	st := metav1.ConditionFalse
	if ok {
		st = metav1.ConditionTrue
	}
	return metav1.Condition{Type: typ, Status: st, Reason: reason, Message: truncate(msg), ObservedGeneration: gen}
}

// maxMessage is the API server's limit on condition messages.
const maxMessage = 32768

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage-3] + "..."
}

// problemsMessage renders problems for a condition: the first ones in
// full, "field: message" for problems about o itself.
func problemsMessage(o *Object, ps Problems) string {
	const shown = 3
	var parts []string
	for i, p := range ps {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more problems (see the controller log or run corsgate lint)", len(ps)-shown))
			break
		}
		parts = append(parts, problemText(o, p))
	}
	return strings.Join(parts, "; also ")
}

func problemText(o *Object, p Problem) string {
	msg := p.Message
	if p.Field != "" {
		msg = p.Field + ": " + msg
	}
	if o != nil && p.Kind == o.Kind && p.Namespace == o.Namespace && p.Name == o.Name {
		return msg
	}
	return fmt.Sprintf("%s %s: %s", p.Kind, key(p.Namespace, p.Name), msg)
}

// errorsWithCode returns the error-severity problems whose code is in
// codes.
func errorsWithCode(ps Problems, codes map[string]bool) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == SeverityError && codes[p.Code] {
			out = append(out, p)
		}
	}
	return out
}

// generation reads metadata.generation of an object's value.
func generation(o *Object) int64 {
	if g, ok := o.Value.(interface{ GetGeneration() int64 }); ok {
		return g.GetGeneration()
	}
	return 0
}

// objectKey names o as the user wrote it.
func objectKey(o *Object) ObjectKey {
	return ObjectKey{Group: apiGroup(o.APIVersion), Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// report assembles the status of every object recorded.
func (t *translator) report(conv *tracked) *Report {
	r := &Report{}
	for _, o := range t.gateways {
		if gr := t.st.gateways[o]; gr != nil && t.origin[o] == nil {
			r.Gateways = append(r.Gateways, t.gatewayStatus(o, gr))
		}
	}
	for _, o := range t.routes {
		if rr := t.st.routes[o]; rr != nil && len(rr.parents) > 0 && t.origin[o] == nil {
			r.Routes = append(r.Routes, t.routeStatus(o, rr))
		}
	}
	r.Policies = t.policyStatuses(conv)
	return r
}
