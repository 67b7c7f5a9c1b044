// Package agentgateway holds the subset of agentgateway's
// AgentgatewayPolicy (agentgateway.dev/v1alpha1) that corsgate reads:
// spec.targetRefs and spec.traffic.cors. The types are decoded strictly:
// an unknown field is an error. The other fields (frontend, backend, auth,
// rate limits, ...) are valid in agentgateway but not implemented by
// corsgate; they are declared with the struct tag `corsgate:"unsupported"`
// so that the converter names them instead of ignoring them.
//
// Source: kgateway-dev/kgateway api/v1alpha1/agentgateway/agentgateway_policy_types.go
// and agentgateway/agentgateway crates/agentgateway/src/http/cors.rs.
package agentgateway

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// GroupVersion is the apiVersion of AgentgatewayPolicy.
const GroupVersion = "agentgateway.dev/v1alpha1"

// PhasePostRouting is the only traffic phase CORS may use (agentgateway
// refuses cors with phase PreRouting).
const PhasePostRouting = "PostRouting"

// AgentgatewayPolicy attaches settings to Gateways, listeners, HTTPRoutes
// and route rules. corsgate converts spec.traffic.cors into a
// corsgate.dev CORSPolicy with the same targetRefs.
type AgentgatewayPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AgentgatewayPolicySpec `json:"spec"`
	// Status is written by the controller; corsgate ignores it.
	Status any `json:"status,omitempty"`
}

// AgentgatewayPolicySpec is the part of the spec corsgate reads.
type AgentgatewayPolicySpec struct {
	// TargetRefs name Gateways (sectionName: a listener) or HTTPRoutes
	// (sectionName: a rule) in the policy's namespace.
	TargetRefs []LocalPolicyTargetReferenceWithSectionName `json:"targetRefs,omitempty"`
	// Traffic holds the CORS settings.
	Traffic *Traffic `json:"traffic,omitempty"`

	TargetSelectors any `json:"targetSelectors,omitempty" corsgate:"unsupported"`
	Frontend        any `json:"frontend,omitempty" corsgate:"unsupported"`
	Backend         any `json:"backend,omitempty" corsgate:"unsupported"`
}

// Traffic is the part of spec.traffic corsgate reads.
type Traffic struct {
	// Phase must be unset or PostRouting.
	Phase *string `json:"phase,omitempty"`
	// Cors is the CORS policy.
	Cors *CORS `json:"cors,omitempty"`

	Transformation       any `json:"transformation,omitempty" corsgate:"unsupported"`
	ExtProc              any `json:"extProc,omitempty" corsgate:"unsupported"`
	ExtAuth              any `json:"extAuth,omitempty" corsgate:"unsupported"`
	RateLimit            any `json:"rateLimit,omitempty" corsgate:"unsupported"`
	Csrf                 any `json:"csrf,omitempty" corsgate:"unsupported"`
	HeaderModifiers      any `json:"headerModifiers,omitempty" corsgate:"unsupported"`
	HostRewrite          any `json:"hostRewrite,omitempty" corsgate:"unsupported"`
	Timeouts             any `json:"timeouts,omitempty" corsgate:"unsupported"`
	Retry                any `json:"retry,omitempty" corsgate:"unsupported"`
	Authorization        any `json:"authorization,omitempty" corsgate:"unsupported"`
	JWTAuthentication    any `json:"jwtAuthentication,omitempty" corsgate:"unsupported"`
	BasicAuthentication  any `json:"basicAuthentication,omitempty" corsgate:"unsupported"`
	APIKeyAuthentication any `json:"apiKeyAuthentication,omitempty" corsgate:"unsupported"`
	DirectResponse       any `json:"directResponse,omitempty" corsgate:"unsupported"`
}

// CORS is agentgateway's CORS policy: the Gateway API HTTPCORSFilter
// fields, except that maxAge may also be a duration ("24h"), as in
// agentgateway's standalone configuration.
type CORS struct {
	AllowOrigins     []string           `json:"allowOrigins,omitempty"`
	AllowMethods     []string           `json:"allowMethods,omitempty"`
	AllowHeaders     []string           `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string           `json:"exposeHeaders,omitempty"`
	AllowCredentials *bool              `json:"allowCredentials,omitempty"`
	MaxAge           *v1alpha1.Duration `json:"maxAge,omitempty"`
}

// LocalPolicyTargetReferenceWithSectionName names an object in the
// policy's namespace, optionally one section of it.
type LocalPolicyTargetReferenceWithSectionName struct {
	Group       gwv1.Group        `json:"group"`
	Kind        gwv1.Kind         `json:"kind"`
	Name        gwv1.ObjectName   `json:"name"`
	SectionName *gwv1.SectionName `json:"sectionName,omitempty"`
}
