// Package istio holds the subset of Istio's networking.istio.io Gateway and
// VirtualService that corsgate reads (Istio and Alibaba Cloud ASM write
// the same objects). The types are decoded strictly: an unknown field is an
// error. Fields that are valid in Istio but that corsgate does not
// implement are declared with the struct tag `corsgate:"unsupported"` so
// that the converter can say "not supported by corsgate" instead of
// "unknown field"; they are never silently ignored.
//
// The same Go types serve apiVersions v1, v1beta1 and v1alpha3, whose
// schemas are identical for these fields.
package istio

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GroupName is Istio's networking API group.
const GroupName = "networking.istio.io"

// Versions lists the apiVersions corsgate reads, newest first.
var Versions = []string{GroupName + "/v1", GroupName + "/v1beta1", GroupName + "/v1alpha3"}

// Gateway is an Istio Gateway: the servers (ports, protocols, hosts, TLS)
// of an ingress proxy. corsgate converts it to a Gateway API Gateway.
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GatewaySpec `json:"spec"`
	// Status is written by Istio; corsgate ignores it.
	Status any `json:"status,omitempty"`
}

// GatewaySpec lists the servers.
type GatewaySpec struct {
	Servers []Server `json:"servers"`
	// Selector picks the Istio ingress pods. corsgate is the proxy, so the
	// selector has no meaning here and is accepted as is.
	Selector map[string]string `json:"selector,omitempty"`
}

// Server is one port of an Istio Gateway.
type Server struct {
	Port  Port     `json:"port"`
	Hosts []string `json:"hosts"`
	TLS   *TLS     `json:"tls,omitempty"`
	Name  string   `json:"name,omitempty"`

	Bind            any `json:"bind,omitempty" corsgate:"unsupported"`
	DefaultEndpoint any `json:"defaultEndpoint,omitempty" corsgate:"unsupported"`
}

// Port is a server port.
type Port struct {
	Number   uint32 `json:"number"`
	Protocol string `json:"protocol"`
	Name     string `json:"name,omitempty"`

	TargetPort any `json:"targetPort,omitempty" corsgate:"unsupported"`
}

// TLS is a server's TLS settings. corsgate supports mode SIMPLE with a
// credentialName naming a kubernetes.io/tls Secret.
type TLS struct {
	Mode           string `json:"mode,omitempty"`
	CredentialName string `json:"credentialName,omitempty"`
	HTTPSRedirect  bool   `json:"httpsRedirect,omitempty"`

	ServerCertificate     any `json:"serverCertificate,omitempty" corsgate:"unsupported"`
	PrivateKey            any `json:"privateKey,omitempty" corsgate:"unsupported"`
	CACertificates        any `json:"caCertificates,omitempty" corsgate:"unsupported"`
	CACrl                 any `json:"caCrl,omitempty" corsgate:"unsupported"`
	CredentialNames       any `json:"credentialNames,omitempty" corsgate:"unsupported"`
	TLSCertificates       any `json:"tlsCertificates,omitempty" corsgate:"unsupported"`
	SubjectAltNames       any `json:"subjectAltNames,omitempty" corsgate:"unsupported"`
	VerifyCertificateSpki any `json:"verifyCertificateSpki,omitempty" corsgate:"unsupported"`
	VerifyCertificateHash any `json:"verifyCertificateHash,omitempty" corsgate:"unsupported"`
	MinProtocolVersion    any `json:"minProtocolVersion,omitempty" corsgate:"unsupported"`
	MaxProtocolVersion    any `json:"maxProtocolVersion,omitempty" corsgate:"unsupported"`
	CipherSuites          any `json:"cipherSuites,omitempty" corsgate:"unsupported"`
}

// VirtualService is an Istio VirtualService bound to Istio Gateways.
// corsgate converts it to one HTTPRoute (one rule per http entry) and one
// CORSPolicy per corsPolicy.
type VirtualService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec VirtualServiceSpec `json:"spec"`
	// Status is written by Istio; corsgate ignores it.
	Status any `json:"status,omitempty"`
}

// VirtualServiceSpec is the routing table for a set of hosts.
type VirtualServiceSpec struct {
	Hosts    []string    `json:"hosts,omitempty"`
	Gateways []string    `json:"gateways,omitempty"`
	HTTP     []HTTPRoute `json:"http,omitempty"`

	TLS      any `json:"tls,omitempty" corsgate:"unsupported"`
	TCP      any `json:"tcp,omitempty" corsgate:"unsupported"`
	ExportTo any `json:"exportTo,omitempty" corsgate:"unsupported"`
}

