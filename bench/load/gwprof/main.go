// Command gwprof runs corsgate's data plane in process, wired the way
// `corsgate run` wires it (config.Load, config.Translate, dataplane.New with
// a logger and Prometheus metrics, Apply), and serves net/http/pprof on a
// separate loopback address, so that CPU and allocation profiles can be
// taken under wrk load. The product binary has no pprof endpoint; this is
// the benchmark's stand-in for it (see bench/run-load.sh profile).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/metrics"
)

func main() {
	cfg := flag.String("c", "", "corsgate config file")
	pprofAddr := flag.String("pprof", "127.0.0.1:0", "loopback address for /debug/pprof/")
	accessLog := flag.Bool("access-log", false, "log one line per request to stderr, as `corsgate run` does by default")
	flag.Parse()
	if err := run(*cfg, *pprofAddr, *accessLog); err != nil {
		fmt.Fprintln(os.Stderr, "gwprof:", err)
		os.Exit(1)
	}
}

func run(cfg, pprofAddr string, accessLog bool) error {
	res, probs := config.Load([]string{cfg})
	if errs := probs.Errors(); len(errs) > 0 {
		return errs.Err()
	}
	snap, probs := config.Translate(res, config.Options{BindHost: "127.0.0.1"})
	if errs := probs.Errors(); len(errs) > 0 {
		return errs.Err()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := dataplane.Options{Logger: log, Metrics: metrics.New()}
	if accessLog {
		opts.AccessLog = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	gw := dataplane.New(opts)
	if err := gw.Apply(snap); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", pprofAddr)
	if err != nil {
		return err
	}
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		return fmt.Errorf("-pprof %s is not a loopback address", pprofAddr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(ln.Addr().String())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return gw.Shutdown(ctx)
}
