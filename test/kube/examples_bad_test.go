package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/corsgate/corsgate/internal/cli"
	"github.com/corsgate/corsgate/internal/testutil"
)

// runBadCORS applies examples/bad-cors. File mode refuses the whole
// configuration; the API server refuses the objects its schemas and CEL
// rules catch; corsgate reports the rest of the mistakes in status and
// serves the valid part exactly as file mode serves that part alone.
func runBadCORS(t *testing.T, ctx context.Context) {
	e := example{name: "bad-cors", files: glob(t, "bad-cors"), ns: "ex-bad-cors", listen: []int{8080, 8081, 8001}}
	upstream := map[int]int{9000: testutil.HTTPBin(t), 9001: testutil.NamedBackend(t, "api"), 9002: testutil.NamedBackend(t, "catalog"), 6443: testutil.NamedBackend(t, "apiserver")}
	ports, filePorts := exPorts(t, e), exPorts(t, e) // the replica's and file mode's listeners
	for from, to := range upstream {
		ports[from], filePorts[from] = to, to
	}
	dir := exCopy(t, e.files, ports)

	t.Run("file mode refuses", func(t *testing.T) {
		out := &testutil.SyncBuffer{}
		runCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		code := cli.MainContext(runCtx, []string{"run", "-c", dir, "--admin-addr", ""}, io.Discard, out)
		if runCtx.Err() != nil || code == 0 {
			t.Fatalf("corsgate run on examples/bad-cors: exit %d (context %v), want a refusal:\n%s", code, runCtx.Err(), out)
		}
		if !strings.Contains(out.String(), "nothing was started") {
			t.Errorf("corsgate run refused without saying so:\n%s", out)
		}
	})

	// The API server: what its schemas and CEL rules refuse, with the
	// message that says why; everything else is accepted.
	refused := map[string]string{ // kind/name -> part of the API server's message
		"HTTPRoute/public-api": `allowMethods[2]: Unsupported value: "put"`,          // CG011 (an enum in the Gateway API)
		"HTTPRoute/web":        `allowOrigins: duplicate entries`,                    // CG014 (a set in the Gateway API)
		"HTTPRoute/legacy":     `allowOrigins[0]: Invalid value: "null": spec.rules`, // CG004 (a pattern in the Gateway API)
	}
	objs, text := exObjects(t, dir, e.class(), e.ns)
	exNamespaces(t, ctx, objs)
	exClass(t, ctx, e.class())
	exClass(t, ctx, "corsgate") // Istio Gateway and APIServerCORS become Gateways of this class
	t.Cleanup(func() { remove(t, context.Background(), objs) })
	gone := map[string]bool{}
	var kept []*unstructured.Unstructured
	for _, u := range objs {
		key := u.GetKind() + "/" + u.GetName()
		err := exApply(ctx, u)
		want, bad := refused[key]
		switch {
		case bad && err == nil:
			t.Errorf("the API server accepted %s, which its schema must refuse (%s)", key, want)
		case bad && !strings.Contains(err.Error(), want):
			t.Errorf("the API server refused %s with %q, want a message containing %q", key, err, want)
		case !bad && err != nil:
			t.Errorf("the API server refused %s: %v", key, err)
		}
		if err != nil {
			gone[key] = true
		} else {
			kept = append(kept, u)
		}
	}

	r := startReplica(t, e.name, e.class(), 0, "--gateway-class", "corsgate")

	// Status: the Gateway and the valid routes are fine; each policy says
	// what is wrong with it.
	var good []*unstructured.Unstructured
	for _, u := range kept {
		if u.GetKind() == "Gateway" || u.GetKind() == "HTTPRoute" || (u.GetKind() == "CORSPolicy" && u.GetName() == "partners") {
			good = append(good, u)
		}
	}
	exStatus(t, ctx, good)
	for name, want := range map[string][2]string{ // CORSPolicy -> Accepted=False reason, part of the message
		"partners-v2":         {"Conflicted", "conflicts with CORSPolicy ex-bad-cors/partners"}, // CG016
		"tenants":             {"Invalid", "dangerouslyAllowAnyOriginWithCredentials"},          // CG001
		"public-api-defaults": {"TargetNotFound", `HTTPRoute "public-api" not found`},           // its route was refused
		"old-frontend":        {"TargetNotFound", `HTTPRoute "frontend" not found`},             // CG017
	} {
		eventually(t, 20*time.Second, func() error {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("corsgate.dev/v1alpha1")
			u.SetKind("CORSPolicy")
			u.SetNamespace(e.ns)
			u.SetName(name)
			got, err := get(ctx, u)
			if err != nil {
				return err
			}
			conds, err := conditionsAt(got.Object, "status", "conditions")
			if err != nil {
				return fmt.Errorf("CORSPolicy %s: %w", name, err)
			}
			if err := wantCondition(conds, "Accepted", metav1.ConditionFalse, want[0]); err != nil {
				return fmt.Errorf("CORSPolicy %s: %w", name, err)
			}
			if c := meta.FindStatusCondition(conds, "Accepted"); !strings.Contains(c.Message, want[1]) {
				return fmt.Errorf("CORSPolicy %s: Accepted message %q does not contain %q", name, c.Message, want[1])
			}
			return nil
		})
	}

	// Some answers spelled out, so the comparison below cannot pass on a
	// replica that serves nothing.
	kubeBase := func(lp int) string { return r.url("http", ports[lp], "") }
	for _, c := range []struct {
		listener int
		q        exReq
		status   int
		acao     string
	}{
		{8080, exReq{method: "OPTIONS", path: "/partners", origin: "https://partner.example.com", acrm: "GET"}, 204, "https://partner.example.com"},
		{8080, exReq{method: "GET", path: "/partners", origin: "https://partner.example.com"}, 200, "https://partner.example.com"},
		{8080, exReq{method: "GET", path: "/tenants", origin: "https://evil.example"}, 200, ""}, // its policy is left out
		{8080, exReq{method: "GET", path: "/api", origin: "https://evil.example"}, 404, ""},     // refused by the API server
		{8081, exReq{method: "OPTIONS", path: "/catalog", origin: "https://shop.example.com", acrm: "GET"}, 204, "https://shop.example.com"},
		{8001, exReq{method: "OPTIONS", path: "/api", origin: "https://dashboard.example.com", acrm: "GET"}, 204, "https://dashboard.example.com"},
		{8001, exReq{method: "OPTIONS", path: "/api", origin: "https://dashboard.example.com.evil.example", acrm: "GET"}, 403, ""},
	} {
		eventually(t, 20*time.Second, func() error {
			got, err := exDo(kubeBase(c.listener), "", c.q)
			if err != nil {
				return err
			}
			if got.status != c.status || got.headers["Access-Control-Allow-Origin"] != c.acao {
				return fmt.Errorf("listener %d %s: %s, want %d with ACAO %q", c.listener, c.q, got, c.status, c.acao)
			}
			return nil
		})
	}

	// File mode on what Kubernetes serves: the example without the objects
	// the API server refused and without the policy corsgate found invalid.
	gone["CORSPolicy/tenants"] = true
	fileDir := t.TempDir()
	var docs []string
	for _, u := range objects(t, readAll(t, exCopy(t, e.files, filePorts))) {
		if !gone[u.GetKind()+"/"+u.GetName()] {
			b, err := json.Marshal(u.Object)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(b))
		}
	}
	if err := os.WriteFile(filepath.Join(fileDir, "served.yaml"), []byte(strings.Join(docs, "\n---\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fileMode(t, fileDir)
	e.origins = []string{"https://partner.example.com.evil.net", "https://portalxexample.com",
		"https://shop.example.com.evil.example", "https://dashboard.example.com", "https://dashboard.example.com.evil.example"}
	e.paths = []string{"/api/v1"}
	reqs := exRequests(e, text)
	for _, lp := range e.listen {
		exCompare(t, "http://127.0.0.1:"+strconv.Itoa(filePorts[lp]), kubeBase(lp), "", reqs, lp)
	}
}

// readAll concatenates the YAML files of dir.
func readAll(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n---\n")
		b.Write(data)
	}
	return b.String()
}
