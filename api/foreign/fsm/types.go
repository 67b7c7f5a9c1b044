// Package fsm holds the subset of Flomesh Service Mesh (FSM, pipy
// sidecars) plugin.flomesh.io/v1alpha1 objects that corsgate reads: the
// PluginConfig of the built-in cors-policy plugin, and the Plugin and
// PluginChain objects it is checked against. Decoding is strict: an
// unknown field is an error. Fields that are valid in FSM but that
// corsgate does not implement carry the struct tag `corsgate:"unsupported"`
// so the converter reports them by name.
package fsm

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GroupVersion is the apiVersion of FSM's plugin kinds.
const GroupVersion = "plugin.flomesh.io/v1alpha1"

// CORSPluginName is the name of FSM's built-in CORS plugin, the only
// plugin corsgate implements.
const CORSPluginName = "cors-policy"

// Plugin declares a pipy plugin script (cluster-scoped). corsgate does not
// run pipy scripts: it accepts the cors-policy Plugin, whose behaviour it
// implements natively, and refuses any other.
type Plugin struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PluginSpec `json:"spec"`
	Status any        `json:"status,omitempty"`
}

// PluginSpec is the plugin's priority and script.
type PluginSpec struct {
	Priority   float64 `json:"priority,omitempty"`
	PipyScript string  `json:"pipyscript,omitempty"`
}

// PluginChain lists which plugins run in which chain for the selected pods.
type PluginChain struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PluginChainSpec `json:"spec"`
	Status any             `json:"status,omitempty"`
}

// PluginChainSpec is the chains and the pods they apply to.
type PluginChainSpec struct {
	Chains []Chain `json:"chains"`
	// Selectors pick the sidecars a chain runs in. In corsgate a policy
	// applies to the destinations named by the PluginConfig, so the
	// selectors are accepted and have no further effect.
	Selectors *Selectors `json:"selectors,omitempty"`
}

// Chain is one named chain ("inbound-http", ...) and its plugins.
type Chain struct {
	Name    string   `json:"name"`
	Plugins []string `json:"plugins"`
}

// Selectors are the pod and namespace selectors of a chain.
type Selectors struct {
	PodSelector       *metav1.LabelSelector `json:"podSelector,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// PluginConfig configures one plugin for traffic to its destinations.
type PluginConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PluginConfigSpec `json:"spec"`
	Status any              `json:"status,omitempty"`
}

// PluginConfigSpec names the plugin, its configuration and destinations.
type PluginConfigSpec struct {
	Plugin string `json:"plugin"`
	// Config is plugin-specific; for cors-policy it is a CORSConfig, which
	// the converter decodes strictly.
	Config          json.RawMessage  `json:"config,omitempty"`
	DestinationRefs []DestinationRef `json:"destinationRefs,omitempty"`
}

// DestinationRef names a Service (in corsgate: the Backend of the same
// name) or a corsgate Backend.
type DestinationRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// CORSConfig is the configuration of the cors-policy plugin.
type CORSConfig struct {
	AllowOrigins     []OriginMatch `json:"allowOrigins,omitempty"`
	AllowCredentials *bool         `json:"allowCredentials,omitempty"`
	AllowMethods     []string      `json:"allowMethods,omitempty"`
	AllowHeaders     []string      `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string      `json:"exposeHeaders,omitempty"`
	// MaxAge is a duration string: "24h", "1m30s".
	MaxAge string `json:"maxAge,omitempty"`
}

// OriginMatch is exactly one of Exact, Prefix (a literal prefix) or Regex
// (in pipy a JavaScript RegExp tested anywhere in the origin).
type OriginMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}
