package controller

import (
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/config"
)

func TestMergeConditionsKeepsTransitionTimes(t *testing.T) {
	then := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	old := []metav1.Condition{
		{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", LastTransitionTime: then},
		{Type: "ResolvedRefs", Status: metav1.ConditionTrue, Reason: "ResolvedRefs", LastTransitionTime: then},
		{Type: "Stale", Status: metav1.ConditionTrue, Reason: "Gone", LastTransitionTime: then},
	}
	want := []metav1.Condition{
		{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "new message"},
		{Type: "ResolvedRefs", Status: metav1.ConditionFalse, Reason: "BackendNotFound"},
		{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed"},
	}
	got := mergeConditions(old, want, now)
	wantTimes := map[string]metav1.Time{"Accepted": then, "ResolvedRefs": now, "Programmed": now}
	if len(got) != len(want) {
		t.Fatalf("got %d conditions, want %d (a condition no longer reported must go)", len(got), len(want))
	}
	for i, c := range got {
		if c.Type != want[i].Type || c.Reason != want[i].Reason || c.Message != want[i].Message {
			t.Errorf("condition %d = %+v, want %+v", i, c, want[i])
		}
		if !c.LastTransitionTime.Equal(&[]metav1.Time{wantTimes[c.Type]}[0]) {
			t.Errorf("%s lastTransitionTime %v, want %v", c.Type, c.LastTransitionTime, wantTimes[c.Type])
		}
	}
}

func TestRouteParentsLeavesOtherControllers(t *testing.T) {
	now := metav1.Now()
	ours := gwv1.ParentReference{Name: "gw"}
	theirs := gwv1.RouteParentStatus{ParentRef: gwv1.ParentReference{Name: "other"}, ControllerName: "example.com/other",
		Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted"}}}
	stale := gwv1.RouteParentStatus{ParentRef: gwv1.ParentReference{Name: "detached"}, ControllerName: config.ControllerName}
	old := []gwv1.RouteParentStatus{theirs, stale}

	tests := []struct {
		name  string
		rs    *config.RouteStatus
		names []gwv1.ObjectName
	}{
		{"no longer ours: only the other controller's entry stays", nil, []gwv1.ObjectName{"other"}},
		{"ours replaced", &config.RouteStatus{Parents: []gwv1.RouteParentStatus{{ParentRef: ours,
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted"}}}}},
			[]gwv1.ObjectName{"other", "gw"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := routeParents(old, tt.rs, now)
			if len(got) != len(tt.names) {
				t.Fatalf("got %d parents %+v, want %v", len(got), got, tt.names)
			}
			for i, p := range got {
				if p.ParentRef.Name != tt.names[i] {
					t.Errorf("parent %d = %s, want %s", i, p.ParentRef.Name, tt.names[i])
				}
				if p.ParentRef.Name == "gw" && p.ControllerName != config.ControllerName {
					t.Errorf("our entry has controllerName %q", p.ControllerName)
				}
			}
		})
	}
}

func TestWithConditionReplaces(t *testing.T) {
	conds := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue}, {Type: "Programmed", Status: metav1.ConditionTrue}}
	got := withCondition(conds, metav1.Condition{Type: "Programmed", Status: metav1.ConditionFalse, Reason: "Invalid"})
	if len(got) != 2 || got[1].Status != metav1.ConditionFalse || conds[1].Status != metav1.ConditionTrue {
		t.Fatalf("withCondition = %+v (input must stay unchanged: %+v)", got, conds)
	}
	if got := withCondition(nil, metav1.Condition{Type: "X"}); len(got) != 1 {
		t.Fatalf("withCondition on nil = %+v", got)
	}
}

func TestServedVersion(t *testing.T) {
	k := foreignKindList[0] // Istio VirtualService: v1, v1beta1, v1alpha3
	crd := func(established bool, versions ...string) *apiextensionsv1.CustomResourceDefinition {
		c := &apiextensionsv1.CustomResourceDefinition{}
		c.Spec.Group, c.Spec.Names.Kind = k.group, k.kind
		for _, v := range versions {
			c.Spec.Versions = append(c.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{Name: v, Served: true})
		}
		if established {
			c.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{
				{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}}
		}
		return c
	}
	tests := []struct {
		name    string
		crd     *apiextensionsv1.CustomResourceDefinition
		version string
		ok      bool
	}{
		{"missing", nil, "", false},
		{"not established", crd(false, "v1"), "", false},
		{"preferred first", crd(true, "v1alpha3", "v1beta1", "v1"), "v1", true},
		{"older only", crd(true, "v1alpha3"), "v1alpha3", true},
		{"unknown version", crd(true, "v2"), "", false},
	}
	for _, tt := range tests {
		gvk, ok := servedVersion(tt.crd, k)
		if ok != tt.ok || gvk.Version != tt.version {
			t.Errorf("%s: got %v %v, want %q %v", tt.name, gvk, ok, tt.version, tt.ok)
		}
	}
}

func TestDecodeForeign(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "TrafficPolicy",
		"metadata": map[string]any{"name": "p", "namespace": "shop", "resourceVersion": "7",
			"managedFields": []any{map[string]any{"manager": "kubectl"}}},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "r"}},
			"cors":       map[string]any{"allowOrigins": []any{"https://a.example.com"}},
		},
		"status": map[string]any{"ancestors": []any{}},
	}}
	objs, ps := decodeForeign(u)
	if ps.Err() != nil || len(objs) != 1 {
		t.Fatalf("decodeForeign: %d objects, problems %v", len(objs), ps)
	}
	if o := objs[0]; o.Kind != "TrafficPolicy" || o.Namespace != "shop" || o.Name != "p" || o.File != "" {
		t.Errorf("object %+v", o)
	}

	u.Object["spec"].(map[string]any)["cors"].(map[string]any)["allowOriginz"] = []any{"x"}
	objs, ps = decodeForeign(u)
	if ps.Err() == nil || len(objs) != 0 {
		t.Fatalf("an unknown field must be refused, got %d objects", len(objs))
	}
	if msg := ps.Error(); !strings.Contains(msg, "allowOriginz") || !strings.HasPrefix(msg, "TrafficPolicy shop/p") {
		t.Errorf("problem %q should start with the object and name the field", msg)
	}
}
