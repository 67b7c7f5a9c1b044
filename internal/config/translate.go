package config

import (
	"fmt"
	"slices"
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
	// (default StandaloneGatewayClass). GatewayClassNames, when set,
	// replaces it.
	GatewayClassName string
	// GatewayClassNames, when non-empty, are the classes whose Gateways are
	// served (the Kubernetes controller passes the GatewayClasses whose
	// controllerName is ControllerName).
	GatewayClassNames []string
	// Kubernetes switches to Kubernetes semantics: backendRefs to core
	// Services resolve through their EndpointSlices; ReferenceGrants gate
	// cross-namespace backendRefs and certificateRefs; Gateways of classes
	// not served and HTTPRoutes naming none of the served Gateways belong
	// to other controllers and are skipped without a problem; an HTTPRoute
	// whose backendRef cannot be resolved stays attached (that rule
	// answers 500 when none of its backendRefs resolves). An empty
	// BindHost binds every interface.
	Kubernetes bool
	// PortOffset is added to every listener port to get the port bound
	// (80 with offset 10000 binds 10080), so that non-root replicas can
	// serve Gateways declaring privileged ports. ir.Listener.Port keeps the
	// declared port (used for matching and explain); ir.Listener.Address
	// carries the bound one.
	PortOffset int
}

// served reports whether Gateways of class are served.
func (o *Options) served(class string) bool {
	if len(o.GatewayClassNames) > 0 {
		return slices.Contains(o.GatewayClassNames, class)
	}
	return class == o.GatewayClassName
}

// servedClasses renders the served classes for messages.
func (o *Options) servedClasses() string {
	if len(o.GatewayClassNames) > 0 {
		return fmt.Sprintf("one of %q", o.GatewayClassNames)
	}
	return fmt.Sprintf("%q", o.GatewayClassName)
}

// Translate turns resources into an immutable snapshot. It is pure and
// deterministic: the same resources give the same snapshot and problems.
// Invalid objects are left out of the snapshot and reported; the caller
// decides whether any error-severity problem is fatal (startup, reload)
// or reported as status (Kubernetes).
func Translate(res *Resources, opts Options) (*ir.Snapshot, Problems) {
	snap, _, problems := TranslateStatus(res, opts)
	return snap, problems
}

// TranslateStatus is Translate that also returns the status of every
// Gateway of a served class, every HTTPRoute attached to one, and every
// CORS policy (native or converted), as Gateway API conditions. The
// conditions leave LastTransitionTime zero for the caller to merge.
func TranslateStatus(res *Resources, opts Options) (*ir.Snapshot, *Report, Problems) {
	if opts.BindHost == "" && !opts.Kubernetes {
		opts.BindHost = "127.0.0.1"
	}
	if opts.GatewayClassName == "" {
		opts.GatewayClassName = StandaloneGatewayClass
	}
	conv := convertTracked(res)
	t := newTranslator(conv.res, opts)
	t.origin = conv.origin
	t.problems = append(t.problems, conv.problems...)
	t.translateBackends()
	t.translateGateways()
	t.translatePolicies(t.policyObjs)
	t.translateRoutes()
	snap := t.build()
	snap.Settings = t.settings()
	t.addFallbacks(snap)
	report := t.report(conv)
	t.problems.Sort()
	return snap, report, t.problems
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

	// Kubernetes objects (Options.Kubernetes).
	services map[string]*Object // ns/name
	// nsLabels are the labels of the Namespace objects, for listeners that
	// admit routes by namespace selector.
	nsLabels map[string]map[string]string
	epSlices map[string][]*Object // ns/service-name, from the label
	grants   map[string][]*gwv1.ReferenceGrant
	// origin maps an object made by a converter to the foreign object it
	// came from.
	origin map[*Object]*Object
	st     *statusState
}

func newTranslator(res *Resources, opts Options) *translator {
	t := &translator{
		opts:       opts,
		secrets:    map[string]*Object{},
		configMaps: map[string]*Object{},
		backendObj: map[string]*Object{},
		backends:   map[string]*ir.Backend{},
		hosts:      map[int]map[string][]*routeEntry{},
		services:   map[string]*Object{},
		epSlices:   map[string][]*Object{},
		grants:     map[string][]*gwv1.ReferenceGrant{},
		st:         newStatusState(),
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
		case *corev1.Namespace:
			if t.nsLabels == nil {
				t.nsLabels = map[string]map[string]string{}
			}
			t.nsLabels[v.Name] = v.Labels
		case *v1alpha1.ProxySettings:
			t.proxySettings = append(t.proxySettings, o)
		case *v1alpha1.Backend:
			t.backendObj[key(v.Namespace, v.Name)] = o
		case *v1alpha1.CORSPolicy:
			t.policyObjs = append(t.policyObjs, o)
		default:
			t.addKubernetesObject(o)
		}
	}
	return t
}

func (t *translator) errorf(o *Object, field, format string, args ...any) {
	t.problems = append(t.problems, o.Problem(SeverityError, field, fmt.Sprintf(format, args...)))
}

// errorc is errorf with a code: the Gateway API reason the problem maps
// to in status (see translate_status.go).
func (t *translator) errorc(o *Object, field, code, format string, args ...any) {
	p := o.Problem(SeverityError, field, fmt.Sprintf(format, args...))
	p.Code = code
	t.problems = append(t.problems, p)
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
				Address:  joinHostPort(t.opts.BindHost, l.port+t.opts.PortOffset),
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
