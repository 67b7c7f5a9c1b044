package controller

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/config"
)

// TestTranslateIgnoresCacheOrder: the cache lists objects in map order.
// Two Gateways claiming port 80 with the same hostname conflict and the
// older one must win whatever the order, or the data plane and the
// listener status flip on every sync.
func TestTranslateIgnoresCacheOrder(t *testing.T) {
	gateway := func(name string, created time.Time) *config.Object {
		gw := &gwv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, CreationTimestamp: metav1.NewTime(created)},
			Spec: gwv1.GatewaySpec{GatewayClassName: "corsgate",
				Listeners: []gwv1.Listener{{Name: "http", Port: 80, Protocol: gwv1.HTTPProtocolType}}},
		}
		return &config.Object{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway", Namespace: "web", Name: name, Value: gw}
	}
	old := gateway("zeta", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	young := gateway("alpha", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	opts := config.Options{Kubernetes: true, GatewayClassNames: []string{"corsgate"}}
	for _, order := range [][]*config.Object{{old, young}, {young, old}} {
		_, rep, _ := translate(&config.Resources{Objects: slices.Clone(order)}, opts)
		programmed := map[string]metav1.ConditionStatus{}
		for _, g := range rep.Gateways {
			for _, c := range g.Listeners[0].Conditions {
				if c.Type == string(gwv1.ListenerConditionProgrammed) {
					programmed[g.Key.Name] = c.Status
				}
			}
		}
		if programmed["zeta"] != metav1.ConditionTrue || programmed["alpha"] != metav1.ConditionFalse {
			t.Errorf("input order %s, %s: listener Programmed = %v; want the older Gateway zeta to win",
				order[0].Name, order[1].Name, programmed)
		}
	}
}

// TestGatewayConditionsApplyError: when the data plane refuses a snapshot,
// Programmed=False observes the generation that was translated, like the
// other conditions, not whatever newer generation the cache holds now.
func TestGatewayConditionsApplyError(t *testing.T) {
	gs := &config.GatewayStatus{Generation: 3, Conditions: []metav1.Condition{
		{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", ObservedGeneration: 3},
		{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed", ObservedGeneration: 3},
	}}
	got := gatewayConditions(gs, errors.New("listen tcp :10080: address already in use"))
	if len(got) != 2 || got[1].Type != "Programmed" || got[1].Status != metav1.ConditionFalse {
		t.Fatalf("conditions = %+v; want Accepted, then Programmed=False", got)
	}
	if got[1].ObservedGeneration != 3 || !strings.Contains(got[1].Message, "address already in use") {
		t.Errorf("Programmed = %+v; want observedGeneration 3 and the data plane's error", got[1])
	}
	if gs.Conditions[1].Status != metav1.ConditionTrue {
		t.Errorf("the report was modified")
	}
}
