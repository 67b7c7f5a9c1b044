// Package v1alpha1 holds corsgate's own API types (group corsgate.dev,
// version v1alpha1): Backend and CORSPolicy. They follow the
// Kubernetes API conventions so the same objects work in files and in a
// cluster.
package v1alpha1

// GroupName is the API group of corsgate's own kinds.
const GroupName = "corsgate.dev"

// GroupVersion is the apiVersion string of this package's kinds.
const GroupVersion = GroupName + "/v1alpha1"
