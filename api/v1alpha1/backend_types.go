package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Backend is a set of upstream endpoints a route's backendRefs can name with
// group corsgate.dev, kind Backend. In standalone mode it replaces the
// Kubernetes Service.
type Backend struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BackendSpec `json:"spec"`
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
// +kubebuilder:validation:XValidation:rule="[has(self.ip), has(self.fqdn), has(self.unix)].filter(x, x).size() == 1",message="set exactly one of ip, fqdn or unix."
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
	Address string `json:"address"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// FQDNEndpoint is a DNS name resolved at connection time, and a port.
type FQDNEndpoint struct {
	Hostname string `json:"hostname"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// UnixEndpoint is a Unix domain socket path.
type UnixEndpoint struct {
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
	CACertificateRefs []LocalObjectReference `json:"caCertificateRefs,omitempty"`
	// SNI overrides the TLS server name (default: the endpoint hostname or
	// address).
	// +optional
	SNI string `json:"sni,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Group is "" (core) for ConfigMap and Secret.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind is ConfigMap or Secret.
	Kind string `json:"kind"`
	Name string `json:"name"`
}
