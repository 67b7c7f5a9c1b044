package kube

// TestExamples applies every example of examples/ with a client to the real
// API server (corsgate's CRDs with their CEL rules, the Gateway API CRDs and
// the foreign test CRDs), so the API server must accept what users copy,
// then serves each one twice: by a `corsgate controller` replica from the
// API server, and by `corsgate run -c DIR` (file mode, in-process) from the
// same copied files. Both must answer the same requests identically
// (status, every Access-Control-* header, Vary). examples/bad-cors is
// refused by file mode; in Kubernetes it must be refused where CEL says so,
// reported in status where corsgate says so, and the valid rest must serve.
//
// examples/monitoring is not applied: it holds a Grafana dashboard and a
// PrometheusRule, no gateway configuration.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/corsgate/corsgate/internal/testutil"
	"github.com/corsgate/corsgate/internal/testutil/inproc"
)

const examplesDir = "../../examples"

// exCRDs records the foreign CRDs this test process created (installed
// once; TestExamples deletes them again when it ends, so that
// TestForeignCRDInstalledLater still finds the TrafficPolicy CRD missing
// whichever order the tests run in).
var exCRDs struct {
	sync.Mutex
	created map[string]bool // CRD name -> created here and not yet deleted
}

// ensureCRD installs one of the foreign test CRDs unless it exists and
// waits until it is established. It reports the CRD's name and whether
// this call created it.
func ensureCRD(t *testing.T, ctx context.Context, file string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(foreignCRD, file))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(b, crd); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	exCRDs.Lock()
	defer exCRDs.Unlock()
	created := false
	switch err := k8s.Create(ctx, crd); {
	case err == nil:
		created = true
		if exCRDs.created == nil {
			exCRDs.created = map[string]bool{}
		}
		exCRDs.created[crd.Name] = true
	case apierrors.IsAlreadyExists(err):
	default:
		t.Fatalf("create CRD %s: %v", crd.Name, err)
	}
	eventually(t, 20*time.Second, func() error {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := k8s.Get(ctx, clientKey(crd.Name), got); err != nil {
			return err
		}
		if got.DeletionTimestamp != nil {
			return errStop(fmt.Errorf("CRD %s is being deleted", crd.Name))
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("CRD %s not established yet", crd.Name)
	})
	return crd.Name, created
}

