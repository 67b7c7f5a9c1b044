package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/corsgate/corsgate/internal/config"
)

// foreignKind is a kind from a system users migrate from. It is read only
// when its CRD is installed and established; the CRD may come and go.
type foreignKind struct {
	group, kind, plural string
	versions            []string // preferred first; config.Decode knows them all
}

func (k foreignKind) crdName() string { return k.plural + "." + k.group }

var foreignKindList = []foreignKind{
	{"networking.istio.io", "VirtualService", "virtualservices", []string{"v1", "v1beta1", "v1alpha3"}},
	{"networking.istio.io", "Gateway", "gateways", []string{"v1", "v1beta1", "v1alpha3"}},
	{"plugin.flomesh.io", "PluginConfig", "pluginconfigs", []string{"v1alpha1"}},
	{"plugin.flomesh.io", "Plugin", "plugins", []string{"v1alpha1"}},
	{"plugin.flomesh.io", "PluginChain", "pluginchains", []string{"v1alpha1"}},
	{"gateway.kgateway.dev", "TrafficPolicy", "trafficpolicies", []string{"v1alpha1"}},
	{"agentgateway.dev", "AgentgatewayPolicy", "agentgatewaypolicies", []string{"v1alpha1"}},
}

// foreignKinds tracks which foreign kinds are watched.
type foreignKinds struct {
	c *Controller

	mu      sync.Mutex
	active  map[string]schema.GroupVersionKind // crd name -> watched GVK
	missing map[string]bool                    // crd names logged as missing
}

func newForeignKinds(c *Controller) *foreignKinds {
	return &foreignKinds{c: c, active: map[string]schema.GroupVersionKind{}, missing: map[string]bool{}}
}

// refresh starts watching the foreign kinds whose CRD is now established
// and stops watching those whose CRD went away. A missing CRD is logged
// once (info), never an error.
func (f *foreignKinds) refresh(ctx context.Context) {
	var crds apiextensionsv1.CustomResourceDefinitionList
	if err := f.c.cache.List(ctx, &crds); err != nil {
		f.c.log.Warn("cannot list CustomResourceDefinitions; foreign CORS kinds are not read", "error", err)
		return
	}
	byName := make(map[string]*apiextensionsv1.CustomResourceDefinition, len(crds.Items))
	for i := range crds.Items {
		byName[crds.Items[i].Name] = &crds.Items[i]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range foreignKindList {
		name := k.crdName()
		gvk, ok := servedVersion(byName[name], k)
		cur, watching := f.active[name]
		switch {
		case ok && watching && cur == gvk:
		case ok:
			if watching {
				f.stop(ctx, cur)
			}
			if err := f.start(ctx, gvk); err != nil {
				f.c.log.Warn("cannot watch "+k.kind, "crd", name, "error", err)
				continue
			}
			f.active[name] = gvk
			delete(f.missing, name)
			f.c.log.Info("CRD found: reading "+k.kind+" objects", "crd", name, "version", gvk.Version)
		case watching:
			f.stop(ctx, cur)
			delete(f.active, name)
			f.c.log.Info("CRD removed: no longer reading "+k.kind+" objects", "crd", name)
		case !f.missing[name]:
			f.missing[name] = true
			f.c.log.Info("optional CRD not installed: "+k.kind+" objects are not read", "crd", name)
		}
	}
}

// watched returns the GVK read for a foreign group and kind, if its CRD
// is established and watched.
func (f *foreignKinds) watched(group, kind string) (schema.GroupVersionKind, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, gvk := range f.active {
		if gvk.Group == group && gvk.Kind == kind {
			return gvk, true
		}
	}
	return schema.GroupVersionKind{}, false
}

// servedVersion picks the preferred served version of an established CRD.
func servedVersion(crd *apiextensionsv1.CustomResourceDefinition, k foreignKind) (schema.GroupVersionKind, bool) {
	if crd == nil || crd.DeletionTimestamp != nil || crd.Spec.Group != k.group || crd.Spec.Names.Kind != k.kind {
		return schema.GroupVersionKind{}, false
	}
	established := false
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			established = true
		}
	}
	if !established {
		return schema.GroupVersionKind{}, false
	}
	for _, v := range k.versions {
		for _, cv := range crd.Spec.Versions {
			if cv.Name == v && cv.Served {
				return schema.GroupVersionKind{Group: k.group, Version: v, Kind: k.kind}, true
			}
		}
	}
	return schema.GroupVersionKind{}, false
}

func (f *foreignKinds) start(ctx context.Context, gvk schema.GroupVersionKind) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	inf, err := f.c.cache.GetInformer(ctx, u)
	if err != nil {
		return err
	}
	_, err = inf.AddEventHandler(f.c.handler())
	return err
}

func (f *foreignKinds) stop(ctx context.Context, gvk schema.GroupVersionKind) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := f.c.cache.RemoveInformer(ctx, u); err != nil {
		f.c.log.Warn("cannot stop watching "+gvk.Kind, "error", err)
	}
}

// objects lists every watched foreign object and decodes it with the same
// strict decoder the file source uses, so a field corsgate does not support
// is reported the same way. Objects that fail to decode are left out.
func (f *foreignKinds) objects(ctx context.Context) ([]*config.Object, config.Problems) {
	f.mu.Lock()
	gvks := make([]schema.GroupVersionKind, 0, len(f.active))
	for _, k := range foreignKindList {
		if gvk, ok := f.active[k.crdName()]; ok {
			gvks = append(gvks, gvk)
		}
	}
	f.mu.Unlock()

	var (
		out      []*config.Object
		problems config.Problems
	)
	for _, gvk := range gvks {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := f.c.cache.List(ctx, l); err != nil {
			problems = append(problems, config.Problem{Kind: gvk.Kind,
				Message: fmt.Sprintf("cannot list %s objects: %v; they are left out", gvk.Kind, err)})
			continue
		}
		for i := range l.Items {
			objs, ps := decodeForeign(&l.Items[i])
			out = append(out, objs...)
			problems = append(problems, ps...)
		}
	}
	return out, problems
}

// decodeForeign runs one unstructured object through config.Decode. The
// status and server-managed metadata are dropped first: they are not
// configuration and the strict decoder would refuse unknown status fields.
func decodeForeign(u *unstructured.Unstructured) ([]*config.Object, config.Problems) {
	meta := map[string]any{"name": u.GetName()}
	if ns := u.GetNamespace(); ns != "" {
		meta["namespace"] = ns
	}
	if g := u.GetGeneration(); g != 0 {
		meta["generation"] = g
	}
	if ls := u.GetLabels(); len(ls) > 0 {
		meta["labels"] = ls
	}
	if ts := u.GetCreationTimestamp(); !ts.IsZero() {
		meta["creationTimestamp"] = ts.UTC().Format("2006-01-02T15:04:05Z")
	}
	doc := map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind(), "metadata": meta}
	for k, v := range u.Object {
		if k != "apiVersion" && k != "kind" && k != "metadata" && k != "status" {
			doc[k] = v
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, config.Problems{{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(),
			Message: "cannot encode the object: " + err.Error()}}
	}
	objs, ps := config.Decode("", data)
	for i := range ps {
		ps[i].File, ps[i].Line = "", 0
	}
	if ps.Err() != nil {
		return nil, ps
	}
	for _, o := range objs {
		o.File, o.Line = "", 0
	}
	return objs, ps
}
