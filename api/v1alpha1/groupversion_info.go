package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group of corsgate's own kinds.
const GroupName = "corsgate.dev"

// Version is the API version of this package's kinds.
const Version = "v1alpha1"

// GroupVersion is the apiVersion string of this package's kinds, as
// written in files: "corsgate.dev/v1alpha1". [SchemeGroupVersion] is the
// same value as a schema.GroupVersion.
const GroupVersion = GroupName + "/" + Version

// SchemeGroupVersion is the group and version used to register these kinds
// in a runtime.Scheme.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: Version}

var (
	// SchemeBuilder registers this package's kinds and their lists.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds this package's kinds to a scheme, e.g. the one a
	// controller-runtime manager reads and writes objects with.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Kind returns the group-qualified kind of one of this package's kinds.
func Kind(kind string) schema.GroupKind {
	return SchemeGroupVersion.WithKind(kind).GroupKind()
}

// Resource returns the group-qualified resource, e.g. "corspolicies".
func Resource(resource string) schema.GroupResource {
	return SchemeGroupVersion.WithResource(resource).GroupResource()
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion,
		&Backend{}, &BackendList{},
		&CORSPolicy{}, &CORSPolicyList{},
		&ProxySettings{}, &ProxySettingsList{},
		&APIServerCORS{}, &APIServerCORSList{},
	)
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
