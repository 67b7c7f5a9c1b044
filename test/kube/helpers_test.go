package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/corsgate/corsgate/internal/testutil"
)

// replica is one `corsgate controller` process.
type replica struct {
	name   string
	cmd    *exec.Cmd
	admin  string
	offset int
	out    *testutil.SyncBuffer
	done   chan struct{}
}

// startReplica runs a controller process serving only GatewayClass class,
// with a short Lease so a killed leader is replaced within seconds.
func startReplica(t *testing.T, name, class string, offset int, extra ...string) *replica {
	t.Helper()
	r := &replica{name: name, admin: "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)), offset: offset,
		out: &testutil.SyncBuffer{}, done: make(chan struct{})}
	args := append([]string{"controller", "--kubeconfig", kubeconfig, "--gateway-class", class,
		"--bind", "127.0.0.1", "--port-offset", strconv.Itoa(offset), "--admin-addr", r.admin,
		"--leader-election-namespace", "default", "--leader-election-id", "corsgate-" + class,
		"--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms",
		"--debounce", "100ms", "--drain-timeout", "2s", "--access-log=false", "--log-level", "debug"}, extra...)
	r.cmd = exec.Command(corsgate, args...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.Env = append(os.Environ(), "POD_NAME=replica-"+name)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.stop(syscall.SIGTERM)
		if out := r.out.String(); strings.Contains(out, "WARNING: DATA RACE") {
			race := out[strings.Index(out, "WARNING: DATA RACE"):]
			t.Errorf("replica %s reported a data race:\n%.6000s", r.name, race)
		}
		if t.Failed() {
			t.Logf("replica %s output (tail):\n%s", r.name, r.out.Tail(200))
		}
	})
	eventually(t, 60*time.Second, func() error {
		select {
		case <-r.done:
			return errStop(fmt.Errorf("replica %s exited: %s", name, r.out.Tail(30)))
		default:
		}
		return httpStatus("http://"+r.admin+"/readyz", 200)
	})
	return r
}

// stop sends sig and waits (SIGKILL after 10s).
func (r *replica) stop(sig syscall.Signal) {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(sig)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// url is the address of listener port p on this replica.
func (r *replica) url(scheme string, p int, path string) string {
	return scheme + "://127.0.0.1:" + strconv.Itoa(p+r.offset) + path
}

// stopError ends eventually at once.
type stopError struct{ error }

func errStop(err error) error { return stopError{err} }

// eventually retries fn until it returns nil or timeout passes.
func eventually(t *testing.T, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		var stop stopError
		if errors.As(err, &stop) || time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func httpStatus(url string, want int) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("GET %s: %d, want %d", url, res.StatusCode, want)
	}
	return nil
}

