package chart_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/corsgate/corsgate/internal/testutil"
)

// The Helm CLI the tests run. helm.sh/helm/v4 has no replace directives, so
// `go install pkg@version` builds it straight from the module proxy.
const (
	helmModule  = "helm.sh/helm/v4/cmd/helm"
	helmVersion = "v4.3.1"
)

// helmHome holds HELM_CACHE_HOME, HELM_CONFIG_HOME and HELM_DATA_HOME for
// this run, so neither the user's Helm repositories nor plugins take part.
var helmHome string

func TestMain(m *testing.M) {
	os.Exit(testutil.RunInTempDir(m, "corsgate-chart-", func(dir string) error {
		helmHome = dir
		return nil
	}))
}

// helmBinary builds Helm on the first call of the run (or finds the build a
// previous run left in the cache) and returns its path.
var helmBinary = sync.OnceValues(func() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "corsgate", "helm-"+helmVersion)
	bin := filepath.Join(dir, "helm")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if exec.Command(bin, "version", "--short").Run() == nil {
		return bin, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build Helm: the go command is not on $PATH: %w", err)
	}
	start := time.Now()
	cmd := exec.Command(goTool, "install", helmModule+"@"+helmVersion)
	// Outside the module: `go install pkg@version` then neither reads nor
	// changes the project's go.mod.
	cmd.Dir = helmHome
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		proxy, _ := exec.Command(goTool, "env", "GOPROXY").Output()
		return "", fmt.Errorf("build Helm with `go install %s@%s` failed (%w); the first run needs the Go module proxy (GOPROXY=%s) or a module cache that holds Helm's modules; later runs reuse %s\n%s",
			helmModule, helmVersion, err, strings.TrimSpace(string(proxy)), bin, out)
	}
	if err := exec.Command(bin, "version", "--short").Run(); err != nil {
		return "", fmt.Errorf("the helm binary built into %s does not run: %w", bin, err)
	}
	fmt.Fprintf(os.Stderr, "chart tests: built Helm %s into %s in %s\n", helmVersion, dir, time.Since(start).Round(time.Second))
	return bin, nil
})

// repoRoot is the module root: the tests run in test/chart.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above the test directory: %v", err)
	}
	return root
}

// chartDir is the chart under test.
func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "charts", "corsgate")
}

// helm runs the Helm CLI with args and returns its stdout; a failure
// returns an error that carries stderr.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := helmBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"),
		"HELM_NAMESPACE=",
		"KUBECONFIG="+filepath.Join(helmHome, "no-kubeconfig"),
		"NO_COLOR=1",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// object is one rendered Kubernetes object: its identity plus the JSON to
// decode into the typed API struct.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	raw []byte
}

func (o object) String() string { return o.Kind + "/" + o.Metadata.Name }

// rendering is the output of one `helm template`.
type rendering struct {
	release, namespace string
	objects            []object
}

// template renders the chart as release in namespace with extra helm
// arguments (--set, --set-json, ...), and fails the test if Helm fails.
func template(t *testing.T, release, namespace string, args ...string) rendering {
	t.Helper()
	out, err := templateErr(t, release, namespace, args...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := parseDocuments(strings.NewReader(out))
	if err != nil {
		t.Fatalf("helm template output: %v\n%s", err, out)
	}
	return rendering{release: release, namespace: namespace, objects: objs}
}

func templateErr(t *testing.T, release, namespace string, args ...string) (string, error) {
	t.Helper()
	return helm(t, append([]string{"template", release, chartDir(t), "--namespace", namespace}, args...)...)
}

// parseDocuments splits a multi-document YAML stream into objects; empty
// and comment-only documents are left out.
func parseDocuments(r io.Reader) ([]object, error) {
	var objs []object
	rd := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%w in document:\n%s", err, doc)
		}
		if s := string(bytes.TrimSpace(js)); s == "null" || s == "{}" {
			continue
		}
		var o object
		if err := json.Unmarshal(js, &o); err != nil {
			return nil, fmt.Errorf("%w in document:\n%s", err, doc)
		}
		if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
			return nil, fmt.Errorf("document without apiVersion, kind or metadata.name:\n%s", doc)
		}
		o.raw = js
		objs = append(objs, o)
	}
}

// all returns the objects of kind.
func (r rendering) all(kind string) []object {
	var out []object
	for _, o := range r.objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the object of kind named name, failing the test without it.
func (r rendering) one(t *testing.T, kind, name string) object {
	t.Helper()
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("no %s named %q rendered; got %v", kind, name, r.objects)
	return object{}
}

// strictDecoder decodes the kinds the chart renders the way the API
// server's strict field validation does: field names are case-sensitive,
// and an unknown or duplicate field is an error.
var strictDecoder = sync.OnceValues(func() (k8sruntime.Decoder, error) {
	s := k8sruntime.NewScheme()
	for _, add := range []func(*k8sruntime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, rbacv1.AddToScheme,
		policyv1.AddToScheme, autoscalingv2.AddToScheme, gwv1.Install} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer(), nil
})

// decode decodes o strictly into out: a field the API type does not know
// (a typo in a template) fails the test.
func decode(t *testing.T, o object, out k8sruntime.Object) {
	t.Helper()
	dec, err := strictDecoder()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dec.Decode(o.raw, nil, out); err != nil {
		t.Fatalf("%s does not decode strictly into %T: %v", o, out, err)
	}
}
