package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/admin"
	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/controller"
	"github.com/corsgate/corsgate/internal/dataplane"
)

type controllerFlags struct {
	kubeconfig     string
	bind           string
	portOffset     int
	adminAddr      string
	adminHosts     []string
	drainTimeout   time.Duration
	debounce       time.Duration
	accessLog      bool
	addressService string
	classes        []string

	leaderElect   bool
	leaderNS      string
	leaderID      string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration

	dp dataplane.Options
}

func newControllerCmd(g *globalFlags) *cobra.Command {
	f := &controllerFlags{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run as a Kubernetes Gateway API controller and data plane",
		Long: `Run corsgate inside Kubernetes: watch GatewayClasses whose controllerName
is ` + config.ControllerName + `, their Gateways and HTTPRoutes, Services and
EndpointSlices, Secrets, ReferenceGrants, corsgate's CORSPolicy and Backend,
and the foreign CORS kinds whose CRDs are installed (Istio, FSM, kgateway,
agentgateway). Every replica serves traffic with the same translator as
"corsgate run"; the replica holding the leader Lease writes status.

Each Gateway listener port P is bound on P + --port-offset (map the Service's
port P to targetPort P + offset). The API server is found through
--kubeconfig, $KUBECONFIG, or the in-cluster service account.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runController(cmd.Context(), g, f, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then in-cluster)")
	fl.StringVar(&f.bind, "bind", "0.0.0.0", "address every listener binds to")
	fl.IntVar(&f.portOffset, "port-offset", 0, "bind each listener port P on P+offset (lets a non-root pod serve port 80)")
	fl.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:9901", "admin server address (/healthz, /readyz, /config, /metrics, console); empty disables it")
	fl.StringSliceVar(&f.adminHosts, "admin-allowed-host", nil, "host names the admin server answers to besides IP addresses and localhost (DNS rebinding protection)")
	fl.DurationVar(&f.drainTimeout, "drain-timeout", 30*time.Second, "how long in-flight requests may finish on shutdown")
	fl.DurationVar(&f.debounce, "debounce", controller.DefaultDebounce, "quiet time after the last change before the configuration is rebuilt")
	fl.BoolVar(&f.accessLog, "access-log", true, "log one line per request (level info)")
	fl.StringVar(&f.addressService, "address-service", "", "NAMESPACE/NAME of the Service in front of the replicas; its addresses go to Gateway status.addresses")
	fl.StringSliceVar(&f.classes, "gateway-class", nil, "serve only these GatewayClasses (default: every class whose controllerName is "+config.ControllerName+")")
	fl.BoolVar(&f.leaderElect, "leader-elect", true, "elect one replica (a coordination.k8s.io Lease) to write status")
	fl.StringVar(&f.leaderNS, "leader-election-namespace", "", "namespace of the Lease (default: $POD_NAMESPACE, else default)")
	fl.StringVar(&f.leaderID, "leader-election-id", "corsgate-controller", "name of the Lease")
	fl.DurationVar(&f.leaseDuration, "lease-duration", 15*time.Second, "how long a Lease is valid without renewal")
	fl.DurationVar(&f.renewDeadline, "renew-deadline", 10*time.Second, "how long the leader keeps trying to renew")
	fl.DurationVar(&f.retryPeriod, "retry-period", 2*time.Second, "how often candidates try to acquire or renew")
	addDataplaneFlags(fl, &f.dp)
	return cmd
}

// scheme holds every typed kind the controller reads or writes.
func scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gwv1.Install,
		apiextensionsv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// replicaName is $POD_NAME (the chart sets it), else the host name.
func replicaName() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}

func (f *controllerFlags) restConfig() (*rest.Config, error) {
	if f.kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", f.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", f.kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("no Kubernetes API server found (%w); pass --kubeconfig or set $KUBECONFIG", err)
	}
	return cfg, nil
}

func (f *controllerFlags) managerOptions(s *runtime.Scheme, log *slog.Logger) manager.Options {
	ns := f.leaderNS
	if ns == "" {
		ns = os.Getenv("POD_NAMESPACE")
	}
	if ns == "" {
		ns = "default"
	}
	return manager.Options{
		Scheme:                        s,
		Logger:                        logr.FromSlogHandler(log.Handler()),
		Metrics:                       metricsserver.Options{BindAddress: "0"}, // ours are on the admin server
		HealthProbeBindAddress:        "0",
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              f.leaderID,
		LeaderElectionNamespace:       ns,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &f.leaseDuration,
		RenewDeadline:                 &f.renewDeadline,
		RetryPeriod:                   &f.retryPeriod,
	}
}

func (f *controllerFlags) addressServiceName() (types.NamespacedName, error) {
	if f.addressService == "" {
		return types.NamespacedName{}, nil
	}
	ns, name, ok := strings.Cut(f.addressService, "/")
	if !ok || ns == "" || name == "" {
		return types.NamespacedName{}, fmt.Errorf("--address-service %q: use NAMESPACE/NAME", f.addressService)
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

// runController starts the data plane, the admin server and the manager,
// and serves until SIGINT/SIGTERM (or ctx ends, or leadership is lost).
func runController(ctx context.Context, g *globalFlags, f *controllerFlags, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	ctrl.SetLogger(logr.FromSlogHandler(log.Handler()))
	tuneGC(log)
	addrSvc, err := f.addressServiceName()
	if err != nil {
		return err
	}
	cfg, err := f.restConfig()
	if err != nil {
		return err
	}
	// The user agent names the replica, so managedFields show which pod
	// wrote an object's status (the leader, and only it).
	cfg.UserAgent = "corsgate-" + replicaName() + "/" + Version
	s, err := scheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, f.managerOptions(s, log))
	if err != nil {
		return fmt.Errorf("create the controller manager: %w", err)
	}

	gw, m, traffic := newDataplane(&f.dp, log, f.adminAddr != "", f.accessLog)
	c, err := controller.New(mgr, controller.Options{
		Translate:      config.Options{BindHost: f.bind, PortOffset: f.portOffset},
		Apply:          gw.Apply,
		Debounce:       f.debounce,
		AddressService: addrSvc,
		GatewayClasses: f.classes,
		Logger:         log,
		Metrics:        m,
	})
	if err != nil {
		return err
	}

	var draining atomic.Bool
	adminCtx, stopAdmin := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAdmin()
	if f.adminAddr != "" {
		h := admin.New(admin.Options{Snapshots: gw, Ready: func() bool { return c.Synced() && !draining.Load() },
			Status: c, Metrics: m.Handler(), Traffic: traffic, Logger: log, AllowedHosts: f.adminHosts})
		addr, _, err := admin.Serve(adminCtx, f.adminAddr, h, log)
		if err != nil {
			return fmt.Errorf("%w (--admin-addr)", err)
		}
		log.Info("admin server", "address", addr)
	}

	mgrCtx, stopMgr := context.WithCancel(context.WithoutCancel(ctx))
	defer stopMgr()
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	log.Info("controller started", "controllerName", config.ControllerName, "leaderElection", f.leaderElect,
		"portOffset", f.portOffset)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", "context done")
	case s := <-sigs:
		log.Info("shutting down", "signal", s.String(), "drain-timeout", f.drainTimeout)
	case err := <-mgrDone:
		// The manager stops on its own only on failure, e.g. leadership
		// lost: exit non-zero so the pod restarts with a fresh view.
		runErr = fmt.Errorf("controller manager stopped: %w", err)
		if err == nil {
			runErr = errors.New("controller manager stopped unexpectedly")
		}
		log.Error("controller manager stopped; draining and exiting", "error", err)
		mgrDone <- err
	}
	draining.Store(true)
	stopMgr() // releases the Lease at once, so another replica takes over
	<-mgrDone
	sctx, cancel := context.WithTimeout(context.Background(), f.drainTimeout)
	defer cancel()
	if err := gw.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("stopped")
	return runErr
}
