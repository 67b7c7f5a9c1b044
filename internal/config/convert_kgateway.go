package config

import (
	"github.com/corsgate/corsgate/api/foreign/kgateway"
)

// kgateway: a TrafficPolicy's spec.cors (the Gateway API HTTPCORSFilter
// fields) becomes a CORSPolicy with the same targetRefs. kgateway ranks
// an HTTPRoute's own CORS filter above any TrafficPolicy, and so does
// corsgate. Every other TrafficPolicy field is refused by name.

func init() {
	registerConverter(kgateway.GroupVersion, "TrafficPolicy", convertTrafficPolicy)
}

// newKgatewayTrafficPolicy is the decoder constructor (decode.go kinds).
func newKgatewayTrafficPolicy() any { return new(kgateway.TrafficPolicy) }

func convertTrafficPolicy(o *Object, all *Resources) ([]*Object, Problems) {
	tp := o.Value.(*kgateway.TrafficPolicy)
	c := &conv{o: o, all: all}
	c.unsupported(tp.Spec, "spec", "kgateway")
	if len(tp.Spec.TargetRefs) == 0 {
		c.errorf("spec.targetRefs", "the TrafficPolicy has no targetRefs; name the Gateway or HTTPRoute it applies to (corsgate does not support targetSelectors)")
	}
	if tp.Spec.Cors == nil {
		c.warnf("spec", "NoCORS", "the TrafficPolicy has no cors field, and corsgate reads nothing else from it, so it has no effect; add cors or remove the policy")
		return nil, c.probs
	}
	if c.failed() {
		return nil, c.probs
	}
	targets := make([]policyTarget, len(tp.Spec.TargetRefs))
	for i, r := range tp.Spec.TargetRefs {
		targets[i] = policyTarget(r)
	}
	obj := c.nativePolicy("spec.cors", targets, gatewayCORSSpec(&tp.Spec.Cors.HTTPCORSFilter))
	if c.failed() {
		return nil, c.probs
	}
	return []*Object{obj}, c.probs
}
