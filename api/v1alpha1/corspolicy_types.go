package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// CORSPolicy is a reusable CORS policy attached by targetRefs to a Gateway
// (or one of its listeners), an HTTPRoute (or one of its rules), or a
// corsgate Backend (every rule that routes to it). An HTTPRoute's own CORS
// filter always wins over an attached policy.
//
// Precedence, most specific first: backendRefs[].filters CORS, the rule's
// filters CORS, a CORSPolicy on the Backend, on the route rule, on the
// HTTPRoute, on the Gateway listener, on the Gateway. Policies on a Gateway
// or listener also answer requests that match no route. Two policies on
// the same target at the same level: the older (creationTimestamp, then
// namespace/name) wins; the other is reported as Conflicted.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=corsgate,shortName=corspol
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.targetRefs[0].name`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CORSPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CORSPolicySpec `json:"spec"`
	// Status is written by the controller; files may leave it out.
	// +optional
	Status CORSPolicyStatus `json:"status,omitempty,omitzero"`
}

// CORSPolicyStatus says whether the controller accepted the policy.
type CORSPolicyStatus struct {
	// Conditions: Accepted (True when the policy compiled and attached;
	// False with the reason and a message naming the field to fix).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// CORSPolicyList is a list of CORSPolicy objects.
//
// +kubebuilder:object:root=true
type CORSPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CORSPolicy `json:"items"`
}

// The CEL rules on CORSPolicySpec mirror what internal/policy and
// internal/config refuse, so that the API server turns away what the
// controller would only report in status. allowOrigins is invisible to CEL
// (each entry is a string or an object, which CEL cannot type); the rule
// that refuses "*" with allowCredentials is a schema rule added by
// api/v1alpha1/internal/crdpatch.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.allowCredentials) && self.allowCredentials && has(self.exposeHeaders) && self.exposeHeaders.exists(h, h == '*'))",message="exposeHeaders \"*\" is not a wildcard when allowCredentials is true (browsers read it as a header named \"*\"); list the header names to expose instead."

// CORSPolicySpec is the Gateway API HTTPCORSFilter plus corsgate's
// extensions.
type CORSPolicySpec struct {
	// TargetRefs name what the policy applies to: Gateways or HTTPRoutes
	// (group gateway.networking.k8s.io, optionally one listener or rule by
	// sectionName) and Backends (group corsgate.dev), in the policy's
	// namespace.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.size() >= 1",message="targetRefs must name at least one Gateway, HTTPRoute or Backend, e.g. {group: gateway.networking.k8s.io, kind: Gateway, name: my-gateway}."
	TargetRefs []PolicyTargetReference `json:"targetRefs"`

	// AllowOrigins entries are either the Gateway API string forms
	// ("https://example.com", "https://*.example.com", "*") or a match
	// object {exact | prefix | regex}. A regex is RE2 and always matched
	// against the whole origin; a prefix is a literal prefix.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	AllowOrigins []OriginMatch `json:"allowOrigins,omitempty"`
	// AllowMethods lists the methods for Access-Control-Allow-Methods,
	// case-sensitive tokens ("GET", "PROPFIND"). "*" alone echoes the
	// requested method; it cannot be mixed with other entries.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(m, m.matches(\"^[-!#$%&'*+.^_`|~0-9A-Za-z]+$\"))",message="each allowMethods entry must be one method name made of letters, digits and !#$%&'*+-.^_`|~; write several methods as separate entries."
	// +kubebuilder:validation:XValidation:rule="self.all(m, m == '*') || !self.exists(m, m == '*')",message="\"*\" cannot be combined with other allowMethods entries; keep \"*\" alone to allow every method, or remove it and list the methods."
	AllowMethods []string `json:"allowMethods,omitempty"`
	// AllowHeaders lists the request header names a preflight may ask
	// for (case-insensitive). "*" alone echoes the requested headers; it
	// cannot be mixed with other entries.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(h, h.matches(\"^[-!#$%&'*+.^_`|~0-9A-Za-z]+$\"))",message="each allowHeaders entry must be one header name made of letters, digits and !#$%&'*+-.^_`|~; write several names as separate entries."
	// +kubebuilder:validation:XValidation:rule="self.all(h, h == '*') || !self.exists(h, h == '*')",message="\"*\" cannot be combined with other allowHeaders entries; keep \"*\" alone to allow every requested header, or remove it and list the names."
	AllowHeaders []string `json:"allowHeaders,omitempty"`
	// ExposeHeaders lists the response header names scripts may read.
	// "*" is a wildcard only without credentials; Set-Cookie is never
	// exposed by browsers and is refused.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(h, h.matches(\"^[-!#$%&'*+.^_`|~0-9A-Za-z]+$\"))",message="each exposeHeaders entry must be one header name made of letters, digits and !#$%&'*+-.^_`|~; write several names as separate entries."
	// +kubebuilder:validation:XValidation:rule="!self.exists(h, h.lowerAscii() == 'set-cookie' || h.lowerAscii() == 'set-cookie2')",message="browsers never expose Set-Cookie to scripts (it is a forbidden response header name); remove it from exposeHeaders."
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// AllowCredentials sends Access-Control-Allow-Credentials: true.
	// +optional
	AllowCredentials *bool `json:"allowCredentials,omitempty"`
	// MaxAge is integer seconds or a duration string ("24h", "3600s",
	// "1m30s"), a whole number of seconds. 0 means the Gateway API default
	// of 5 seconds.
	// +optional
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? (self >= 0 && self <= 2147483647) : (self.matches(r'^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\\x{b5}s|\\x{3bc}s|ms|s|m|h))+)$') && int(duration(self)) >= 0 && int(duration(self)) % 1000000000 == 0 && int(duration(self)) <= 2147483647000000000)",message="maxAge must be a whole number of seconds from 0 to 2147483647, written as seconds (600) or a duration such as \"10m\"; browsers cap it at 2h (Chromium) or 24h (Firefox)."
	MaxAge *Duration `json:"maxAge,omitempty"`
	// AllowPrivateNetwork answers Access-Control-Request-Private-Network:
	// true with Access-Control-Allow-Private-Network: true. In a Union
	// merge, false counts as unset.
	// +optional
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
	// MergeStrategy is Override (default: the most specific policy wins as
	// a whole) or Union: this policy is merged with the next less specific
	// policy that applies (and on down while those are Union too): list
	// fields unioned, de-duplicated, least specific first, a "*" list
	// absorbing the others; scalars from the most specific policy that sets
	// them. A route's own CORS filter never merges: it overrides.
	// +optional
	// +kubebuilder:validation:Enum=Override;Union
	MergeStrategy MergeStrategy `json:"mergeStrategy,omitempty"`
	// UnmatchedPreflights is Deny (default: answered locally with 403) or
	// Forward (preflights from origins the policy does not allow are passed
	// to the backend, as Istio's unmatchedPreflights FORWARD does).
	// +optional
	// +kubebuilder:validation:Enum=Deny;Forward
	UnmatchedPreflights UnmatchedPreflights `json:"unmatchedPreflights,omitempty"`
	// DangerouslyAllowAnyOriginWithCredentials must be true for
	// allowOrigins ["*"] (or any pattern admitting arbitrary hosts) with
	// allowCredentials true: that combination lets every web site read
	// responses with the user's cookies.
	// +optional
	DangerouslyAllowAnyOriginWithCredentials bool `json:"dangerouslyAllowAnyOriginWithCredentials,omitempty"`
}