// HTTPRoute is one entry of VirtualService.spec.http. Istio tries them in
// order and takes the first that matches.
type HTTPRoute struct {
	Name       string                 `json:"name,omitempty"`
	Match      []HTTPMatchRequest     `json:"match,omitempty"`
	Route      []HTTPRouteDestination `json:"route,omitempty"`
	CorsPolicy *CorsPolicy            `json:"corsPolicy,omitempty"`
	Headers    *Headers               `json:"headers,omitempty"`

	Redirect         any `json:"redirect,omitempty" corsgate:"unsupported"`
	DirectResponse   any `json:"directResponse,omitempty" corsgate:"unsupported"`
	Delegate         any `json:"delegate,omitempty" corsgate:"unsupported"`
	Rewrite          any `json:"rewrite,omitempty" corsgate:"unsupported"`
	Timeout          any `json:"timeout,omitempty" corsgate:"unsupported"`
	Retries          any `json:"retries,omitempty" corsgate:"unsupported"`
	Fault            any `json:"fault,omitempty" corsgate:"unsupported"`
	Mirror           any `json:"mirror,omitempty" corsgate:"unsupported"`
	Mirrors          any `json:"mirrors,omitempty" corsgate:"unsupported"`
	MirrorPercentage any `json:"mirrorPercentage,omitempty" corsgate:"unsupported"`
	MirrorPercent    any `json:"mirrorPercent,omitempty" corsgate:"unsupported"`
}

// HTTPMatchRequest is one match condition; the conditions of one entry
// are ANDed, the entries of a list ORed.
type HTTPMatchRequest struct {
	Name        string                 `json:"name,omitempty"`
	URI         *StringMatch           `json:"uri,omitempty"`
	Method      *StringMatch           `json:"method,omitempty"`
	Headers     map[string]StringMatch `json:"headers,omitempty"`
	QueryParams map[string]StringMatch `json:"queryParams,omitempty"`

	Scheme          any `json:"scheme,omitempty" corsgate:"unsupported"`
	Authority       any `json:"authority,omitempty" corsgate:"unsupported"`
	Port            any `json:"port,omitempty" corsgate:"unsupported"`
	IgnoreURICase   any `json:"ignoreUriCase,omitempty" corsgate:"unsupported"`
	WithoutHeaders  any `json:"withoutHeaders,omitempty" corsgate:"unsupported"`
	SourceLabels    any `json:"sourceLabels,omitempty" corsgate:"unsupported"`
	SourceNamespace any `json:"sourceNamespace,omitempty" corsgate:"unsupported"`
	Gateways        any `json:"gateways,omitempty" corsgate:"unsupported"`
	StatPrefix      any `json:"statPrefix,omitempty" corsgate:"unsupported"`
}

// StringMatch is exactly one of Exact, Prefix or Regex (RE2, matched
// against the whole value, as Envoy does).
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// HTTPRouteDestination is one weighted destination.
type HTTPRouteDestination struct {
	Destination Destination `json:"destination"`
	Weight      int32       `json:"weight,omitempty"`
	Headers     *Headers    `json:"headers,omitempty"`
}

// Destination names a service. corsgate resolves Host to a corsgate
// Backend of the same name, or of the host's first DNS label, in the
// VirtualService's namespace.
type Destination struct {
	Host string        `json:"host"`
	Port *PortSelector `json:"port,omitempty"`

	Subset any `json:"subset,omitempty" corsgate:"unsupported"`
}

// PortSelector selects a service port.
type PortSelector struct {
	Number uint32 `json:"number,omitempty"`
}

// Headers are request and response header manipulations.
type Headers struct {
	Request  *HeaderOperations `json:"request,omitempty"`
	Response *HeaderOperations `json:"response,omitempty"`
}

// HeaderOperations set, add and remove headers.
type HeaderOperations struct {
	Set    map[string]string `json:"set,omitempty"`
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// CorsPolicy is Istio's per-route CORS policy. Every field is supported.
type CorsPolicy struct {
	AllowOrigins []StringMatch `json:"allowOrigins,omitempty"`
	// AllowOrigin is deprecated in Istio in favour of AllowOrigins: exact
	// origins, or "*".
	AllowOrigin      []string `json:"allowOrigin,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           string   `json:"maxAge,omitempty"`
	AllowCredentials *bool    `json:"allowCredentials,omitempty"`
	// UnmatchedPreflights is FORWARD (Istio's default) or IGNORE.
	UnmatchedPreflights string `json:"unmatchedPreflights,omitempty"`
}
