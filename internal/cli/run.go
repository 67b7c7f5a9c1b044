package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corsgate/corsgate/internal/admin"
	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/demo"
	"github.com/corsgate/corsgate/internal/lint"
	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/source"
	"github.com/corsgate/corsgate/internal/source/file"
)

type runFlags struct {
	configs      []string
	bind         string
	adminAddr    string
	adminHosts   []string
	demoPort     int
	drainTimeout time.Duration
	watch        bool
	debounce     time.Duration
	accessLog    bool
	dp           dataplane.Options
	// changed reports whether a flag was given on the command line
	// (flags win over ProxySettings).
	changed func(name string) bool
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
in the configuration is printed and nothing starts.

The files are watched and reloaded on change (and on SIGHUP); a
configuration with errors is rejected and the running one keeps serving.
SIGINT/SIGTERM turn /readyz to 503, stop accepting, let in-flight requests
finish for up to --drain-timeout and exit 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.changed = cmd.Flags().Changed
			return runGateway(cmd.Context(), g, f, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.configs, "config", "c", nil, "config file or directory of *.yaml (repeatable)")
	fl.StringVar(&f.bind, "bind", "127.0.0.1", "address every listener binds to")
	fl.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:9901", "admin server address (web console at /, /healthz, /readyz, /config, /metrics); empty disables it")
	fl.StringSliceVar(&f.adminHosts, "admin-allowed-host", nil, "host names the admin server answers to besides IP addresses and localhost (DNS rebinding protection)")
	fl.IntVar(&f.demoPort, "demo-port", 8080, "listener port of the embedded default config")
	fl.DurationVar(&f.drainTimeout, "drain-timeout", 30*time.Second, "how long in-flight requests may finish on shutdown")
	fl.BoolVar(&f.watch, "watch", true, "reload when a config file changes (SIGHUP always reloads)")
	fl.DurationVar(&f.debounce, "reload-debounce", file.DefaultDebounce, "quiet time after the last file change before reloading")
	fl.BoolVar(&f.accessLog, "access-log", true, "log one line per request (level info)")
	addDataplaneFlags(fl, &f.dp)
	return cmd
}

