package config

import (
	"github.com/corsgate/corsgate/api/foreign/agentgateway"
	"github.com/corsgate/corsgate/api/v1alpha1"
)

// agentgateway: an AgentgatewayPolicy's spec.traffic.cors becomes a
// CORSPolicy with the same targetRefs; maxAge may be whole seconds or a
// duration. Unlike agentgateway, which only adds its headers and lets a
// backend's own Access-Control-* headers through, corsgate is the one
// authority: the data plane removes the backend's CORS headers. Every
// other AgentgatewayPolicy field is refused by name.

func init() {
	registerConverter(agentgateway.GroupVersion, "AgentgatewayPolicy", convertAgentgatewayPolicy)
}

// newAgentgatewayPolicy is the decoder constructor (decode.go kinds).
func newAgentgatewayPolicy() any { return new(agentgateway.AgentgatewayPolicy) }

func convertAgentgatewayPolicy(o *Object, all *Resources) ([]*Object, Problems) {
	ap := o.Value.(*agentgateway.AgentgatewayPolicy)
	c := &conv{o: o, all: all}
	c.unsupported(ap.Spec, "spec", "agentgateway")
	if len(ap.Spec.TargetRefs) == 0 {
		c.errorf("spec.targetRefs", "the AgentgatewayPolicy has no targetRefs; name the Gateway or HTTPRoute it applies to (corsgate does not support targetSelectors)")
	}
	tr := ap.Spec.Traffic
	if tr != nil && tr.Phase != nil && *tr.Phase != agentgateway.PhasePostRouting {
		c.errorf("spec.traffic.phase", "phase %q cannot carry cors (agentgateway refuses it too); remove phase or set it to %s", *tr.Phase, agentgateway.PhasePostRouting)
	}
	if tr == nil || tr.Cors == nil {
		c.warnf("spec", "NoCORS", "the AgentgatewayPolicy has no traffic.cors, and corsgate reads nothing else from it, so it has no effect; add traffic.cors or remove the policy")
		return nil, c.probs
	}
	if c.failed() {
		return nil, c.probs
	}
	cors := tr.Cors
	spec := v1alpha1.CORSPolicySpec{
		AllowMethods: cors.AllowMethods, AllowHeaders: cors.AllowHeaders, ExposeHeaders: cors.ExposeHeaders,
		AllowCredentials: cors.AllowCredentials, MaxAge: cors.MaxAge,
	}
	for _, v := range cors.AllowOrigins {
		spec.AllowOrigins = append(spec.AllowOrigins, v1alpha1.OriginMatch{Value: v})
	}
	targets := make([]policyTarget, len(ap.Spec.TargetRefs))
	for i, r := range ap.Spec.TargetRefs {
		targets[i] = policyTarget(r)
	}
	obj := c.nativePolicy("spec.traffic.cors", targets, spec)
	if c.failed() {
		return nil, c.probs
	}
	return []*Object{obj}, c.probs
}
