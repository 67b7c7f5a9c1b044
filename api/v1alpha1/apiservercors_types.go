package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// APIServerCORS fronts a Kubernetes API server the way the reverse-proxy
// recipes do, with the CORS behaviour of kube-apiserver's
// --cors-allowed-origins flag: the same origin regexes, the API server's
// default methods, headers and exposed headers, and credentials. It is a
// shorthand that corsgate converts into a Gateway, an HTTPRoute (PathPrefix
// /), a Backend and a CORSPolicy; `corsgate convert` prints them.
//
// Unlike the API server, corsgate matches every regex against the whole
// origin. For each pattern that the API server would have matched
// somewhere inside a longer origin, corsgate prints a warning naming one
// such origin that the API server lets in and corsgate does not.
type APIServerCORS struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec APIServerCORSSpec `json:"spec"`
}

// APIServerCORSSpec is the flag value, the upstream and the listener.
type APIServerCORSSpec struct {
	// AllowedOrigins is the --cors-allowed-origins list: RE2 regular
	// expressions, one per entry (not comma-separated). The documented
	// idioms keep their meaning: a leading "//" stands for any scheme
	// ("https?://") and a trailing "(:|$)" for an optional port.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	AllowedOrigins []string `json:"allowedOrigins"`

	// Upstream is the API server.
	Upstream APIServerUpstream `json:"upstream"`

	// Listener is where corsgate accepts requests.
	Listener APIServerListener `json:"listener"`
}

// APIServerUpstream is the API server's URL and how to trust it.
type APIServerUpstream struct {
	// URL is http:// or https:// host[:port], with no path, e.g.
	// "https://10.0.0.1:6443". The default port is 443 for https, 80 for
	// http.
	URL string `json:"url"`
	// TLS configures HTTPS to the API server, as Backend.spec.tls does:
	// caCertificateRefs name a ConfigMap or Secret whose "ca.crt" holds
	// the cluster CA.
	// +optional
	TLS *BackendTLS `json:"tls,omitempty"`
}

// APIServerListener is the port corsgate listens on.
type APIServerListener struct {
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// Protocol is HTTP (default) or HTTPS.
	// +optional
	// +kubebuilder:validation:Enum=HTTP;HTTPS
	Protocol string `json:"protocol,omitempty"`
	// Hostname, when set, restricts the listener to that Host/SNI name.
	// +optional
	Hostname string `json:"hostname,omitempty"`
	// TLSSecretName names a kubernetes.io/tls Secret in the same
	// namespace; required for HTTPS.
	// +optional
	TLSSecretName string `json:"tlsSecretName,omitempty"`
}
