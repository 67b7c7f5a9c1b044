package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// listener is one entry of the chart's `listeners` value.
type listener struct {
	name     string
	port     int32
	protocol corev1.Protocol
}

// expect is what a rendering must contain.
type expect struct {
	fullname  string
	replicas  *int32 // nil: the HPA owns the count
	offset    int32
	adminPort int32
	listeners []listener
	hpa       bool
}

var defaultListeners = []listener{{"http", 80, corev1.ProtocolTCP}, {"https", 443, corev1.ProtocolTCP}}

func TestLint(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"--set", "autoscaling.enabled=true,replicaCount=3,gatewayClass.create=true"},
	} {
		out, err := helm(t, append([]string{"lint", "--strict", chartDir(t)}, args...)...)
		if err != nil {
			t.Errorf("helm lint --strict %v: %v", args, err)
		} else if !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("helm lint --strict %v:\n%s", args, out)
		}
	}
}

func TestDefaults(t *testing.T) {
	r := template(t, "corsgate", "gateway-system")
	w := expect{fullname: "corsgate", replicas: ptr(int32(2)), offset: 10000, adminPort: 9901, listeners: defaultListeners}

	wantKinds := []string{"ClusterRole", "ClusterRoleBinding", "Deployment", "PodDisruptionBudget",
		"Role", "RoleBinding", "Service", "Service", "ServiceAccount"}
	var kinds []string
	for _, o := range r.objects {
		kinds = append(kinds, o.Kind)
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("rendered kinds = %v, want %v (no HorizontalPodAutoscaler or GatewayClass by default)", kinds, wantKinds)
	}
	checkAll(t, r, w)
}

func TestAutoscalingAndCustomListeners(t *testing.T) {
	r := template(t, "edge", "edge-system",
		"--set", "autoscaling.enabled=true,replicaCount=3,portOffset=20000",
		"--set-json", `listeners=[{"name":"web","port":8080},{"name":"websecure","port":8443,"protocol":"TCP","appProtocol":"https"},{"name":"h3","port":8443,"protocol":"UDP"}]`,
		"--set-json", `topologySpreadConstraints=[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway"}]`,
	)
	w := expect{fullname: "edge-corsgate", offset: 20000, adminPort: 9901, hpa: true, listeners: []listener{
		{"web", 8080, corev1.ProtocolTCP}, {"websecure", 8443, corev1.ProtocolTCP}, {"h3", 8443, corev1.ProtocolUDP},
	}}
	checkAll(t, r, w)

	var d appsv1.Deployment
	decode(t, r.one(t, "Deployment", w.fullname), &d)
	tsc := d.Spec.Template.Spec.TopologySpreadConstraints
	if len(tsc) != 1 || tsc[0].TopologyKey != "topology.kubernetes.io/zone" || tsc[0].LabelSelector == nil ||
		!mapsEqual(tsc[0].LabelSelector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("topologySpreadConstraints = %+v, want the zone constraint with the pods' selector labels", tsc)
	}
}

func TestReplicas(t *testing.T) {
	// One replica: no PodDisruptionBudget (minAvailable 1 would block every
	// node drain), and the anti-affinity is still only preferred.
	r := template(t, "corsgate", "gateway-system", "--set", "replicaCount=1")
	if pdbs := r.all("PodDisruptionBudget"); len(pdbs) != 0 {
		t.Errorf("replicaCount=1 rendered %v, want no PodDisruptionBudget", pdbs)
	}
	var d appsv1.Deployment
	decode(t, r.one(t, "Deployment", "corsgate"), &d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", d.Spec.Replicas)
	}
}

func TestGatewayClass(t *testing.T) {
	r := template(t, "corsgate", "gateway-system", "--set", "gatewayClass.create=true")
	var gc gwv1.GatewayClass
	decode(t, r.one(t, "GatewayClass", "corsgate"), &gc)
	if gc.APIVersion != "gateway.networking.k8s.io/v1" || gc.Spec.ControllerName != "corsgate.dev/gateway-controller" {
		t.Errorf("GatewayClass %s controllerName %q, want gateway.networking.k8s.io/v1 and corsgate.dev/gateway-controller",
			gc.APIVersion, gc.Spec.ControllerName)
	}
	if gc.Namespace != "" {
		t.Errorf("GatewayClass is cluster-scoped but has namespace %q", gc.Namespace)
	}
	checkLabels(t, r)
}

func TestRefusedValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"offset overflow", []string{"--set-json", `listeners=[{"name":"http","port":60000}]`}, "is above 65535"},
		{"duplicate name", []string{"--set-json", `listeners=[{"name":"a","port":80},{"name":"a","port":81}]`}, "appears twice"},
		{"duplicate port", []string{"--set-json", `listeners=[{"name":"a","port":80},{"name":"b","port":80}]`}, "appears twice"},
		{"reserved name", []string{"--set-json", `listeners=[{"name":"admin","port":80}]`}, "reserved"},
		{"long name", []string{"--set-json", `listeners=[{"name":"much-too-long-name","port":80}]`}, "maxLength"},
		{"no listeners", []string{"--set-json", `listeners=[]`}, "minItems"},
		{"admin collision", []string{"--set", "portOffset=0,admin.port=80"}, "collides with admin.port"},
		{"grace not above drain", []string{"--set", "terminationGracePeriodSeconds=30"}, "must be larger than controller.drainTimeoutSeconds"},
		{"hpa without metric", []string{"--set", "autoscaling.enabled=true,autoscaling.targetCPUUtilizationPercentage=null"}, "needs targetCPUUtilizationPercentage"},
		{"bad log format", []string{"--set", "controller.logFormat=xml"}, "logFormat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := templateErr(t, "corsgate", "gateway-system", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("helm template %v: error %v, want one containing %q", tc.args, err, tc.wantErr)
			}
		})
	}
}

// TestCRDs checks that every CRD in charts/corsgate/crds (generated there
// by another tool) is rendered by `helm template --include-crds`.
func TestCRDs(t *testing.T) {
	dir := filepath.Join(chartDir(t), "crds")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		t.Log("charts/corsgate/crds does not exist: no CRDs to check")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // CRD name -> file
	var crds []apiextensionsCRD
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := parseDocuments(f)
		f.Close()
		if err != nil {
			t.Fatalf("crds/%s: %v", e.Name(), err)
		}
		for _, o := range objs {
			if o.Kind != "CustomResourceDefinition" {
				t.Errorf("crds/%s holds %s; Helm installs this folder as CRDs only", e.Name(), o)
				continue
			}
			want[o.Metadata.Name] = e.Name()
			var crd apiextensionsCRD
			if err := json.Unmarshal(o.raw, &crd); err != nil {
				t.Fatalf("crds/%s: %v", e.Name(), err)
			}
			crds = append(crds, crd)
		}
	}
	if len(want) == 0 {
		t.Log("charts/corsgate/crds holds no CRD")
		return
	}
	r := template(t, "corsgate", "gateway-system", "--include-crds")
	got := map[string]bool{}
	for _, o := range r.all("CustomResourceDefinition") {
		got[o.Metadata.Name] = true
	}
	for name, file := range want {
		if !got[name] {
			t.Errorf("CRD %s from crds/%s is not rendered by helm template --include-crds", name, file)
		}
	}

	// The ClusterRole names corsgate's resources by their CRDs' plurals,
	// and writes status only where the CRD has a status subresource.
	var cr rbacv1.ClusterRole
	decode(t, r.one(t, "ClusterRole", "corsgate"), &cr)
	granted := grants(t, "ClusterRole", cr.Rules)
	statusOf := map[string]bool{}
	for _, crd := range crds {
		if crd.Spec.Group != "corsgate.dev" {
			continue
		}
		plural := crd.Spec.Names.Plural
		if v := granted[grant{crd.Spec.Group, plural}]; !sameSet(v, []string{"get", "list", "watch"}) {
			t.Errorf("ClusterRole verbs on %s.%s (CRD %s) = %v, want get, list, watch", plural, crd.Spec.Group, crd.Metadata.Name, v)
		}
		for _, v := range crd.Spec.Versions {
			if v.Served && v.Subresources.Status != nil {
				statusOf[plural+"/status"] = true
			}
		}
	}
	for g := range granted {
		if g.group == "corsgate.dev" && strings.HasSuffix(g.resource, "/status") && !statusOf[g.resource] {
			t.Errorf("ClusterRole grants %s, but no corsgate.dev CRD in crds/ has that status subresource", g)
		}
	}
}

