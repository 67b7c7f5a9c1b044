package controller

import (
	"context"
	"fmt"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/config"
)

// statusWriter writes the latest report back to the API server. It runs
// only on the elected leader, so any number of replicas never fight over
// status; a new leader rewrites everything at once.
type statusWriter struct{ c *Controller }

func (s *statusWriter) NeedLeaderElection() bool { return true }

func (s *statusWriter) Start(ctx context.Context) error {
	c := s.c
	c.log.Info("elected leader: this replica writes status")
	resync := time.NewTicker(c.opts.StatusResync)
	defer resync.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		if r := c.result.Load(); r != nil {
			if err := c.writeStatus(ctx, r); err != nil && ctx.Err() == nil {
				c.log.Warn("status not fully written; retrying", "error", err)
				retry.Reset(time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.statusPoke:
		case <-resync.C:
		case <-retry.C:
		}
	}
}

// writeStatus updates every object whose status differs from the report.
// It returns the first error after trying them all.
func (c *Controller) writeStatus(ctx context.Context, r *result) error {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	for _, name := range r.classes {
		keep(c.writeClass(ctx, name, now))
	}
	if r.report == nil {
		return first
	}
	addrs := c.addresses(ctx)
	for i := range r.report.Gateways {
		keep(c.writeGateway(ctx, &r.report.Gateways[i], r.applyErr, addrs, now))
	}
	keep(c.writeRoutes(ctx, r.report.Routes, now))
	for i := range r.report.Policies {
		keep(c.writePolicy(ctx, &r.report.Policies[i], now))
	}
	return first
}

func (c *Controller) writeClass(ctx context.Context, name string, now metav1.Time) error {
	var gc gwv1.GatewayClass
	if err := c.cache.Get(ctx, types.NamespacedName{Name: name}, &gc); err != nil {
		return client.IgnoreNotFound(err)
	}
	want := []metav1.Condition{
		{Type: string(gwv1.GatewayClassConditionStatusAccepted), Status: metav1.ConditionTrue,
			Reason: string(gwv1.GatewayClassReasonAccepted), ObservedGeneration: gc.Generation,
			Message: "corsgate serves the Gateways of this class"},
		{Type: string(gwv1.GatewayClassConditionStatusSupportedVersion), Status: metav1.ConditionTrue,
			Reason: string(gwv1.GatewayClassReasonSupportedVersion), ObservedGeneration: gc.Generation,
			Message: "the installed Gateway API CRDs are supported"},
	}
	upd := gc.DeepCopy()
	upd.Status.Conditions = mergeConditions(gc.Status.Conditions, want, now)
	return c.update(ctx, &gc, upd, gc.Status, upd.Status)
}

func (c *Controller) writeGateway(ctx context.Context, gs *config.GatewayStatus, applyErr error,
	addrs []gwv1.GatewayStatusAddress, now metav1.Time) error {
	var gw gwv1.Gateway
	if err := c.cache.Get(ctx, types.NamespacedName{Namespace: gs.Key.Namespace, Name: gs.Key.Name}, &gw); err != nil {
		return client.IgnoreNotFound(err)
	}
	upd := gw.DeepCopy()
	upd.Status.Conditions = mergeConditions(gw.Status.Conditions, gatewayConditions(gs, applyErr), now)
	upd.Status.Addresses = addrs
	upd.Status.Listeners = make([]gwv1.ListenerStatus, 0, len(gs.Listeners))
	for _, l := range gs.Listeners {
		var old []metav1.Condition
		for _, ol := range gw.Status.Listeners {
			if ol.Name == l.Name {
				old = ol.Conditions
			}
		}
		l.Conditions = mergeConditions(old, l.Conditions, now)
		upd.Status.Listeners = append(upd.Status.Listeners, l)
	}
	return c.update(ctx, &gw, upd, gw.Status, upd.Status)
}

// gatewayConditions are the report's Gateway conditions, with Programmed
// False when the data plane refused the snapshot. Every condition observes
// the generation that was translated (the cached Gateway may be newer).
func gatewayConditions(gs *config.GatewayStatus, applyErr error) []metav1.Condition {
	if applyErr == nil {
		return gs.Conditions
	}
	return withCondition(gs.Conditions, metav1.Condition{Type: string(gwv1.GatewayConditionProgrammed),
		Status: metav1.ConditionFalse, Reason: string(gwv1.GatewayReasonInvalid), ObservedGeneration: gs.Generation,
		Message: fmt.Sprintf("the data plane refused the configuration (%v); the previous configuration keeps serving: fix the cause and re-apply", applyErr)})
}

// writeRoutes sets this controller's parent entries on every HTTPRoute and
// removes stale ones (a route detached from our Gateways), leaving entries
// of other controllers alone.
func (c *Controller) writeRoutes(ctx context.Context, report []config.RouteStatus, now metav1.Time) error {
	want := make(map[types.NamespacedName]*config.RouteStatus, len(report))
	for i := range report {
		rs := &report[i]
		want[types.NamespacedName{Namespace: rs.Key.Namespace, Name: rs.Key.Name}] = rs
	}
	var routes gwv1.HTTPRouteList
	if err := c.cache.List(ctx, &routes); err != nil {
		return err
	}
	var first error
	for i := range routes.Items {
		hr := &routes.Items[i]
		rs := want[types.NamespacedName{Namespace: hr.Namespace, Name: hr.Name}]
		upd := hr.DeepCopy()
		upd.Status.Parents = routeParents(hr.Status.Parents, rs, now)
		if err := c.update(ctx, hr, upd, hr.Status, upd.Status); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func routeParents(old []gwv1.RouteParentStatus, rs *config.RouteStatus, now metav1.Time) []gwv1.RouteParentStatus {
	var out []gwv1.RouteParentStatus
	for _, p := range old {
		if p.ControllerName != config.ControllerName {
			out = append(out, p)
		}
	}
	if rs == nil {
		return out
	}
	for _, p := range rs.Parents {
		var prev []metav1.Condition
		for _, op := range old {
			if op.ControllerName == config.ControllerName && reflect.DeepEqual(op.ParentRef, p.ParentRef) {
				prev = op.Conditions
			}
		}
		p.ControllerName = config.ControllerName
		p.Conditions = mergeConditions(prev, p.Conditions, now)
		out = append(out, p)
	}
	return out
}

func (c *Controller) writePolicy(ctx context.Context, ps *config.PolicyStatus, now metav1.Time) error {
	if ps.Key.Group != v1alpha1.GroupName || ps.Key.Kind != "CORSPolicy" {
		return c.writeForeignPolicy(ctx, ps, now)
	}
	var p v1alpha1.CORSPolicy
	if err := c.cache.Get(ctx, types.NamespacedName{Namespace: ps.Key.Namespace, Name: ps.Key.Name}, &p); err != nil {
		return client.IgnoreNotFound(err)
	}
	upd := p.DeepCopy()
	upd.Status.Conditions = mergeConditions(p.Status.Conditions, ps.Conditions, now)
	return c.update(ctx, &p, upd, p.Status, upd.Status)
}

// update writes upd's status when it differs from the cached one. A
// conflict (the object changed meanwhile) is returned for a retry.
func (c *Controller) update(ctx context.Context, old, upd client.Object, oldStatus, newStatus any) error {
	if equality.Semantic.DeepEqual(oldStatus, newStatus) {
		return nil
	}
	err := c.client.Status().Update(ctx, upd)
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return nil
	default:
		return fmt.Errorf("update status of %T %s/%s: %w", old, old.GetNamespace(), old.GetName(), err)
	}
}

// mergeConditions returns want, in its order, keeping each condition's
// lastTransitionTime from old when its status did not change.
func mergeConditions(old, want []metav1.Condition, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(want))
	for _, w := range want {
		w.LastTransitionTime = now
		if o := meta.FindStatusCondition(old, w.Type); o != nil && o.Status == w.Status {
			w.LastTransitionTime = o.LastTransitionTime
		}
		out = append(out, w)
	}
	return out
}

// withCondition returns conds with c replacing the condition of its type.
func withCondition(conds []metav1.Condition, c metav1.Condition) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(conds)+1)
	replaced := false
	for _, x := range conds {
		if x.Type == c.Type {
			x, replaced = c, true
		}
		out = append(out, x)
	}
	if !replaced {
		out = append(out, c)
	}
	return out
}

// addresses reads Gateway status.addresses from the Service in front of
// the replicas: its load-balancer ingress, else its cluster IPs.
func (c *Controller) addresses(ctx context.Context) []gwv1.GatewayStatusAddress {
	if c.opts.AddressService.Name == "" {
		return nil
	}
	var svc corev1.Service
	if err := c.cache.Get(ctx, c.opts.AddressService, &svc); err != nil {
		return nil
	}
	ipType, hostType := gwv1.IPAddressType, gwv1.HostnameAddressType
	var out []gwv1.GatewayStatusAddress
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			out = append(out, gwv1.GatewayStatusAddress{Type: &ipType, Value: in.IP})
		}
		if in.Hostname != "" {
			out = append(out, gwv1.GatewayStatusAddress{Type: &hostType, Value: in.Hostname})
		}
	}
	if len(out) == 0 {
		for _, ip := range svc.Spec.ClusterIPs {
			if ip != "" && ip != corev1.ClusterIPNone {
				out = append(out, gwv1.GatewayStatusAddress{Type: &ipType, Value: ip})
			}
		}
	}
	return out
}
