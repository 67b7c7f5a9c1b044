package config

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
)

// ControllerName is the GatewayClass controllerName corsgate answers to.
const ControllerName = "corsgate.dev/gateway-controller"

// StandaloneGatewayClass is the gatewayClassName Gateways must use when
// corsgate runs from files.
const StandaloneGatewayClass = "corsgate"

// Options tune a translation.
type Options struct {
	// BindHost is the address listeners bind to (default "127.0.0.1").
	BindHost string
	// GatewayClassName is the class whose Gateways are served
	// (default StandaloneGatewayClass).
	GatewayClassName string
}

// Translate turns resources into an immutable snapshot. It is pure and
// deterministic: the same resources give the same snapshot and problems.
// Invalid objects are left out of the snapshot and reported; the caller
// decides whether any error-severity problem is fatal (startup, reload)
// or reported as status (Kubernetes).
func Translate(res *Resources, opts Options) (*ir.Snapshot, Problems) {
	if opts.BindHost == "" {
		opts.BindHost = "127.0.0.1"
	}
	if opts.GatewayClassName == "" {
		opts.GatewayClassName = StandaloneGatewayClass
	}
	res, converted := Convert(res)
	t := newTranslator(res, opts)
	t.problems = append(t.problems, converted...)
	t.translateBackends()
	t.translateGateways()
	t.translatePolicies(t.policyObjs)
	t.translateRoutes()
	snap := t.build()
	snap.Settings = t.settings()
	t.addFallbacks(snap)
	t.problems.Sort()
	return snap, t.problems
}

// translator carries the state of one Translate call.
type translator struct {
	opts     Options
	problems Problems

	gateways   []*Object
	routes     []*Object
	secrets    map[string]*Object // ns/name
	configMaps map[string]*Object
	backendObj map[string]*Object
	// proxySettings are the ProxySettings objects, in load order.
	proxySettings []*Object

	policyObjs []*Object              // CORSPolicies, native and converted
	pol        *policyState           // attached CORSPolicies (translate_policy.go)
	backends   map[string]*ir.Backend // ns/name -> translated (valid only)
	listeners  []*gwListener          // valid Gateway listeners, in order
	// hosts: per port, the flattened route entries per effective hostname.
	hosts map[int]map[string][]*routeEntry
}

func newTranslator(res *Resources, opts Options) *translator {
	t := &translator{
		opts:       opts,
		secrets:    map[string]*Object{},
		configMaps: map[string]*Object{},
		backendObj: map[string]*Object{},
		backends:   map[string]*ir.Backend{},
		hosts:      map[int]map[string][]*routeEntry{},
	}
	if res == nil {
		return t
	}
	for _, o := range res.Objects {
		switch v := o.Value.(type) {
		case *gwv1.Gateway:
			t.gateways = append(t.gateways, o)
		case *gwv1.HTTPRoute:
			t.routes = append(t.routes, o)
		case *corev1.Secret:
			t.secrets[key(v.Namespace, v.Name)] = o
		case *corev1.ConfigMap:
			t.configMaps[key(v.Namespace, v.Name)] = o
		case *v1alpha1.ProxySettings:
			t.proxySettings = append(t.proxySettings, o)
		case *v1alpha1.Backend:
			t.backendObj[key(v.Namespace, v.Name)] = o
		case *v1alpha1.CORSPolicy:
			t.policyObjs = append(t.policyObjs, o)
		}
	}
	return t
}

func (t *translator) errorf(o *Object, field, format string, args ...any) {
	t.problems = append(t.problems, o.Problem(SeverityError, field, fmt.Sprintf(format, args...)))
}

func (t *translator) warnf(o *Object, field, code, format string, args ...any) {
	p := o.Problem(SeverityWarning, field, fmt.Sprintf(format, args...))
	p.Code = code
	t.problems = append(t.problems, p)
}

func key(ns, name string) string { return ns + "/" + name }

// source renders FILE:LINE of a field of o.
func source(o *Object, field string) string {
	if o.File == "" {
		return o.Kind + " " + key(o.Namespace, o.Name)
	}
	return fmt.Sprintf("%s:%d", o.File, o.FieldLine(field))
}

// build assembles the snapshot from the translated pieces.
func (t *translator) build() *ir.Snapshot {
	snap := &ir.Snapshot{CreatedAt: time.Time{}}
	byPort := map[int]*ir.Listener{}
	var ports []int
	for _, l := range t.listeners {
		il := byPort[l.port]
		if il == nil {
			il = &ir.Listener{
				Address:  joinHostPort(t.opts.BindHost, l.port),
				Port:     l.port,
				Protocol: l.protocol,
			}
			byPort[l.port] = il
			ports = append(ports, l.port)
		}
		il.Names = append(il.Names, l.id)
		if l.cert != nil {
			il.Certificates = append(il.Certificates, l.cert)
		}
	}
	sort.Ints(ports)
	for _, p := range ports {
		il := byPort[p]
		il.Hosts = virtualHosts(t.hosts[p])
		il.Index = ir.NewHostIndex(il.Hosts)
		snap.Listeners = append(snap.Listeners, il)
	}
	used := map[string]bool{}
	for _, il := range snap.Listeners {
		for _, h := range il.Hosts {
			for _, r := range h.Routes {
				for _, wb := range r.Backends {
					used[wb.BackendID] = true
				}
			}
		}
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		snap.Backends = append(snap.Backends, t.backends[id])
	}
	return snap
}