// apiextensionsCRD is the part of a CustomResourceDefinition the tests read.
type apiextensionsCRD struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Plural string `json:"plural"`
		} `json:"names"`
		Versions []struct {
			Served       bool `json:"served"`
			Subresources struct {
				Status *struct{} `json:"status"`
			} `json:"subresources"`
		} `json:"versions"`
	} `json:"spec"`
}

// checkAll runs every check that holds for any rendering.
func checkAll(t *testing.T, r rendering, w expect) {
	t.Helper()
	d := checkDeployment(t, r, w)
	checkServices(t, r, w, d)
	checkRBAC(t, r, w)
	checkDisruption(t, r, w, d)
	checkLabels(t, r)
}

func checkDeployment(t *testing.T, r rendering, w expect) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	decode(t, r.one(t, "Deployment", w.fullname), &d)
	if d.Namespace != r.namespace {
		t.Errorf("Deployment namespace %q, want %q", d.Namespace, r.namespace)
	}
	switch {
	case w.replicas == nil && d.Spec.Replicas != nil:
		t.Errorf("Deployment sets replicas %d, want none (the HorizontalPodAutoscaler owns the count)", *d.Spec.Replicas)
	case w.replicas != nil && (d.Spec.Replicas == nil || *d.Spec.Replicas != *w.replicas):
		t.Errorf("Deployment replicas %v, want %d", d.Spec.Replicas, *w.replicas)
	}
	pod := d.Spec.Template.Spec
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels) == 0 || !subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("Deployment selector %v does not select its pod labels %v", d.Spec.Selector, d.Spec.Template.Labels)
	}
	if pod.ServiceAccountName != w.fullname {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, w.fullname)
	}

	// Pod and container security.
	psc := pod.SecurityContext
	if psc == nil || !isTrue(psc.RunAsNonRoot) || !is(psc.RunAsUser, 65532) || psc.SeccompProfile == nil ||
		psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v, want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("pod has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || !isTrue(sc.RunAsNonRoot) || !is(sc.RunAsUser, 65532) || !isTrue(sc.ReadOnlyRootFilesystem) ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || (sc.Privileged != nil && *sc.Privileged) ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container securityContext %+v, want runAsNonRoot, runAsUser 65532, readOnlyRootFilesystem, "+
			"no privilege escalation, capabilities drop [ALL] add none, seccomp RuntimeDefault", sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v, want cpu and memory requests and a memory limit", c.Resources)
	}

	// Downward API: $(POD_NAMESPACE) in the args needs it.
	for name, path := range map[string]string{"POD_NAMESPACE": "metadata.namespace", "POD_NAME": "metadata.name"} {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		if i < 0 || c.Env[i].ValueFrom == nil || c.Env[i].ValueFrom.FieldRef == nil || c.Env[i].ValueFrom.FieldRef.FieldPath != path {
			t.Errorf("env %s: want valueFrom.fieldRef.fieldPath %s; env is %+v", name, path, c.Env)
		}
	}

	// The command line of `corsgate controller`.
	flags := checkArgs(t, c, w, d.Namespace)
	drain, err := time.ParseDuration(flags["drain-timeout"])
	if err != nil {
		t.Errorf("--drain-timeout=%q: %v", flags["drain-timeout"], err)
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= drain {
		t.Errorf("terminationGracePeriodSeconds %v, want more than --drain-timeout %s", g, drain)
	}

	// Container ports: each listener at port+offset, plus admin.
	ports := map[string]corev1.ContainerPort{}
	for _, p := range c.Ports {
		if _, dup := ports[p.Name]; dup {
			t.Errorf("container port name %q appears twice", p.Name)
		}
		ports[p.Name] = p
	}
	for _, l := range w.listeners {
		p, ok := ports[l.name]
		if !ok || p.ContainerPort != l.port+w.offset || p.Protocol != l.protocol {
			t.Errorf("container port %q = %+v, want %d/%s (listener port %d + offset %d)", l.name, p, l.port+w.offset, l.protocol, l.port, w.offset)
		}
	}
	if p := ports["admin"]; p.ContainerPort != w.adminPort {
		t.Errorf("admin container port %d, want %d", p.ContainerPort, w.adminPort)
	}
	if len(c.Ports) != len(w.listeners)+1 {
		t.Errorf("container ports %+v, want the %d listeners and admin", c.Ports, len(w.listeners))
	}

	// Probes on the admin server.
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s probe %+v, want httpGet %s", pr.name, pr.probe, pr.path)
			continue
		}
		g := pr.probe.HTTPGet
		if g.Path != pr.path || resolvePort(c, g.Port) != w.adminPort {
			t.Errorf("%s probe GET %s on port %s, want %s on the admin port %d", pr.name, g.Path, g.Port.String(), pr.path, w.adminPort)
		}
	}

	// Replicas spread over nodes, preferably.
	aff := pod.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Errorf("affinity %+v, want preferred pod anti-affinity", aff)
	} else {
		if len(aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 0 {
			t.Error("pod anti-affinity is required; want only preferred, so a small cluster still schedules every replica")
		}
		term := aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
		if term.TopologyKey != "kubernetes.io/hostname" || term.LabelSelector == nil || !mapsEqual(term.LabelSelector.MatchLabels, d.Spec.Selector.MatchLabels) {
			t.Errorf("anti-affinity term %+v, want hostname topology and the pods' selector labels", term)
		}
	}
	return &d
}