// PolicyTargetReference names a Gateway, HTTPRoute or Backend in the
// policy's namespace, optionally one section of it (a listener name or a
// route rule name).
//
// +kubebuilder:validation:XValidation:rule="(self.group == 'gateway.networking.k8s.io' && (self.kind == 'Gateway' || self.kind == 'HTTPRoute')) || (self.group == 'corsgate.dev' && self.kind == 'Backend')",message="a targetRef must name a Gateway or HTTPRoute (group gateway.networking.k8s.io) or a Backend (group corsgate.dev)."
// +kubebuilder:validation:XValidation:rule="!(self.kind == 'Backend' && has(self.sectionName))",message="a Backend has no sections; remove sectionName from this targetRef."
type PolicyTargetReference struct {
	Group gwv1.Group      `json:"group"`
	Kind  gwv1.Kind       `json:"kind"`
	Name  gwv1.ObjectName `json:"name"`
	// +optional
	SectionName *gwv1.SectionName `json:"sectionName,omitempty"`
}

// MergeStrategy says how a policy combines with less specific ones.
type MergeStrategy string

const (
	MergeOverride MergeStrategy = "Override"
	MergeUnion    MergeStrategy = "Union"
)

// UnmatchedPreflights says what happens to a preflight from an origin the
// policy does not allow.
type UnmatchedPreflights string

const (
	UnmatchedPreflightsDeny    UnmatchedPreflights = "Deny"
	UnmatchedPreflightsForward UnmatchedPreflights = "Forward"
)

// OriginMatch is one allowed-origin entry: a plain string in the Gateway
// API forms, or exactly one of Exact, Prefix, Regex.
//
// Its CRD schema is a string or an object, which no marker can express:
// the Type marker is a placeholder that api/v1alpha1/internal/crdpatch
// (run by hack/gen-crds.sh) replaces.
//
// +kubebuilder:validation:Type=corsgate-origin-match
type OriginMatch struct {
	// Value is the Gateway API string form, set when the entry is a plain
	// YAML string.
	Value  string `json:"-"`
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// UnmarshalJSON accepts a string or a {exact|prefix|regex} object.
func (m *OriginMatch) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*m = OriginMatch{}
		return json.Unmarshal(b, &m.Value)
	}
	type plain OriginMatch
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("origin entry must be a string or an object with one of exact, prefix, regex: %w", err)
	}
	*m = OriginMatch(p)
	return nil
}

// MarshalJSON writes the string form back as a string.
func (m OriginMatch) MarshalJSON() ([]byte, error) {
	if m.Value != "" {
		return json.Marshal(m.Value)
	}
	type plain OriginMatch
	return json.Marshal(plain(m))
}

// Duration is integer seconds or a Go/Kubernetes duration string.
//
// Its CRD schema is x-kubernetes-int-or-string: the Type marker is a
// placeholder that api/v1alpha1/internal/crdpatch (run by
// hack/gen-crds.sh) replaces. Fields add their own range rules.
//
// +kubebuilder:validation:Type=corsgate-int-or-duration
type Duration struct {
	time.Duration
}

// UnmarshalJSON accepts 600 or "10m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("maxAge %s: write whole seconds (600) or a duration (\"10m\")", b)
		}
		d.Duration = time.Duration(n) * time.Second
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("maxAge %q is not a duration; write e.g. \"24h\", \"3600s\" or \"1m30s\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes whole seconds as a number, anything else as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	if d.Duration%time.Second == 0 {
		return []byte(strconv.FormatInt(int64(d.Duration/time.Second), 10)), nil
	}
	return json.Marshal(d.Duration.String())
}