// removeCRD deletes a CRD ensureCRD created and waits until it is gone
// (its objects go with it).
func removeCRD(t *testing.T, name string) {
	t.Helper()
	exCRDs.Lock()
	defer exCRDs.Unlock()
	if !exCRDs.created[name] {
		return
	}
	ctx := context.Background()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	crd.Name = name
	if err := k8s.Delete(ctx, crd); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete CRD %s: %v", name, err)
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := k8s.Get(ctx, clientKey(name), &apiextensionsv1.CustomResourceDefinition{})
		if apierrors.IsNotFound(err) {
			delete(exCRDs.created, name)
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("CRD %s still present 60s after its deletion: %v", name, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// example is one directory of examples/ and what serving it needs.
type example struct {
	name     string   // subtest name, also the GatewayClass ex-<name>
	files    []string // YAML files, relative to examples/; copied flat
	ns       string   // namespace of the objects that name none
	crds     []string // foreign test CRDs the example uses
	listen   []int    // listener ports of the YAML
	upstream func(t *testing.T) map[int]int
	// convertedClass: the example has Istio Gateways or APIServerCORS,
	// which corsgate turns into Gateways of class "corsgate".
	convertedClass bool
	host           string   // Host header of every request
	origins        []string // origins to try besides those in the YAML
	paths          []string // paths to try besides those in the YAML
	// prepare adjusts the copied directory (e.g. the CA of kube-apiserver).
	prepare func(t *testing.T, dir string)
}

func (e example) class() string { return "ex-" + e.name }

func TestExamples(t *testing.T) {
	ctx := needCluster(t)
	var caPEM []byte
	examples := []example{
		{name: "agentgateway-httpbin", files: glob(t, "agentgateway-httpbin"), ns: "ex-agentgateway",
			crds: []string{"agentgateway.dev_agentgatewaypolicies.yaml"}, listen: []int{8080},
			upstream: func(t *testing.T) map[int]int { return map[int]int{8000: testutil.HTTPBin(t)} },
			host:     "cors.example", origins: []string{"https://notallowed.com"}},
		{name: "fsm-pipy", files: glob(t, "fsm-pipy"), ns: "pipy",
			crds:   []string{"plugin.flomesh.io_pluginconfigs.yaml", "plugin.flomesh.io_plugins.yaml", "plugin.flomesh.io_pluginchains.yaml"},
			listen: []int{8080},
			upstream: func(t *testing.T) map[int]int {
				return map[int]int{9080: testutil.NamedBackend(t, "pipy-ok"), 9081: testutil.NamedBackend(t, "httpbin")}
			},
			origins: []string{"http://www.test.com:8443", "http://www.test.com.cn", "http://bob.com", "http://b.com.evil.example"}},
		{name: "istio-asm", files: glob(t, "istio-asm"), ns: "bookinfo",
			crds:   []string{"networking.istio.io_gateways.yaml", "networking.istio.io_virtualservices.yaml"},
			listen: []int{8080}, convertedClass: true,
			upstream: func(t *testing.T) map[int]int {
				front := testutil.Serve(t, http.FileServer(http.Dir(filepath.Join(examplesDir, "istio-asm", "frontend"))), nil)
				return map[int]int{8081: front, 9080: testutil.NamedBackend(t, "details"), 9081: testutil.NamedBackend(t, "productpage")}
			},
			origins: []string{"http://localhost:9999"}},
		{name: "kgateway-petstore", files: glob(t, "kgateway-petstore"), ns: "ex-kgateway",
			crds: []string{"gateway.kgateway.dev_trafficpolicies.yaml"}, listen: []int{8080},
			upstream: func(t *testing.T) map[int]int { return map[int]int{9000: testutil.Petstore(t)} }},
		{name: "kgateway-petstore-union", files: append(glob(t, "kgateway-petstore"), glob(t, "kgateway-petstore/union")...),
			ns: "ex-kgateway-union", crds: []string{"gateway.kgateway.dev_trafficpolicies.yaml"}, listen: []int{8080},
			upstream: func(t *testing.T) map[int]int { return map[int]int{9000: testutil.Petstore(t)} }},
		{name: "kube-apiserver", files: glob(t, "kube-apiserver"), ns: "kube-system", listen: []int{8001}, convertedClass: true,
			upstream: func(t *testing.T) map[int]int {
				ca := testutil.NewCA(t, "test cluster CA")
				caPEM = ca.PEM
				return map[int]int{6443: testutil.KubeAPIServer(t, ca.ServerTLS(t, "127.0.0.1"))}
			},
			prepare: func(t *testing.T, dir string) {
				cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-root-ca.crt, namespace: kube-system}\ndata:\n  ca.crt: " +
					strconv.Quote(string(caPEM)) + "\n"
				if err := os.WriteFile(filepath.Join(dir, "kube-apiserver-ca.yaml"), []byte(cm), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			paths: []string{"/api", "/api/v1/namespaces/default/pods"},
			origins: []string{"https://dashboard.example.com", "https://dashboard.example.com.evil.example",
				"http://localhost:8000", "http://localhost:8080", "http://127.0.0.1:3000", "https://127.0.0.1.evil.example"}},
	}

	// The foreign CRDs, each installed once; those installed here are
	// deleted at the end (after every replica stopped).
	var needed []string
	for _, e := range examples {
		for _, c := range e.crds {
			if !slices.Contains(needed, c) {
				needed = append(needed, c)
			}
		}
	}
	needed = append(needed, "networking.istio.io_gateways.yaml", "networking.istio.io_virtualservices.yaml") // bad-cors
	for _, f := range slices.Compact(slices.Sorted(slices.Values(needed))) {
		name, created := ensureCRD(t, ctx, f)
		if created {
			t.Cleanup(func() { removeCRD(t, name) })
		}
	}

	for _, e := range examples {
		t.Run(e.name, func(t *testing.T) { runExample(t, ctx, e) })
	}
	t.Run("bad-cors", func(t *testing.T) { runBadCORS(t, ctx) })
}

// glob lists an example directory's YAML files (relative to examples/).
func glob(t *testing.T, dir string) []string {
	t.Helper()
	return testutil.YAMLFiles(t, examplesDir, dir)
}

var exClassRE = regexp.MustCompile(`(gatewayClassName:\s*)corsgate\b`)

// exCopy copies files (relative to examples/) into a temp dir, flat,
// replacing each whole number key of ports by its value.
func exCopy(t *testing.T, files []string, ports map[int]int) string {
	t.Helper()
	return testutil.CopyWithPorts(t, examplesDir, files, ports)
}

// exObjects reads the copied files for the API server: gatewayClassName
// corsgate becomes class, objects that name no namespace go to ns. It
// also returns the concatenated text (to find paths and origins in).
func exObjects(t *testing.T, dir, class, ns string) ([]*unstructured.Unstructured, string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	sort.Strings(files)
	var all strings.Builder
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		all.WriteString("\n")
		text := exClassRE.ReplaceAllString(string(b), "${1}"+class)
		for _, u := range objects(t, text) {
			if u.GetNamespace() == "default" { // objects() puts unnamespaced objects there; no example names it
				u.SetNamespace(ns)
			}
			out = append(out, u)
		}
	}
	return out, all.String()
}

// exApply applies one object; a kind the client's REST mapper does not
// know yet (a CRD installed moments ago) is retried, any other error
// (schema, CEL) is returned at once.
func exApply(ctx context.Context, u *unstructured.Unstructured) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := applyOne(ctx, u)
		if err == nil || !meta.IsNoMatchError(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// exNamespaces creates the namespaces objs live in.
func exNamespaces(t *testing.T, ctx context.Context, objs []*unstructured.Unstructured) {
	t.Helper()
	seen := map[string]bool{}
	for _, u := range objs {
		if ns := u.GetNamespace(); ns != "" && !seen[ns] {
			seen[ns] = true
			apply(t, ctx, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"`+ns+`"}}`)
		}
	}
}

// exClass creates GatewayClass name and deletes it when the test ends.
func exClass(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	gc := apply(t, ctx, render(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: {{.}}}
spec: {controllerName: corsgate.dev/gateway-controller}
`, name))
	t.Cleanup(func() { remove(t, context.Background(), gc) })
}

// exPorts maps each listener port to a free port, adds the upstreams'
// ports and returns the mapping.
func exPorts(t *testing.T, e example) map[int]int {
	ports := map[int]int{}
	for _, p := range e.listen {
		ports[p] = testutil.FreePort(t)
	}
	if e.upstream != nil {
		for from, to := range e.upstream(t) {
			ports[from] = to
		}
	}
	return ports
}

func runExample(t *testing.T, ctx context.Context, e example) {
	ports := exPorts(t, e)
	dir := exCopy(t, e.files, ports)
	if e.prepare != nil {
		e.prepare(t, dir)
	}
	objs, text := exObjects(t, dir, e.class(), e.ns)

	// The API server accepts every object as written.
	exNamespaces(t, ctx, objs)
	exClass(t, ctx, e.class())
	if e.convertedClass {
		exClass(t, ctx, "corsgate")
	}
	if e.name == "kube-apiserver" { // the example's placeholder CA, before the test's own
		orig, _ := exObjects(t, filepath.Join(examplesDir, "kube-apiserver"), e.class(), e.ns)
		for _, u := range orig {
			if u.GetKind() == "ConfigMap" {
				if err := exApply(ctx, u); err != nil {
					t.Errorf("the API server refused the example's %s %s: %v", u.GetKind(), u.GetName(), err)
				}
			}
		}
	}
	t.Cleanup(func() { remove(t, context.Background(), objs) })
	for _, u := range objs {
		if err := exApply(ctx, u); err != nil {
			t.Fatalf("the API server refused %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}

	// File mode on the copied files; the replica binds every listener
	// port P on P+offset.
	fileMode(t, dir)
	first := ports[e.listen[0]]
	offset := testutil.FreePort(t) - first
	var extra []string
	if e.convertedClass {
		extra = append(extra, "--gateway-class", "corsgate")
	}
	r := startReplica(t, e.name, e.class(), offset, extra...)

	exStatus(t, ctx, objs)

	reqs := exRequests(e, text)
	for _, lp := range e.listen {
		p := ports[lp]
		exCompare(t, "http://127.0.0.1:"+strconv.Itoa(p), r.url("http", p, ""), e.host, reqs, lp)
	}
}

// exCompare sends reqs to file mode at fileBase, then (until they agree,
// at most 20s) to the replica at kubeBase: status, Access-Control-*
// headers and Vary must be identical.
func exCompare(t *testing.T, fileBase, kubeBase, host string, reqs []exReq, listener int) {
	t.Helper()
	want := map[exReq]exResp{}
	allowed, served := 0, 0
	for _, q := range reqs {
		res, err := exDo(fileBase, host, q)
		if err != nil {
			t.Fatalf("file mode: %s: %v", q, err)
		}
		want[q] = res
		if res.headers["Access-Control-Allow-Origin"] != "" {
			allowed++
		}
		if res.status == 200 {
			served++
		}
	}
	if allowed == 0 || served == 0 {
		t.Fatalf("file mode on listener %d allowed %d and served %d of %d requests: the requests test nothing",
			listener, allowed, served, len(reqs))
	}
	eventually(t, 20*time.Second, func() error {
		var diffs []string
		for _, q := range reqs {
			got, err := exDo(kubeBase, host, q)
			if err != nil {
				return err
			}
			if w := want[q]; !w.equal(got) {
				diffs = append(diffs, fmt.Sprintf("%s:\n    file mode:  %s\n    Kubernetes: %s", q, w, got))
			}
		}
		if len(diffs) > 0 {
			return fmt.Errorf("listener %d: %d of %d requests answered differently by the controller than by file mode:\n  %s",
				listener, len(diffs), len(reqs), strings.Join(diffs, "\n  "))
		}
		return nil
	})
	t.Logf("listener %d: %d requests answered identically (%d with an allowed origin)", listener, len(reqs), allowed)
}

// exStatus waits until every Gateway API Gateway of objs is Accepted and
// Programmed, every HTTPRoute is Accepted with ResolvedRefs for each
// parent and every CORSPolicy is Accepted.
func exStatus(t *testing.T, ctx context.Context, objs []*unstructured.Unstructured) {
	t.Helper()
	// allTrue checks that each of types is True with itself as reason.
	allTrue := func(conds []metav1.Condition, types ...string) error {
		for _, typ := range types {
			if err := wantCondition(conds, typ, metav1.ConditionTrue, typ); err != nil {
				return err
			}
		}
		return nil
	}
	// own waits until u's own status.conditions have types all True.
	own := func(u *unstructured.Unstructured, types ...string) {
		eventually(t, 20*time.Second, func() error {
			got, err := get(ctx, u)
			if err != nil {
				return err
			}
			conds, err := conditionsAt(got.Object, "status", "conditions")
			if err != nil {
				return err
			}
			if err := allTrue(conds, types...); err != nil {
				return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
			}
			return nil
		})
	}
	for _, u := range objs {
		switch u.GroupVersionKind().GroupKind().String() {
		case "Gateway.gateway.networking.k8s.io":
			own(u, "Accepted", "Programmed")
		case "HTTPRoute.gateway.networking.k8s.io":
			parents, _, _ := unstructured.NestedSlice(u.Object, "spec", "parentRefs")
			for _, p := range parents {
				gw, _ := p.(map[string]any)["name"].(string)
				eventually(t, 20*time.Second, func() error {
					conds, err := routeParentConditions(ctx, u, gw)
					if err != nil {
						return err
					}
					if err := allTrue(conds, "Accepted", "ResolvedRefs"); err != nil {
						return fmt.Errorf("HTTPRoute %s parent %s: %w", u.GetName(), gw, err)
					}
					return nil
				})
			}
		case "CORSPolicy.corsgate.dev":
			own(u, "Accepted")
		}
	}
}

// fileMode runs `corsgate run -c dir` in-process until the test ends.
func fileMode(t *testing.T, dir string) *testutil.SyncBuffer {
	t.Helper()
	return inproc.Run(t, dir, "--access-log=false")
}

// exReq is one request: a preflight when acrm is set.
type exReq struct{ method, path, origin, acrm, acrh string }

func (q exReq) String() string {
	s := q.method + " " + q.path
	if q.origin != "" {
		s += " Origin " + q.origin
	}
	if q.acrm != "" {
		s += " ACRM " + q.acrm
	}
	if q.acrh != "" {
		s += " ACRH " + q.acrh
	}
	return s
}

// exResp is what the comparison looks at: the status, every
// Access-Control-* header and Vary.
type exResp struct {
	status  int
	headers map[string]string
}

func (r exResp) equal(o exResp) bool {
	if r.status != o.status || len(r.headers) != len(o.headers) {
		return false
	}
	for k, v := range r.headers {
		if ov, ok := o.headers[k]; !ok || ov != v {
			return false
		}
	}
	return true
}

func (r exResp) String() string {
	b, _ := json.Marshal(r.headers)
	return strconv.Itoa(r.status) + " " + string(b)
}

var exClient = &http.Client{Timeout: 10 * time.Second}

func exDo(base, host string, q exReq) (exResp, error) {
	req, err := http.NewRequest(q.method, base+q.path, nil)
	if err != nil {
		return exResp{}, err
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range map[string]string{"Origin": q.origin, "Access-Control-Request-Method": q.acrm,
		"Access-Control-Request-Headers": q.acrh} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	res, err := exClient.Do(req)
	if err != nil {
		return exResp{}, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	out := exResp{status: res.StatusCode, headers: map[string]string{}}
	for k, v := range res.Header {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			out.headers[k] = strings.Join(v, ", ")
		}
	}
	return out, nil
}

var (
	exPathRE   = regexp.MustCompile(`(?m)(?:value|prefix|exact):\s*"?(/[^\s"'},\]]*)`)
	exOriginRE = regexp.MustCompile(`https?://[A-Za-z0-9.:\-]+`)
)

// exRequests builds the requests for an example: for every path of the
// YAML (and e.paths, and one no route matches), a GET without Origin and,
// from every origin of the YAML (and e.origins, and https://evil.example),
// two preflights and a GET.
func exRequests(e example, text string) []exReq {
	paths := slices.Clone(e.paths)
	for _, m := range exPathRE.FindAllStringSubmatch(text, -1) {
		paths = append(paths, m[1])
	}
	paths = append(paths, "/no-such-path")
	origins := slices.Clone(e.origins)
	origins = append(origins, exOriginRE.FindAllString(text, -1)...)
	origins = append(origins, "https://evil.example")
	slices.Sort(paths)
	paths = slices.Compact(paths)
	slices.Sort(origins)
	origins = slices.Compact(origins)
	var out []exReq
	for _, p := range paths {
		out = append(out, exReq{method: "GET", path: p})
		for _, o := range origins {
			out = append(out,
				exReq{method: "OPTIONS", path: p, origin: o, acrm: "GET"},
				exReq{method: "OPTIONS", path: p, origin: o, acrm: "PUT", acrh: "content-type,authorization"},
				exReq{method: "GET", path: p, origin: o})
		}
	}
	return out
}
