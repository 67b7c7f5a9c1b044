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
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=corsgate
// +kubebuilder:printcolumn:name="Upstream",type=string,JSONPath=`.spec.upstream.url`
// +kubebuilder:printcolumn:name="Port",type=integer,JSONPath=`.spec.listener.port`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type APIServerCORS struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec APIServerCORSSpec `json:"spec"`
}

// APIServerCORSList is a list of APIServerCORS objects.
//
// +kubebuilder:object:root=true
type APIServerCORSList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []APIServerCORS `json:"items"`
}

// APIServerCORSSpec is the flag value, the upstream and the listener.
type APIServerCORSSpec struct {
	// AllowedOrigins is the --cors-allowed-origins list: RE2 regular
	// expressions, one per entry (not comma-separated). The documented
	// idioms keep their meaning: a leading "//" stands for any scheme
	// ("https?://") and a trailing "(:|$)" for an optional port.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.all(p, p.size() > 0)",message="an empty allowedOrigins pattern would match every origin; remove it, or write the origin as a regex such as ^https://dashboard\\.example\\.com$ instead."
	AllowedOrigins []string `json:"allowedOrigins"`

	// Upstream is the API server.
	Upstream APIServerUpstream `json:"upstream"`

	// Listener is where corsgate accepts requests.
	Listener APIServerListener `json:"listener"`
}

// APIServerUpstream is the API server's URL and how to trust it.
//
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || self.url.lowerAscii().startsWith('https://')",message="tls is set but the url is http://; use an https:// url or remove tls."
type APIServerUpstream struct {
	// URL is http:// or https:// host[:port], with no path, e.g.
	// "https://10.0.0.1:6443". The default port is 443 for https, 80 for
	// http.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^(?i)https?://[^/?#@]+/?$')",message="url must be http:// or https:// followed by host[:port] and nothing else, e.g. \"https://10.0.0.1:6443\"."
	URL string `json:"url"`
	// TLS configures HTTPS to the API server, as Backend.spec.tls does:
	// caCertificateRefs name a ConfigMap or Secret whose "ca.crt" holds
	// the cluster CA.
	// +optional
	TLS *BackendTLS `json:"tls,omitempty"`
}

// APIServerListener is the port corsgate listens on.
//
// +kubebuilder:validation:XValidation:rule="!has(self.protocol) || self.protocol != 'HTTPS' || (has(self.tlsSecretName) && self.tlsSecretName.size() > 0)",message="an HTTPS listener needs tlsSecretName naming a kubernetes.io/tls Secret in the same namespace."
// +kubebuilder:validation:XValidation:rule="(has(self.protocol) && self.protocol == 'HTTPS') || !has(self.tlsSecretName) || self.tlsSecretName.size() == 0",message="tlsSecretName is set on an HTTP listener; set protocol: HTTPS or remove tlsSecretName."
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
	// +kubebuilder:validation:MaxLength=253
	Hostname string `json:"hostname,omitempty"`
	// TLSSecretName names a kubernetes.io/tls Secret in the same
	// namespace; required for HTTPS.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	TLSSecretName string `json:"tlsSecretName,omitempty"`
}
