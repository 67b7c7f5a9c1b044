// Package v1alpha1 holds corsgate's own API types (group corsgate.dev,
// version v1alpha1): Backend, CORSPolicy, ProxySettings and APIServerCORS.
// They follow the Kubernetes API conventions so the same objects work in
// files and in a cluster.
//
// The CRDs in config/crd are generated from these types and their markers
// by hack/gen-crds.sh; zz_generated.deepcopy.go too. Never edit either by
// hand: change the types and run the script.
//
// +kubebuilder:object:generate=true
// +groupName=corsgate.dev
package v1alpha1