// checkArgs checks the arguments of `corsgate controller` and returns the
// flags as name -> value.
func checkArgs(t *testing.T, c corev1.Container, w expect, ns string) map[string]string {
	t.Helper()
	if len(c.Command) != 0 {
		t.Errorf("command %q overrides the image entrypoint /corsgate", c.Command)
	}
	if len(c.Args) == 0 || c.Args[0] != "controller" {
		t.Fatalf("args %q, want the controller subcommand first", c.Args)
	}
	flags := map[string]string{}
	for _, a := range c.Args[1:] {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok || !strings.HasPrefix(a, "--") {
			t.Errorf("argument %q is not --flag=value", a)
			continue
		}
		if _, dup := flags[name]; dup {
			t.Errorf("flag --%s is passed twice", name)
		}
		flags[name] = value
	}
	want := map[string]string{
		"bind":        "0.0.0.0",
		"port-offset": strconv.Itoa(int(w.offset)),
		"admin-addr":  "0.0.0.0:" + strconv.Itoa(int(w.adminPort)),
		"admin-allowed-host": strings.Join([]string{w.fullname + "-admin", w.fullname + "-admin." + ns,
			w.fullname + "-admin." + ns + ".svc", w.fullname + "-admin." + ns + ".svc.cluster.local"}, ","),
		"leader-elect":              "true",
		"leader-election-namespace": "$(POD_NAMESPACE)",
		"leader-election-id":        "corsgate-controller",
		"address-service":           "$(POD_NAMESPACE)/" + w.fullname,
		"drain-timeout":             "30s",
		"log-format":                "json",
		"log-level":                 "info",
	}
	for name, v := range want {
		if got, ok := flags[name]; !ok || got != v {
			t.Errorf("--%s=%q, want %q (args %q)", name, got, v, c.Args)
		}
	}
	for name := range flags {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected flag --%s in the default args %q", name, c.Args)
		}
	}
	return flags
}

