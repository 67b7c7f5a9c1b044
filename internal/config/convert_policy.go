package config

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// Helpers shared by the policy-attachment converters (kgateway
// TrafficPolicy, agentgateway AgentgatewayPolicy): each foreign policy
// becomes one CORSPolicy of the same namespace, name, creation time and
// targetRefs, which the one translator validates and attaches.

// policyTarget is a targetRef as both kgateway and agentgateway spell it.
type policyTarget struct {
	Group       gwv1.Group
	Kind        gwv1.Kind
	Name        gwv1.ObjectName
	SectionName *gwv1.SectionName
}

// nativePolicy wraps spec as a CORSPolicy object converted from c.o. The
// object's field lines are those of the source document with every path
// under specPath ("spec.cors") moved to "spec", so that a problem found
// later on, say, spec.allowOrigins[1] points at the line the user wrote.
func (c *conv) nativePolicy(specPath string, targets []policyTarget, spec v1alpha1.CORSPolicySpec) *Object {
	for _, t := range targets {
		spec.TargetRefs = append(spec.TargetRefs, v1alpha1.PolicyTargetReference{
			Group: t.Group, Kind: t.Kind, Name: t.Name, SectionName: t.SectionName,
		})
	}
	meta := objectMeta(c.o.Namespace, c.o.Name)
	if src, ok := c.o.Value.(metav1.Object); ok {
		meta.CreationTimestamp = src.GetCreationTimestamp()
	}
	pol := &v1alpha1.CORSPolicy{TypeMeta: typeMeta(v1alpha1.GroupVersion, "CORSPolicy"), ObjectMeta: meta, Spec: spec}
	c.checkFree(v1alpha1.GroupVersion, "CORSPolicy", c.o.Namespace, c.o.Name)
	obj := c.native(c.o.FieldLine(specPath), v1alpha1.GroupVersion, "CORSPolicy", c.o.Namespace, c.o.Name, pol)
	obj.lines = movedLines(c.o.lines, specPath, "spec")
	return obj
}

// movedLines copies a document's field lines with the paths under from
// renamed to start with to; the other paths keep their lines.
func movedLines(src *fieldLines, from, to string) *fieldLines {
	if src == nil {
		return nil
	}
	out := &fieldLines{m: make(map[string]int, len(src.m))}
	for p, l := range src.m {
		out.m[p] = l
	}
	for p, l := range src.m {
		if rest, ok := strings.CutPrefix(p, from); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			out.m[to+rest] = l
		}
	}
	return out
}

// gatewayCORSSpec copies the Gateway API HTTPCORSFilter fields. A maxAge
// of 0 (absent) stays unset, so a Union merge can take it from a less
// specific policy.
func gatewayCORSSpec(f *gwv1.HTTPCORSFilter) v1alpha1.CORSPolicySpec {
	var s v1alpha1.CORSPolicySpec
	for _, o := range f.AllowOrigins {
		s.AllowOrigins = append(s.AllowOrigins, v1alpha1.OriginMatch{Value: string(o)})
	}
	for _, m := range f.AllowMethods {
		s.AllowMethods = append(s.AllowMethods, string(m))
	}
	for _, h := range f.AllowHeaders {
		s.AllowHeaders = append(s.AllowHeaders, string(h))
	}
	for _, h := range f.ExposeHeaders {
		s.ExposeHeaders = append(s.ExposeHeaders, string(h))
	}
	s.AllowCredentials = f.AllowCredentials
	if f.MaxAge != 0 {
		s.MaxAge = &v1alpha1.Duration{Duration: time.Duration(f.MaxAge) * time.Second}
	}
	return s
}
