package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Backend is a set of upstream endpoints a route's backendRefs can name with
// group corsgate.dev, kind Backend. In standalone mode it replaces the
// Kubernetes Service.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=corsgate
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Backend struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BackendSpec `json:"spec"`
	// Status is written by the controller; files may leave it out.
	// +optional
	Status BackendStatus `json:"status,omitempty,omitzero"`
}

// BackendStatus says whether the controller accepted the Backend.
type BackendStatus struct {
	// Conditions: Accepted (True when every endpoint and CA reference is
	// valid; False with the reason and a message naming the field to fix).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BackendList is a list of Backend objects.
//
// +kubebuilder:object:root=true
type BackendList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Backend `json:"items"`
}

// BackendSpec lists endpoints and how to talk to them.
type BackendSpec struct {
	// Endpoints receive requests round-robin. At least one is required.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Endpoints []BackendEndpoint `json:"endpoints"`

	// TLS, when set, makes corsgate speak HTTPS to every endpoint.
	// +optional
	TLS *BackendTLS `json:"tls,omitempty"`
}

// BackendEndpoint is exactly one of IP, FQDN or Unix.
//
// +kubebuilder:validation:XValidation:rule="[has(self.ip), has(self.fqdn), has(self.unix)].filter(x, x).size() == 1",message="each endpoint must set exactly one of ip, fqdn or unix; write one endpoint per address."
type BackendEndpoint struct {
	// +optional
	IP *IPEndpoint `json:"ip,omitempty"`
	// +optional
	FQDN *FQDNEndpoint `json:"fqdn,omitempty"`
	// +optional
	Unix *UnixEndpoint `json:"unix,omitempty"`
}

// IPEndpoint is an IPv4 or IPv6 address and a port.
type IPEndpoint struct {
	// Address is an IPv4 or IPv6 address without brackets, e.g.
	// "127.0.0.1" or "::1".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=45
	Address string `json:"address"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// FQDNEndpoint is a DNS name resolved at connection time, and a port.
type FQDNEndpoint struct {
	// Hostname is a lower-case DNS name without wildcard, e.g.
	// "api.internal".
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?([.][a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$') && !isIP(self)",message="hostname must be a lower-case DNS name such as \"api.internal\" (labels of letters, digits and '-', separated by dots); use an ip endpoint for addresses."
	Hostname string `json:"hostname"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// UnixEndpoint is a Unix domain socket path.
type UnixEndpoint struct {
	// Path is the absolute path of the socket, e.g. "/run/app.sock".
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="path must be an absolute socket path such as \"/run/app.sock\"."
	Path string `json:"path"`
}

// BackendTLS configures HTTPS to the upstream.
type BackendTLS struct {
	// InsecureSkipVerify turns off certificate verification. For tests only.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
	// CACertificateRefs name ConfigMaps or Secrets (same namespace) whose
	// "ca.crt" key holds PEM CA certificates to trust. Without them the
	// system roots are used.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	CACertificateRefs []LocalObjectReference `json:"caCertificateRefs,omitempty"`
	// SNI overrides the TLS server name (default: the endpoint hostname or
	// address).
	// +optional
	SNI string `json:"sni,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
//
// +kubebuilder:validation:XValidation:rule="!has(self.group) || self.group.size() == 0",message="group must be empty (core): CA certificates come from a ConfigMap or Secret."
type LocalObjectReference struct {
	// Group is "" (core) for ConfigMap and Secret.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind is ConfigMap or Secret.
	// +kubebuilder:validation:Enum=ConfigMap;Secret
	Kind string `json:"kind"`
	// Name of the ConfigMap or Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}
