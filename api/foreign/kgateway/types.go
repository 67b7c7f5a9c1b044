// Package kgateway holds the subset of kgateway's TrafficPolicy
// (gateway.kgateway.dev/v1alpha1) that corsgate reads: spec.targetRefs and
// spec.cors, whose fields are the Gateway API HTTPCORSFilter's. The types
// are decoded strictly: an unknown field is an error. The other
// TrafficPolicy fields (rate limits, auth, transformations, ...) are valid
// in kgateway but not implemented by corsgate; they are declared with the
// struct tag `corsgate:"unsupported"` so that the converter names them
// instead of ignoring them.
//
// Source: kgateway-dev/kgateway api/v1alpha1/kgateway/traffic_policy_types.go.
package kgateway

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GroupVersion is the apiVersion of TrafficPolicy.
const GroupVersion = "gateway.kgateway.dev/v1alpha1"

// TrafficPolicy attaches traffic settings to Gateways, listeners,
// HTTPRoutes and route rules. corsgate converts its cors field into a
// corsgate.dev CORSPolicy with the same targetRefs.
type TrafficPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec TrafficPolicySpec `json:"spec"`
	// Status is written by kgateway; corsgate ignores it.
	Status any `json:"status,omitempty"`
}

// TrafficPolicySpec is the part of the spec corsgate reads.
type TrafficPolicySpec struct {
	// TargetRefs name Gateways (sectionName: a listener) or HTTPRoutes
	// (sectionName: a rule) in the policy's namespace.
	TargetRefs []LocalPolicyTargetReferenceWithSectionName `json:"targetRefs,omitempty"`
	// Cors is the CORS policy: the Gateway API HTTPCORSFilter fields.
	Cors *CorsPolicy `json:"cors,omitempty"`

	TargetSelectors  any `json:"targetSelectors,omitempty" corsgate:"unsupported"`
	Transformation   any `json:"transformation,omitempty" corsgate:"unsupported"`
	ExtProc          any `json:"extProc,omitempty" corsgate:"unsupported"`
	ExtAuth          any `json:"extAuth,omitempty" corsgate:"unsupported"`
	RateLimit        any `json:"rateLimit,omitempty" corsgate:"unsupported"`
	Csrf             any `json:"csrf,omitempty" corsgate:"unsupported"`
	HeaderModifiers  any `json:"headerModifiers,omitempty" corsgate:"unsupported"`
	AutoHostRewrite  any `json:"autoHostRewrite,omitempty" corsgate:"unsupported"`
	Buffer           any `json:"buffer,omitempty" corsgate:"unsupported"`
	Timeouts         any `json:"timeouts,omitempty" corsgate:"unsupported"`
	Retry            any `json:"retry,omitempty" corsgate:"unsupported"`
	InternalRedirect any `json:"internalRedirect,omitempty" corsgate:"unsupported"`
	RBAC             any `json:"rbac,omitempty" corsgate:"unsupported"`
	JWTAuth          any `json:"jwtAuth,omitempty" corsgate:"unsupported"`
	UrlRewrite       any `json:"urlRewrite,omitempty" corsgate:"unsupported"`
	Compression      any `json:"compression,omitempty" corsgate:"unsupported"`
	BasicAuth        any `json:"basicAuth,omitempty" corsgate:"unsupported"`
	APIKeyAuth       any `json:"apiKeyAuth,omitempty" corsgate:"unsupported"`
	OAuth2           any `json:"oauth2,omitempty" corsgate:"unsupported"`
	Tracing          any `json:"tracing,omitempty" corsgate:"unsupported"`
	FaultInjection   any `json:"faultInjection,omitempty" corsgate:"unsupported"`
	ACL              any `json:"acl,omitempty" corsgate:"unsupported"`
	StatPrefix       any `json:"statPrefix,omitempty" corsgate:"unsupported"`
	Ai               any `json:"ai,omitempty" corsgate:"unsupported"`
}

// CorsPolicy inlines the Gateway API HTTPCORSFilter.
type CorsPolicy struct {
	gwv1.HTTPCORSFilter `json:",inline"`
	// Disable turns off CORS policies of a higher level. corsgate has no
	// such switch: remove the less specific policy or override it.
	Disable any `json:"disable,omitempty" corsgate:"unsupported"`
}

// LocalPolicyTargetReferenceWithSectionName names an object in the
// policy's namespace, optionally one section of it.
type LocalPolicyTargetReferenceWithSectionName struct {
	Group       gwv1.Group        `json:"group"`
	Kind        gwv1.Kind         `json:"kind"`
	Name        gwv1.ObjectName   `json:"name"`
	SectionName *gwv1.SectionName `json:"sectionName,omitempty"`
}
