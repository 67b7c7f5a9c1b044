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
type CORSPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CORSPolicySpec `json:"spec"`
}

// CORSPolicySpec is the Gateway API HTTPCORSFilter plus corsgate's
// extensions.
type CORSPolicySpec struct {
	// TargetRefs name what the policy applies to.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	TargetRefs []PolicyTargetReference `json:"targetRefs"`

	// AllowOrigins entries are either the Gateway API string forms
	// ("https://example.com", "https://*.example.com", "*") or a match
	// object {exact | prefix | regex}. A regex is RE2 and always matched
	// against the whole origin; a prefix is a literal prefix.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	AllowOrigins []OriginMatch `json:"allowOrigins,omitempty"`
	// +optional
	AllowMethods []string `json:"allowMethods,omitempty"`
	// +optional
	AllowHeaders []string `json:"allowHeaders,omitempty"`
	// +optional
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// +optional
	AllowCredentials *bool `json:"allowCredentials,omitempty"`
	// MaxAge is integer seconds or a duration string ("24h", "3600s",
	// "1m30s"), a whole number of seconds. 0 means the Gateway API default
	// of 5 seconds.
	// +optional
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
