package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/config"
)

// baseKind is one always-present kind the controller reads.
type baseKind struct {
	apiVersion, kind string
	obj              func() client.Object
	list             func() client.ObjectList
}

// baseKinds are read from the cache on every sync.
var baseKinds = []baseKind{
	{"gateway.networking.k8s.io/v1", "Gateway", func() client.Object { return &gwv1.Gateway{} }, func() client.ObjectList { return &gwv1.GatewayList{} }},
	{"gateway.networking.k8s.io/v1", "HTTPRoute", func() client.Object { return &gwv1.HTTPRoute{} }, func() client.ObjectList { return &gwv1.HTTPRouteList{} }},
	{"gateway.networking.k8s.io/v1", "ReferenceGrant", func() client.Object { return &gwv1.ReferenceGrant{} }, func() client.ObjectList { return &gwv1.ReferenceGrantList{} }},
	{"v1", "Service", func() client.Object { return &corev1.Service{} }, func() client.ObjectList { return &corev1.ServiceList{} }},
	{"discovery.k8s.io/v1", "EndpointSlice", func() client.Object { return &discoveryv1.EndpointSlice{} }, func() client.ObjectList { return &discoveryv1.EndpointSliceList{} }},
	{"v1", "Secret", func() client.Object { return &corev1.Secret{} }, func() client.ObjectList { return &corev1.SecretList{} }},
	{v1alpha1.GroupVersion, "Backend", func() client.Object { return &v1alpha1.Backend{} }, func() client.ObjectList { return &v1alpha1.BackendList{} }},
	{"v1", "Namespace", func() client.Object { return &corev1.Namespace{} }, func() client.ObjectList { return &corev1.NamespaceList{} }},
	{"v1", "ConfigMap", func() client.Object { return &corev1.ConfigMap{} }, func() client.ObjectList { return &corev1.ConfigMapList{} }},
	{v1alpha1.GroupVersion, "APIServerCORS", func() client.Object { return &v1alpha1.APIServerCORS{} }, func() client.ObjectList { return &v1alpha1.APIServerCORSList{} }},
	{v1alpha1.GroupVersion, "CORSPolicy", func() client.Object { return &v1alpha1.CORSPolicy{} }, func() client.ObjectList { return &v1alpha1.CORSPolicyList{} }},
}

// watchBase starts informers for the GatewayClasses, the CRDs and the base
// kinds; each change asks for a sync.
func (c *Controller) watchBase(ctx context.Context) error {
	h := c.handler()
	objs := []client.Object{&gwv1.GatewayClass{}, &apiextensionsv1.CustomResourceDefinition{}}
	for _, k := range baseKinds {
		objs = append(objs, k.obj())
	}
	for _, o := range objs {
		inf, err := c.cache.GetInformer(ctx, o)
		if err != nil {
			return fmt.Errorf("watch %T: %w (are the Gateway API and corsgate CRDs installed? see docs/kubernetes.md)", o, err)
		}
		if _, err := inf.AddEventHandler(h); err != nil {
			return fmt.Errorf("watch %T: %w", o, err)
		}
	}
	return nil
}

// handler pokes the syncer on every add and delete, and on updates that
// can change the configuration: a status-only update (same generation, the
// leader's own writes among them) is ignored.
func (c *Controller) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.poke() },
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(client.Object)
			n, ok2 := newObj.(client.Object)
			if ok1 && ok2 && n.GetGeneration() != 0 && n.GetGeneration() == o.GetGeneration() &&
				maps.Equal(n.GetLabels(), o.GetLabels()) && n.GetDeletionTimestamp().Equal(o.GetDeletionTimestamp()) {
				return
			}
			c.poke()
		},
		DeleteFunc: func(any) { c.poke() },
	}
}

// resources reads everything the translator needs from the cache. It also
// returns the names of the GatewayClasses this controller serves; with none,
// no Gateway is handed to the translator.
func (c *Controller) resources(ctx context.Context) (*config.Resources, []string, config.Problems, error) {
	var classes gwv1.GatewayClassList
	if err := c.cache.List(ctx, &classes); err != nil {
		return nil, nil, nil, err
	}
	var names []string
	for _, gc := range classes.Items {
		if gc.Spec.ControllerName == config.ControllerName && gc.DeletionTimestamp == nil &&
			(len(c.opts.GatewayClasses) == 0 || slices.Contains(c.opts.GatewayClasses, gc.Name)) {
			names = append(names, gc.Name)
		}
	}
	slices.Sort(names)

	res := &config.Resources{}
	for _, k := range baseKinds {
		if k.kind == "Gateway" && len(names) == 0 {
			continue
		}
		l := k.list()
		if err := c.cache.List(ctx, l); err != nil {
			return nil, nil, nil, fmt.Errorf("list %s: %w", k.kind, err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("list %s: %w", k.kind, err)
		}
		for _, it := range items {
			o := it.(client.Object)
			res.Objects = append(res.Objects, &config.Object{
				APIVersion: k.apiVersion, Kind: k.kind,
				Namespace: o.GetNamespace(), Name: o.GetName(), Value: o,
			})
		}
	}
	objs, problems := c.foreign.objects(ctx)
	res.Objects = append(res.Objects, objs...)
	return res, names, problems, nil
}