func checkServices(t *testing.T, r rendering, w expect, d *appsv1.Deployment) {
	t.Helper()
	var svc corev1.Service
	decode(t, r.one(t, "Service", w.fullname), &svc)
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("traffic Service type %q, want LoadBalancer", svc.Spec.Type)
	}
	if !mapsEqual(svc.Spec.Selector, d.Spec.Selector.MatchLabels) {
		t.Errorf("traffic Service selector %v, want the Deployment's %v", svc.Spec.Selector, d.Spec.Selector.MatchLabels)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if len(svc.Spec.Ports) != len(w.listeners) {
		t.Errorf("traffic Service ports %+v, want one per listener %+v", svc.Spec.Ports, w.listeners)
	}
	for _, l := range w.listeners {
		i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == l.name })
		if i < 0 {
			t.Errorf("traffic Service has no port %q", l.name)
			continue
		}
		p := svc.Spec.Ports[i]
		if p.Port != l.port || p.Protocol != l.protocol || resolvePort(c, p.TargetPort) != l.port+w.offset {
			t.Errorf("traffic Service port %q: %d/%s -> %s, want %d/%s -> %d", l.name, p.Port, p.Protocol, p.TargetPort.String(), l.port, l.protocol, l.port+w.offset)
		}
	}

	var admin corev1.Service
	decode(t, r.one(t, "Service", w.fullname+"-admin"), &admin)
	if admin.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("admin Service type %q, want ClusterIP", admin.Spec.Type)
	}
	if len(admin.Spec.Ports) != 1 || admin.Spec.Ports[0].Port != w.adminPort || resolvePort(c, admin.Spec.Ports[0].TargetPort) != w.adminPort {
		t.Errorf("admin Service ports %+v, want %d -> the admin container port", admin.Spec.Ports, w.adminPort)
	}
	if !mapsEqual(admin.Spec.Selector, d.Spec.Selector.MatchLabels) {
		t.Errorf("admin Service selector %v, want the Deployment's %v", admin.Spec.Selector, d.Spec.Selector.MatchLabels)
	}
	a := admin.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != strconv.Itoa(int(w.adminPort)) || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("admin Service annotations %v, want prometheus.io scrape/port/path", a)
	}
}

// grant is one (apiGroup, resource) a role grants verbs on.
type grant struct{ group, resource string }