// addDataplaneFlags registers the data plane's limits and timeouts, shared
// by run and controller.
func addDataplaneFlags(fl *pflag.FlagSet, dp *dataplane.Options) {
	fl.DurationVar(&dp.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client has to send request headers")
	fl.DurationVar(&dp.IdleTimeout, "idle-timeout", 120*time.Second, "keep-alive idle timeout for client connections")
	fl.IntVar(&dp.MaxHeaderBytes, "max-header-bytes", 64<<10, "largest request header block accepted")
	fl.DurationVar(&dp.UpstreamDialTimeout, "upstream-connect-timeout", 5*time.Second, "time to connect to a backend")
	fl.DurationVar(&dp.UpstreamResponseHeaderTimeout, "upstream-response-header-timeout", 30*time.Second, "time a backend has to send response headers (then 504)")
	fl.DurationVar(&dp.UpstreamTimeout, "upstream-timeout", 60*time.Second, "overall time for one proxied request")
	fl.IntVar(&dp.MaxIdleConnsPerBackend, "max-idle-conns-per-backend", 64, "idle keep-alive connections kept per backend")
	fl.BoolVar(&dp.DisableFastHTTP1, "disable-fast-http1", false, "serve every client connection with net/http's server instead of the lean HTTP/1.1 front end for plain requests without a body")
}

// newDataplane wires logging, metrics and (with the admin server) the
// console's panel of denied CORS requests into a new data plane; shared by
// run and controller.
func newDataplane(dp *dataplane.Options, log *slog.Logger, withAdmin, accessLog bool) (*dataplane.Gateway, *metrics.Metrics, *admin.Traffic) {
	m := metrics.New()
	dp.Logger, dp.Metrics = log, m
	var traffic *admin.Traffic
	if withAdmin {
		traffic = admin.NewTraffic()
		dp.OnDeniedCORS = traffic.Record
	}
	if accessLog {
		dp.AccessLog = log
	}
	return dataplane.New(*dp), m, traffic
}

// runGateway loads the config, starts the data plane and the admin server,
// and serves until SIGINT/SIGTERM; file changes and SIGHUP reload.
func runGateway(ctx context.Context, g *globalFlags, f *runFlags, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	tuneGC(log)
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
	settings := startupSettings(src, f.changed, &f.dp)
	gw, m, traffic := newDataplane(&f.dp, log, f.adminAddr != "", f.accessLog)
	rl := file.NewReloader(src, warnSettingsChange(settings, log, gw.Apply), file.ReloaderOptions{Logger: log, Metrics: m, Debounce: f.debounce})
	problems, err := rl.Start()
	reportProblems(log, stderr, problems)
	if errs := problems.Errors(); len(errs) > 0 {
		fmt.Fprintf(stderr, "corsgate: the configuration has %d error(s); nothing was started\n", len(errs))
		return exitError{1}
	}
	if err != nil {
		return fmt.Errorf("start listeners: %w", err)
	}

	var draining atomic.Bool
	adminCtx, stopAdmin := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAdmin()
	if f.adminAddr != "" {
		h := admin.New(admin.Options{Snapshots: gw, Ready: func() bool { return !draining.Load() }, Status: rl, Metrics: m.Handler(),
			Traffic: traffic, Lint: func() *lint.Report { return lintSource(src) }, Logger: log, AllowedHosts: f.adminHosts})
		addr, _, err := admin.Serve(adminCtx, f.adminAddr, h, log)
		if err != nil {
			_ = gw.Shutdown(context.Background())
			return fmt.Errorf("%w (--admin-addr)", err)
		}
		log.Info("admin server", "address", addr, "console", "http://"+addr+"/")
	}
	for _, l := range gw.Current().Listeners {
		log.Info("listening", "address", gw.Addr(l.Port), "protocol", l.Protocol, "listeners", l.Names)
	}
	if len(f.configs) == 0 {
		printCurls(stderr, net.JoinHostPort(f.bind, strconv.Itoa(f.demoPort)))
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if f.watch {
		go func() {
			if err := rl.Watch(watchCtx); err != nil {
				log.Warn("configuration files are not watched; reload with SIGHUP", "error", err)
			}
		}()
	}
	return serveUntilSignal(ctx, log, rl, gw, func() { stopWatch(); draining.Store(true) }, f.drainTimeout)
}

// serveUntilSignal reloads on SIGHUP until ctx ends or SIGINT/SIGTERM
// arrives, then drains: beginDrain turns readiness off, the gateway stops
// accepting and in-flight requests get up to drain to finish. A second
// SIGINT/SIGTERM cuts the drain short. Either way the result is nil (exit
// 0) unless the gateway fails to stop for another reason.
func serveUntilSignal(ctx context.Context, log *slog.Logger, rl *file.Reloader, gw *dataplane.Gateway, beginDrain func(), drain time.Duration) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for stop := false; !stop; {
		select {
		case <-ctx.Done():
			log.Info("shutting down", "reason", "context done", "drain-timeout", drain)
			stop = true
		case s := <-sigs:
			if s == syscall.SIGHUP {
				_ = rl.Reload(source.TriggerSignal) // logged and recorded by the reloader
				continue
			}
			log.Info("shutting down", "signal", s.String(), "drain-timeout", drain)
			stop = true
		}
	}
	beginDrain()
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	drained := make(chan struct{})
	defer close(drained)
	go func() {
		for {
			select {
			case <-drained:
				return
			case s := <-sigs:
				if s != syscall.SIGHUP {
					log.Warn("second signal: closing the remaining connections now", "signal", s.String())
					cancel()
					return
				}
			}
		}
	}()
	err := gw.Shutdown(sctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	if err != nil {
		log.Warn("drain cut short: connections still open were closed", "error", err)
	}
	log.Info("stopped")
	return nil
}

// lintSource lints the files src loads, for the console's overview.
func lintSource(src *file.Source) *lint.Report {
	if len(src.Paths) > 0 {
		return lint.Run(src.Paths)
	}
	return lint.Lint(config.LoadBytes(src.Files))
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
