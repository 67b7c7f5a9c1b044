package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ProxySettings holds the gateway's limits and timeouts in the
// configuration, as an alternative to command-line flags. At most one
// ProxySettings may exist in a configuration. A flag given on the command
// line wins over the same setting here; a setting left out keeps its
// built-in default (see the README's flags table). Settings are read at
// startup: a reload that changes them is reported, and they take effect at
// the next start.
type ProxySettings struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ProxySettingsSpec `json:"spec"`
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
	ReadHeaderTimeout *Duration `json:"readHeaderTimeout,omitempty"`
	// IdleTimeout: keep-alive idle timeout (flag --idle-timeout, default 120s).
	// +optional
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`
	// MaxHeaderBytes: largest request header block, 1024 to 1048576
	// (flag --max-header-bytes, default 65536).
	// +optional
	MaxHeaderBytes *int32 `json:"maxHeaderBytes,omitempty"`
}

// UpstreamSettings limit connections to backends.
type UpstreamSettings struct {
	// ConnectTimeout (flag --upstream-connect-timeout, default 5s).
	// +optional
	ConnectTimeout *Duration `json:"connectTimeout,omitempty"`
	// ResponseHeaderTimeout: then 504 (flag
	// --upstream-response-header-timeout, default 30s).
	// +optional
	ResponseHeaderTimeout *Duration `json:"responseHeaderTimeout,omitempty"`
	// Timeout: overall limit for one proxied request (flag
	// --upstream-timeout, default 60s).
	// +optional
	Timeout *Duration `json:"timeout,omitempty"`
	// MaxIdleConnsPerBackend: 1 to 10000 (flag
	// --max-idle-conns-per-backend, default 64).
	// +optional
	MaxIdleConnsPerBackend *int32 `json:"maxIdleConnsPerBackend,omitempty"`
}