func checkRBAC(t *testing.T, r rendering, w expect) {
	t.Helper()
	var sa corev1.ServiceAccount
	decode(t, r.one(t, "ServiceAccount", w.fullname), &sa)

	var cr rbacv1.ClusterRole
	decode(t, r.one(t, "ClusterRole", w.fullname), &cr)
	var role rbacv1.Role
	decode(t, r.one(t, "Role", w.fullname), &role)
	if role.Namespace != r.namespace {
		t.Errorf("Role namespace %q, want the release namespace %q (where the Lease lives)", role.Namespace, r.namespace)
	}
	clusterGrants := grants(t, "ClusterRole", cr.Rules)
	roleGrants := grants(t, "Role", role.Rules)

	read := []string{"get", "list", "watch"}
	// Verbs beyond read allowed per grant; nothing else may write.
	writes := map[grant][]string{
		{"gateway.networking.k8s.io", "gatewayclasses/status"}: {"update", "patch"},
		{"gateway.networking.k8s.io", "gateways/status"}:       {"update", "patch"},
		{"gateway.networking.k8s.io", "httproutes/status"}:     {"update", "patch"},
		{"corsgate.dev", "corspolicies/status"}:                {"update", "patch"},
		{"gateway.kgateway.dev", "trafficpolicies/status"}:     {"update", "patch"},
		{"agentgateway.dev", "agentgatewaypolicies/status"}:    {"update", "patch"},
		{"", "events"}:              {"create", "patch"},
		{"events.k8s.io", "events"}: {"create", "patch"},
	}
	for g, verbs := range clusterGrants {
		for _, v := range verbs {
			if !slices.Contains(read, v) && !slices.Contains(writes[g], v) {
				t.Errorf("ClusterRole grants %q on %s; only reads, status updates and events are cluster-wide", v, g)
			}
		}
	}
	leaseVerbs := []string{"get", "list", "watch", "create", "update", "patch"}
	for g, verbs := range roleGrants {
		if g != (grant{"coordination.k8s.io", "leases"}) {
			t.Errorf("Role grants %v on %s; the Role is for the leader-election Lease only", verbs, g)
			continue
		}
		for _, v := range verbs {
			if !slices.Contains(leaseVerbs, v) {
				t.Errorf("Role grants %q on leases; leader election needs only %v", v, leaseVerbs)
			}
		}
	}
	if v := clusterGrants[grant{"", "secrets"}]; !sameSet(v, read) {
		t.Errorf("ClusterRole verbs on secrets %v, want exactly %v", v, read)
	}
	if _, ok := clusterGrants[grant{"coordination.k8s.io", "leases"}]; ok {
		t.Error("ClusterRole grants leases; they belong in the namespaced Role")
	}

	// Everything the controller needs is granted.
	need := map[grant][]string{
		{"coordination.k8s.io", "leases"}: leaseVerbs,
	}
	for _, res := range []string{"gatewayclasses", "gateways", "httproutes", "referencegrants"} {
		need[grant{"gateway.networking.k8s.io", res}] = read
	}
	for _, g := range []grant{
		{"", "services"}, {"", "secrets"}, {"discovery.k8s.io", "endpointslices"},
		{"corsgate.dev", "corspolicies"}, {"corsgate.dev", "backends"}, {"corsgate.dev", "proxysettings"}, {"corsgate.dev", "apiservercorses"},
		{"apiextensions.k8s.io", "customresourcedefinitions"},
		{"networking.istio.io", "virtualservices"}, {"networking.istio.io", "gateways"},
		{"plugin.flomesh.io", "pluginconfigs"}, {"plugin.flomesh.io", "plugins"}, {"plugin.flomesh.io", "pluginchains"},
		{"gateway.kgateway.dev", "trafficpolicies"}, {"agentgateway.dev", "agentgatewaypolicies"},
	} {
		need[g] = read
	}
	for g, verbs := range writes {
		need[g] = verbs
	}
	for g, verbs := range need {
		have := clusterGrants[g]
		if g.resource == "leases" {
			have = roleGrants[g]
		}
		for _, v := range verbs {
			if !slices.Contains(have, v) {
				t.Errorf("%q on %s is not granted (has %v)", v, g, have)
			}
		}
	}

	// Bindings tie the roles to the pods' ServiceAccount.
	var crb rbacv1.ClusterRoleBinding
	decode(t, r.one(t, "ClusterRoleBinding", w.fullname), &crb)
	checkBinding(t, "ClusterRoleBinding", crb.RoleRef, crb.Subjects, "ClusterRole", cr.Name, sa.Name, r.namespace)
	var rb rbacv1.RoleBinding
	decode(t, r.one(t, "RoleBinding", w.fullname), &rb)
	checkBinding(t, "RoleBinding", rb.RoleRef, rb.Subjects, "Role", role.Name, sa.Name, r.namespace)
	if rb.Namespace != r.namespace {
		t.Errorf("RoleBinding namespace %q, want %q", rb.Namespace, r.namespace)
	}
}

// grants flattens rules into (group, resource) -> verbs, refusing
// wildcards, resourceNames and non-resource URLs.
func grants(t *testing.T, kind string, rules []rbacv1.PolicyRule) map[grant][]string {
	t.Helper()
	out := map[grant][]string{}
	for _, rule := range rules {
		if slices.Contains(rule.Verbs, "*") || slices.Contains(rule.Resources, "*") || slices.Contains(rule.APIGroups, "*") {
			t.Errorf("%s rule %+v uses a wildcard", kind, rule)
		}
		if len(rule.NonResourceURLs) != 0 || len(rule.Verbs) == 0 || len(rule.Resources) == 0 || len(rule.APIGroups) == 0 {
			t.Errorf("%s rule %+v: want apiGroups, resources and verbs, no nonResourceURLs", kind, rule)
		}
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				out[grant{g, res}] = append(out[grant{g, res}], rule.Verbs...)
			}
		}
	}
	return out
}

func checkBinding(t *testing.T, kind string, ref rbacv1.RoleRef, subjects []rbacv1.Subject, roleKind, roleName, sa, ns string) {
	t.Helper()
	if ref.APIGroup != rbacv1.GroupName || ref.Kind != roleKind || ref.Name != roleName {
		t.Errorf("%s roleRef %+v, want %s %s", kind, ref, roleKind, roleName)
	}
	if len(subjects) != 1 || subjects[0].Kind != rbacv1.ServiceAccountKind || subjects[0].Name != sa || subjects[0].Namespace != ns {
		t.Errorf("%s subjects %+v, want ServiceAccount %s/%s", kind, subjects, ns, sa)
	}
}

