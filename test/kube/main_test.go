// Package kube tests `corsgate controller` against a real kube-apiserver
// and etcd (controller-runtime's envtest), with the Gateway API CRDs,
// corsgate's CRDs and test stand-ins for the foreign CRDs installed, and
// real traffic through the replicas' data planes on 127.0.0.1.
//
// The binaries come from hack/envtest-assets.sh (built from the Go module
// proxy); `make test` sets KUBEBUILDER_ASSETS. Without it every test here
// skips and says how to run them.
package kube

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/testutil"
)

var (
	skipReason string
	k8s        client.Client
	kubeconfig string // path of an admin kubeconfig for the replicas
	corsgate   string // path of the corsgate binary
	foreignCRD string // directory of the foreign test CRDs (installed on demand)
)

const howToRun = "KUBEBUILDER_ASSETS is not set, so the tests against a real kube-apiserver are skipped; " +
	"run them with `make test` or `KUBEBUILDER_ASSETS=$(bash hack/envtest-assets.sh) go test ./test/kube/`"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if name := os.Getenv(backendEnv); name != "" {
		serveBackend(name)
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "kube: CI=true but KUBEBUILDER_ASSETS is not set; CI must run these tests (make test sets it)")
			return 1
		}
		skipReason = howToRun
		return m.Run()
	}
	gwDir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube: locating the gateway-api module:", err)
		return 1
	}
	foreignCRD, _ = filepath.Abs("testdata/crds/foreign")
	cleanNetns, err := setupNetns()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube:", err)
		return 1
	}
	defer cleanNetns()
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{
			filepath.Join(strings.TrimSpace(string(gwDir)), "config", "crd", "standard"),
			filepath.Join("..", "..", "config", "crd"),
		},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube: starting kube-apiserver and etcd:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gwv1.Install,
		apiextensionsv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			fmt.Fprintln(os.Stderr, "kube:", err)
			return 1
		}
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: s}); err != nil {
		fmt.Fprintln(os.Stderr, "kube: client:", err)
		return 1
	}
	user, err := env.AddUser(envtest.User{Name: "corsgate-test", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube: adding a user:", err)
		return 1
	}
	kc, err := user.KubeConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube: kubeconfig:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "corsgate-kube-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "kube:", err)
		return 1
	}
	// The replicas run the race detector: the controller's goroutines (cache
	// handlers, syncer, status writer, data plane) meet only in these
	// multi-process tests. startReplica fails a test whose replica reports
	// a race.
	if corsgate, err = testutil.BuildCorsgate(dir, "-race"); err != nil {
		fmt.Fprintln(os.Stderr, "kube:", err)
		return 1
	}
	return m.Run()
}

// needCluster skips t when no API server runs (KUBEBUILDER_ASSETS unset).
func needCluster(t *testing.T) context.Context {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
