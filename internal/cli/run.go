package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/corsgate/corsgate/internal/admin"
	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/demo"
	"github.com/corsgate/corsgate/internal/source/file"
)

type runFlags struct {
	configs      []string
	bind         string
	adminAddr    string
	demoPort     int
	drainTimeout time.Duration
	dp           dataplane.Options
}

func newRunCmd(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the gateway (embedded demo config unless -c is given)",
		Long: `Run the gateway.

Without -c, corsgate serves its embedded default: a demo "petstore" API on
http://127.0.0.1:8080/pets behind a CORS policy for https://example.com.
With -c PATH (a YAML file or a directory of *.yaml; repeatable) it serves
Gateway, HTTPRoute, Backend and Secret objects from those files. Any error
in the configuration is printed and nothing starts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGateway(cmd.Context(), g, f, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.configs, "config", "c", nil, "config file or directory of *.yaml (repeatable)")
	fl.StringVar(&f.bind, "bind", "127.0.0.1", "address every listener binds to")
	fl.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:9901", "admin server address (/healthz, /readyz, /config); empty disables it")
	fl.IntVar(&f.demoPort, "demo-port", 8080, "listener port of the embedded default config")
	fl.DurationVar(&f.drainTimeout, "drain-timeout", 30*time.Second, "how long in-flight requests may finish on shutdown")
	fl.DurationVar(&f.dp.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client has to send request headers")
	fl.DurationVar(&f.dp.IdleTimeout, "idle-timeout", 120*time.Second, "keep-alive idle timeout for client connections")
	fl.IntVar(&f.dp.MaxHeaderBytes, "max-header-bytes", 64<<10, "largest request header block accepted")
	fl.DurationVar(&f.dp.UpstreamDialTimeout, "upstream-connect-timeout", 5*time.Second, "time to connect to a backend")
	fl.DurationVar(&f.dp.UpstreamResponseHeaderTimeout, "upstream-response-header-timeout", 30*time.Second, "time a backend has to send response headers (then 504)")
	fl.DurationVar(&f.dp.UpstreamTimeout, "upstream-timeout", 60*time.Second, "overall time for one proxied request")
	fl.IntVar(&f.dp.MaxIdleConnsPerBackend, "max-idle-conns-per-backend", 64, "idle keep-alive connections kept per backend")
	return cmd
}

// runGateway loads the config, starts the data plane and the admin server,
// and serves until SIGINT/SIGTERM; SIGHUP reloads.
func runGateway(ctx context.Context, g *globalFlags, f *runFlags, stderr io.Writer) error {
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	src := &file.Source{Paths: f.configs, Options: config.Options{BindHost: f.bind}}
	if len(f.configs) == 0 {
		pet, err := demo.StartPetstore()
		if err != nil {
			return err
		}
		defer pet.Close()
		src.Files = []config.NamedBytes{{Name: demo.DefaultConfigName, Data: demo.DefaultConfig(f.demoPort, pet.Port)}}
		log.Info("no -c given: serving the embedded default config", "petstore", "127.0.0.1:"+strconv.Itoa(pet.Port))
	}
	snap, problems := src.Load()
	reportProblems(log, stderr, problems)
	if snap == nil {
		fmt.Fprintf(stderr, "corsgate: the configuration has %d error(s); nothing was started\n", len(problems.Errors()))
		return exitError{1}
	}
	f.dp.Logger = log
	gw := dataplane.New(f.dp)
	if err := gw.Apply(snap); err != nil {
		return fmt.Errorf("start listeners: %w", err)
	}
	var draining atomic.Bool
	stopAdmin, err := startAdmin(f.adminAddr, admin.NewHandler(gw, func() bool { return !draining.Load() }), log)
	if err != nil {
		_ = gw.Shutdown(context.Background())
		return err
	}
	defer stopAdmin()
	for _, l := range snap.Listeners {
		log.Info("listening", "address", l.Address, "protocol", l.Protocol, "listeners", l.Names)
	}
	if len(f.configs) == 0 {
		printCurls(stderr, net.JoinHostPort(f.bind, strconv.Itoa(f.demoPort)))
	}
	return serveUntilSignal(ctx, log, stderr, src, gw, &draining, f.drainTimeout)
}

func serveUntilSignal(ctx context.Context, log *slog.Logger, stderr io.Writer, src *file.Source, gw *dataplane.Gateway, draining *atomic.Bool, drain time.Duration) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		select {
		case <-ctx.Done():
		case s := <-sigs:
			if s == syscall.SIGHUP {
				reload(log, stderr, src, gw)
				continue
			}
			log.Info("shutting down", "signal", s.String(), "drain-timeout", drain)
		}
		draining.Store(true)
		sctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		if err := gw.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		log.Info("stopped")
		return nil
	}
}

// reload applies a new config only when it is valid; otherwise the running
// one keeps serving.
func reload(log *slog.Logger, stderr io.Writer, src *file.Source, gw *dataplane.Gateway) {
	snap, problems := src.Load()
	reportProblems(log, stderr, problems)
	if snap == nil {
		log.Error("reload rejected: the running configuration keeps serving", "errors", len(problems.Errors()))
		return
	}
	if err := gw.Apply(snap); err != nil {
		log.Error("reload rejected: the running configuration keeps serving", "err", err)
		return
	}
	log.Info("reloaded", "generation", snap.Generation)
}

// reportProblems prints every problem as FILE:LINE: ... on stderr.
func reportProblems(log *slog.Logger, stderr io.Writer, ps config.Problems) {
	for _, p := range ps {
		fmt.Fprintln(stderr, p.Error())
	}
	if n := len(ps.Warnings()); n > 0 {
		log.Warn("configuration accepted with warnings", "warnings", n)
	}
}

func printCurls(w io.Writer, addr string) {
	fmt.Fprintln(w, "try it:")
	labels := []string{"# allowed preflight (204 with CORS headers)", "# denied preflight (403, no CORS headers)", "# allowed GET (200, JSON, Access-Control-Allow-Origin)"}
	for i, c := range demo.CurlCommands(addr) {
		fmt.Fprintf(w, "  %s\n  %s\n", labels[i], c)
	}
}

// startAdmin serves the admin handler; the returned func stops it.
func startAdmin(addr string, h http.Handler, log *slog.Logger) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin server on %q: %w; pick another with --admin-addr", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("admin server", "address", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