func checkDisruption(t *testing.T, r rendering, w expect, d *appsv1.Deployment) {
	t.Helper()
	var pdb policyv1.PodDisruptionBudget
	decode(t, r.one(t, "PodDisruptionBudget", w.fullname), &pdb)
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 || pdb.Spec.MaxUnavailable != nil {
		t.Errorf("PodDisruptionBudget minAvailable %v maxUnavailable %v, want minAvailable 1", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
	}
	if pdb.Spec.Selector == nil || !mapsEqual(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget selector %v, want the Deployment's %v", pdb.Spec.Selector, d.Spec.Selector.MatchLabels)
	}

	hpas := r.all("HorizontalPodAutoscaler")
	if !w.hpa {
		if len(hpas) != 0 {
			t.Errorf("rendered %v with autoscaling disabled", hpas)
		}
		return
	}
	if len(hpas) != 1 {
		t.Fatalf("rendered %d HorizontalPodAutoscalers, want 1", len(hpas))
	}
	var hpa autoscalingv2.HorizontalPodAutoscaler
	decode(t, hpas[0], &hpa)
	if hpa.APIVersion != "autoscaling/v2" {
		t.Errorf("HorizontalPodAutoscaler apiVersion %q, want autoscaling/v2", hpa.APIVersion)
	}
	ref := hpa.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("HorizontalPodAutoscaler scaleTargetRef %+v, want apps/v1 Deployment %s", ref, d.Name)
	}
	if !is(hpa.Spec.MinReplicas, 2) || hpa.Spec.MaxReplicas < 2 || len(hpa.Spec.Metrics) == 0 {
		t.Errorf("HorizontalPodAutoscaler min %v max %d metrics %+v, want min 2, max >= min, a metric", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, hpa.Spec.Metrics)
	}
}

// checkLabels checks that every rendered object (and the pod template)
// carries the standard labels.
func checkLabels(t *testing.T, r rendering) {
	t.Helper()
	check := func(what string, labels map[string]string) {
		t.Helper()
		want := map[string]string{
			"app.kubernetes.io/name":       "corsgate",
			"app.kubernetes.io/instance":   r.release,
			"app.kubernetes.io/managed-by": "Helm",
		}
		for k, v := range want {
			if labels[k] != v {
				t.Errorf("%s label %s=%q, want %q", what, k, labels[k], v)
			}
		}
		for _, k := range []string{"app.kubernetes.io/version", "helm.sh/chart"} {
			if labels[k] == "" {
				t.Errorf("%s has no %s label", what, k)
			}
		}
	}
	clusterScoped := map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true, "GatewayClass": true}
	for _, o := range r.objects {
		if o.Kind == "CustomResourceDefinition" {
			continue // generated, not templated
		}
		check(o.String(), o.Metadata.Labels)
		switch {
		case clusterScoped[o.Kind] && o.Metadata.Namespace != "":
			t.Errorf("cluster-scoped %s has namespace %q", o, o.Metadata.Namespace)
		case !clusterScoped[o.Kind] && o.Metadata.Namespace != r.namespace:
			t.Errorf("%s namespace %q, want the release namespace %q", o, o.Metadata.Namespace, r.namespace)
		}
		if o.Kind == "Deployment" {
			var d appsv1.Deployment
			decode(t, o, &d)
			check(o.String()+" pod template", d.Spec.Template.Labels)
		}
	}
}

// resolvePort returns the container port p names (by number or name), or
// -1.
func resolvePort(c corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		for _, cp := range c.Ports {
			if cp.ContainerPort == p.IntVal {
				return p.IntVal
			}
		}
		return -1
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return -1
}

func ptr[T any](v T) *T { return &v }

func isTrue(b *bool) bool { return b != nil && *b }

func is[T comparable](p *T, v T) bool { return p != nil && *p == v }

// subset reports whether every entry of a is in b.
func subset(a, b map[string]string) bool {
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func mapsEqual(a, b map[string]string) bool { return len(a) == len(b) && subset(a, b) }

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
