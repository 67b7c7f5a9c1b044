// Package chart tests the Helm chart in charts/corsgate with the real Helm
// CLI: `helm lint --strict`, then `helm template` with default and custom
// values, decoding every rendered object strictly into its Kubernetes API
// type and checking the security context, probes, port mapping, the flags
// passed to `corsgate controller`, least-privilege RBAC, the
// PodDisruptionBudget and HorizontalPodAutoscaler, and labels.
//
// Helm is built once from the Go module proxy (go install
// helm.sh/helm/v4/cmd/helm@VERSION) into the user cache directory
// (corsgate/helm-VERSION) and reused by later runs; it never enters the
// project's go.mod. Without network access to the module proxy on the first
// run the tests fail with a message saying so; they never skip.
package chart