// render fills a YAML template with data.
func render(t *testing.T, tmpl string, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := template.Must(template.New("").Option("missingkey=error").Parse(tmpl)).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// objects decodes multi-document YAML into unstructured objects.
func objects(t *testing.T, docs string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(docs), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("test YAML: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetNamespace() == "" && u.GetKind() != "GatewayClass" && u.GetKind() != "Plugin" &&
			u.GetKind() != "CustomResourceDefinition" && u.GetKind() != "Namespace" {
			u.SetNamespace("default")
		}
		out = append(out, u)
	}
}

// apply creates or updates every object with server-side apply; any error
// (a CEL rule, a schema violation) fails the test.
func apply(t *testing.T, ctx context.Context, docs string) []*unstructured.Unstructured {
	t.Helper()
	objs := objects(t, docs)
	for _, u := range objs {
		if err := applyOne(ctx, u); err != nil {
			t.Fatalf("apply %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	return objs
}

func applyOne(ctx context.Context, u *unstructured.Unstructured) error {
	u = u.DeepCopy()
	u.SetManagedFields(nil)
	u.SetResourceVersion("")
	return k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("corsgate-test"), client.ForceOwnership)
}

// remove deletes the objects (missing ones are fine).
func remove(t *testing.T, ctx context.Context, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		if err := k8s.Delete(ctx, u); client.IgnoreNotFound(err) != nil {
			t.Fatalf("delete %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// get reads an object into a fresh unstructured of the same kind.
func get(ctx context.Context, like *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(like.GroupVersionKind())
	err := k8s.Get(ctx, client.ObjectKeyFromObject(like), u)
	return u, err
}

// conditionsAt reads []metav1.Condition at path inside obj.
func conditionsAt(obj map[string]any, path ...string) ([]metav1.Condition, error) {
	raw, found, err := unstructured.NestedSlice(obj, path...)
	if err != nil || !found {
		return nil, fmt.Errorf("no %s: %v", strings.Join(path, "."), err)
	}
	var out []metav1.Condition
	for _, r := range raw {
		m, _ := r.(map[string]any)
		c := metav1.Condition{}
		c.Type, _ = m["type"].(string)
		s, _ := m["status"].(string)
		c.Status = metav1.ConditionStatus(s)
		c.Reason, _ = m["reason"].(string)
		c.Message, _ = m["message"].(string)
		out = append(out, c)
	}
	return out, nil
}

// wantCondition checks conds has type typ with status and reason.
func wantCondition(conds []metav1.Condition, typ string, status metav1.ConditionStatus, reason string) error {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return fmt.Errorf("no condition %s in %+v", typ, conds)
	}
	if c.Status != status || (reason != "" && c.Reason != reason) {
		return fmt.Errorf("condition %s = %s/%s (%s), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	return nil
}

// routeParentConditions returns the conditions corsgate wrote on the
// route for parent Gateway gw.
func routeParentConditions(ctx context.Context, route *unstructured.Unstructured, gw string) ([]metav1.Condition, error) {
	u, err := get(ctx, route)
	if err != nil {
		return nil, err
	}
	parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
	for _, p := range parents {
		m, _ := p.(map[string]any)
		ref, _ := m["parentRef"].(map[string]any)
		if m["controllerName"] == "corsgate.dev/gateway-controller" && ref["name"] == gw {
			return conditionsAt(m, "conditions")
		}
	}
	return nil, fmt.Errorf("route %s has no corsgate status for parent %s: %v", route.GetName(), gw, parents)
}

// serviceYAML is a selector-less Service with a hand-made EndpointSlice
// whose one endpoint is a backend in the test's network namespace (no
// kube-controller-manager runs, so nothing else touches the slice).
const serviceYAML = `
apiVersion: v1
kind: Service
metadata: {name: {{.Name}}, namespace: {{.NS}}}
spec:
  ports: [{name: http, port: 80, targetPort: {{.Port}}, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {{.Name}}-1
  namespace: {{.NS}}
  labels: {kubernetes.io/service-name: {{.Name}}}
addressType: IPv4
endpoints:
- addresses: [{{.Addr}}]
  conditions: {ready: {{.Ready}}}
ports: [{name: http, port: {{.Port}}, protocol: TCP}]
`

type svcData struct {
	Name, NS string
	Port     int
	Ready    bool
}

// Addr is the backends' address in the test's network namespace.
func (svcData) Addr() string { return backendAddr }

// request sends one HTTP request with headers h ("Name: value" lines).
func request(method, url string, h ...string) (*http.Response, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, "", err
	}
	for _, kv := range h {
		k, v, _ := strings.Cut(kv, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res, string(body), nil
}

// expectCORS checks one response: status and Access-Control-Allow-Origin
// ("" means absent).
func expectCORS(method, url, origin string, status int, acao string, h ...string) error {
	res, body, err := request(method, url, append([]string{"Origin: " + origin}, h...)...)
	if err != nil {
		return err
	}
	got := res.Header.Get("Access-Control-Allow-Origin")
	if res.StatusCode != status || got != acao {
		return fmt.Errorf("%s %s Origin %s: %d ACAO %q, want %d ACAO %q (body %.200s)", method, url, origin,
			res.StatusCode, got, status, acao, body)
	}
	if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
		return fmt.Errorf("%s %s: no Vary: Origin in %v", method, url, res.Header)
	}
	return nil
}

func clientKey(name string) client.ObjectKey { return client.ObjectKey{Name: name} }
