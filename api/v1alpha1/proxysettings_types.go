package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ProxySettings holds the gateway's limits and timeouts in the
// configuration, as an alternative to command-line flags. At most one
// ProxySettings may exist in a configuration. A flag given on the command
// line wins over the same setting here; a setting left out keeps its
// built-in default (see the README's flags table). Settings are read at
// startup: a reload that changes them is reported, and they take effect at
// the next start.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=corsgate
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ProxySettings struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ProxySettingsSpec `json:"spec"`
}

// ProxySettingsList is a list of ProxySettings objects.
//
// +kubebuilder:object:root=true
type ProxySettingsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProxySettings `json:"items"`
}

// ProxySettingsSpec groups settings by side.
type ProxySettingsSpec struct {
	// Server: the client-facing side.
	// +optional
	Server *ServerSettings `json:"server,omitempty"`
	// Upstream: the backend-facing side.
	// +optional
	Upstream *UpstreamSettings `json:"upstream,omitempty"`
}

// ServerSettings limit client connections. Durations are seconds or
// duration strings ("10s", "2m").
type ServerSettings struct {
	// ReadHeaderTimeout: time a client has to send request headers
	// (flag --read-header-timeout, default 10s).
	// +optional
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? (self > 0 && self <= 86400) : (self.matches(r'^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\\x{b5}s|\\x{3bc}s|ms|s|m|h))+)$') && duration(self) > duration('0s') && duration(self) <= duration('24h'))",message="readHeaderTimeout must be above 0 and at most 24h, written as seconds (30) or a duration such as \"30s\"."
	ReadHeaderTimeout *Duration `json:"readHeaderTimeout,omitempty"`
	// IdleTimeout: keep-alive idle timeout (flag --idle-timeout, default 120s).
	// +optional
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? (self > 0 && self <= 86400) : (self.matches(r'^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\\x{b5}s|\\x{3bc}s|ms|s|m|h))+)$') && duration(self) > duration('0s') && duration(self) <= duration('24h'))",message="idleTimeout must be above 0 and at most 24h, written as seconds (30) or a duration such as \"30s\"."
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`
	// MaxHeaderBytes: largest request header block, 1024 to 1048576
	// (flag --max-header-bytes, default 65536).
	// +optional
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=1048576
	MaxHeaderBytes *int32 `json:"maxHeaderBytes,omitempty"`
}

// UpstreamSettings limit connections to backends.
type UpstreamSettings struct {
	// ConnectTimeout (flag --upstream-connect-timeout, default 5s).
	// +optional
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? (self > 0 && self <= 86400) : (self.matches(r'^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\\x{b5}s|\\x{3bc}s|ms|s|m|h))+)$') && duration(self) > duration('0s') && duration(self) <= duration('24h'))",message="connectTimeout must be above 0 and at most 24h, written as seconds (30) or a duration such as \"30s\"."
	ConnectTimeout *Duration `json:"connectTimeout,omitempty"`
	// ResponseHeaderTimeout: then 504 (flag
	// --upstream-response-header-timeout, default 30s).
	// +optional
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? (self > 0 && self <= 86400) : (self.matches(r'^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\\x{b5}s|\\x{3bc}s|ms|s|m|h))+)$') && duration(self) > duration('0s') && duration(self) <= duration('24h'))",message="responseHeaderTimeout must be above 0 and at most 24h, written as seconds (30) or a duration such as \"30s\"."
	ResponseHeaderTimeout *Duration `json:"responseHeaderTimeout,omitempty"`
	// Timeout: overall limit for one proxied request (flag
	// --upstream-timeout, default 60s).
	// +optional
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? (self > 0 && self <= 86400) : (self.matches(r'^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\\x{b5}s|\\x{3bc}s|ms|s|m|h))+)$') && duration(self) > duration('0s') && duration(self) <= duration('24h'))",message="timeout must be above 0 and at most 24h, written as seconds (30) or a duration such as \"30s\"."
	Timeout *Duration `json:"timeout,omitempty"`
	// MaxIdleConnsPerBackend: 1 to 10000 (flag
	// --max-idle-conns-per-backend, default 64).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	MaxIdleConnsPerBackend *int32 `json:"maxIdleConnsPerBackend,omitempty"`
}
