package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// Helpers shared by the foreign-kind converters (Istio, FSM,
// kube-apiserver).

// conv collects the problems of converting one foreign object.
type conv struct {
	o     *Object
	all   *Resources
	probs Problems
}

func (c *conv) errorf(field, format string, args ...any) {
	c.probs = append(c.probs, c.o.Problem(SeverityError, field, fmt.Sprintf(format, args...)))
}

func (c *conv) warnf(field, code, format string, args ...any) {
	p := c.o.Problem(SeverityWarning, field, fmt.Sprintf(format, args...))
	p.Code = code
	c.probs = append(c.probs, p)
}

func (c *conv) failed() bool { return len(c.probs.Errors()) > 0 }

// unsupported reports every field of v tagged `corsgate:"unsupported"`
// that is set: valid in the source system, but not implemented by
// corsgate. what names the source ("Istio", "FSM").
func (c *conv) unsupported(v any, path, what string) {
	for _, f := range unsupportedFields(reflect.ValueOf(v), path) {
		name := f
		if i := strings.LastIndexAny(f, ".["); i >= 0 {
			name = strings.TrimSuffix(f[i+1:], "]")
		}
		c.errorf(f, "%s is valid in %s but not supported by corsgate; remove it (corsgate never ignores a setting silently)", name, what)
	}
}

// unsupportedFields walks v and returns the JSON paths of the set fields
// tagged `corsgate:"unsupported"`.
func unsupportedFields(v reflect.Value, path string) []string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	var out []string
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fp := joinKey(path, name)
			if f.Tag.Get("corsgate") == "unsupported" {
				if !v.Field(i).IsZero() {
					out = append(out, fp)
				}
				continue
			}
			out = append(out, unsupportedFields(v.Field(i), fp)...)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			out = append(out, unsupportedFields(v.Index(i), joinIndex(path, i))...)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			out = append(out, unsupportedFields(v.MapIndex(k), joinKey(path, k.String()))...)
		}
	}
	return out
}

// findObject returns the object of kind in the group of apiVersion with
// namespace ns and name, or nil.
func findObject(all *Resources, apiVersion, kind, ns, name string) *Object {
	if all == nil {
		return nil
	}
	group := apiGroup(apiVersion)
	for _, o := range all.Objects {
		if o.Kind == kind && apiGroup(o.APIVersion) == group && o.Namespace == ns && o.Name == name {
			return o
		}
	}
	return nil
}

func apiGroup(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// checkFree reports an error when a native object that the conversion
// would create already exists in the input.
func (c *conv) checkFree(apiVersion, kind, ns, name string) {
	if prev := findObject(c.all, apiVersion, kind, ns, name); prev != nil {
		c.errorf("metadata.name", "converting this %s creates %s %s/%s, which %s:%d already defines; rename one of them",
			c.o.Kind, kind, ns, name, prev.File, prev.Line)
	}
}

// native wraps a converted value as an Object located at line of the
// foreign object's file.
func (c *conv) native(line int, apiVersion, kind, ns, name string, v any) *Object {
	return &Object{File: c.o.File, Line: line, APIVersion: apiVersion, Kind: kind,
		Namespace: ns, Name: name, Value: v}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

var gatewayAPIVersion = gwv1.GroupVersion.String()

// sectionNameRE is the Gateway API SectionName pattern.
var sectionNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// uniqueNames hands out section names (route rule or listener names):
// the wanted name when it is valid and unused, otherwise fallback with a
// numeric suffix if needed.
type uniqueNames map[string]bool

func (u uniqueNames) take(want, fallback string) string {
	want = strings.ToLower(want)
	if want != "" && len(want) <= 253 && sectionNameRE.MatchString(want) && !u[want] {
		u[want] = true
		return want
	}
	name := fallback
	for n := 2; u[name]; n++ {
		name = fmt.Sprintf("%s-%d", fallback, n)
	}
	u[name] = true
	return name
}

// corsPolicyObject builds a CORSPolicy targeting one object (and section).
func corsPolicyObject(ns, name string, target v1alpha1.PolicyTargetReference) *v1alpha1.CORSPolicy {
	return &v1alpha1.CORSPolicy{
		TypeMeta:   typeMeta(v1alpha1.GroupVersion, "CORSPolicy"),
		ObjectMeta: objectMeta(ns, name),
		Spec:       v1alpha1.CORSPolicySpec{TargetRefs: []v1alpha1.PolicyTargetReference{target}},
	}
}

func ptrTo[T any](v T) *T { return &v }
