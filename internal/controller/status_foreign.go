package controller

import (
	"context"
	"encoding/json"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/config"
)

// ancestorStatusKinds are the foreign policy kinds whose CRDs carry the
// Gateway API policy status (status.ancestors[], GEP-713), which corsgate
// writes like their own controllers do. Istio and FSM kinds have status
// schemas of their own and get none.
var ancestorStatusKinds = map[string]bool{
	"gateway.kgateway.dev/TrafficPolicy":  true,
	"agentgateway.dev/AgentgatewayPolicy": true,
}

// writeForeignPolicy sets corsgate's entries in status.ancestors of a
// foreign policy: one per targetRef, each with the policy's conditions.
// Entries of other controllers stay.
func (c *Controller) writeForeignPolicy(ctx context.Context, ps *config.PolicyStatus, now metav1.Time) error {
	if !ancestorStatusKinds[ps.Key.Group+"/"+ps.Key.Kind] {
		return nil
	}
	gvk, ok := c.foreign.watched(ps.Key.Group, ps.Key.Kind)
	if !ok {
		return nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.cache.Get(ctx, types.NamespacedName{Namespace: ps.Key.Namespace, Name: ps.Key.Name}, u); err != nil {
		return client.IgnoreNotFound(err)
	}
	var spec struct {
		TargetRefs []struct {
			Group       string  `json:"group"`
			Kind        string  `json:"kind"`
			Name        string  `json:"name"`
			SectionName *string `json:"sectionName,omitempty"`
		} `json:"targetRefs"`
	}
	var status struct {
		Ancestors []gwv1.PolicyAncestorStatus `json:"ancestors"`
	}
	if err := fromUnstructured(u.Object["spec"], &spec); err != nil {
		return nil // not ours to judge: the translator already reported it
	}
	_ = fromUnstructured(u.Object["status"], &status)

	var out []gwv1.PolicyAncestorStatus
	for _, a := range status.Ancestors {
		if a.ControllerName != config.ControllerName {
			out = append(out, a)
		}
	}
	ns := gwv1.Namespace(ps.Key.Namespace)
	for _, tr := range spec.TargetRefs {
		group, kind := gwv1.Group(tr.Group), gwv1.Kind(tr.Kind)
		ref := gwv1.ParentReference{Group: &group, Kind: &kind, Namespace: &ns, Name: gwv1.ObjectName(tr.Name)}
		if tr.SectionName != nil {
			sn := gwv1.SectionName(*tr.SectionName)
			ref.SectionName = &sn
		}
		var prev []metav1.Condition
		for _, a := range status.Ancestors {
			if a.ControllerName == config.ControllerName && reflect.DeepEqual(a.AncestorRef, ref) {
				prev = a.Conditions
			}
		}
		out = append(out, gwv1.PolicyAncestorStatus{AncestorRef: ref, ControllerName: config.ControllerName,
			Conditions: mergeConditions(prev, ps.Conditions, now)})
	}
	if equality.Semantic.DeepEqual(status.Ancestors, out) {
		return nil
	}
	raw, err := toUnstructured(out)
	if err != nil {
		return err
	}
	upd := u.DeepCopy()
	if err := unstructured.SetNestedField(upd.Object, raw, "status", "ancestors"); err != nil {
		return err
	}
	return c.update(ctx, u, upd, nil, upd.Object["status"])
}

// fromUnstructured converts a JSON-like value into v through JSON.
func fromUnstructured(in any, v any) error {
	if in == nil {
		return nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// toUnstructured converts v into a JSON-like value.
func toUnstructured(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
