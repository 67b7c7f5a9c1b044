// Package admin serves corsgate's operational endpoints on a separate,
// usually private, address:
//
//	GET /healthz  200 "ok" while the process serves HTTP (liveness)
//	GET /readyz   200 "ready" once a configuration is loaded and the
//	              caller's readiness check passes, else 503 with the reason.
//	              A rejected reload leaves it ready: the previous
//	              configuration keeps serving. It turns 503 when the
//	              gateway starts draining.
//	GET /config   the active ir.Snapshot as indented JSON (certificate and
//	              key bytes are never included) plus "reload": the load
//	              status (active generation, attempts, the last success and
//	              the last failure with its time and errors)
//	GET /metrics  Prometheus metrics (when a metrics handler is given)
//
// and the web console (console.go): GET / (overview), /playground,
// /traffic, /api/explain, /api/traffic and /static/.
//
// Other methods get 405; HEAD works wherever GET does.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/lint"
	"github.com/corsgate/corsgate/internal/source"
)

// SnapshotSource gives the active configuration; *dataplane.Gateway is one.
type SnapshotSource interface {
	Current() *ir.Snapshot
}

// StatusSource gives the configuration load status; *file.Reloader is one.
type StatusSource interface {
	Status() source.Status
}

// Options configures the admin handler. Only Snapshots is required.
type Options struct {
	Snapshots SnapshotSource
	// Ready reports whether the process is ready beyond having a snapshot
	// (false while starting or draining); nil means "ready once a snapshot
	// is loaded".
	Ready func() bool
	// Status adds the load status to /config; nil leaves it out.
	Status StatusSource
	// Metrics serves /metrics; nil leaves the endpoint out (404).
	Metrics http.Handler
	// Traffic feeds the console's traffic panel; nil: the panel says
	// denied requests are not recorded.
	Traffic *Traffic
	// Lint lints the configuration files for the console's overview; it
	// runs at most once per load attempt. Nil: no lint findings shown.
	Lint func() *lint.Report
	// Logger receives console rendering errors. Default: discard.
	Logger *slog.Logger
	// AllowedHosts are host names (besides IP literals and localhost) the
	// admin server answers to. Any other Host header gets 421: a page on
	// another site cannot reach the admin server by DNS rebinding.
	AllowedHosts []string
}

// NewHandler returns the admin handler without load status and metrics.
func NewHandler(g SnapshotSource, ready func() bool) http.Handler {
	return New(Options{Snapshots: g, Ready: ready})
}

// New returns the admin handler.
func New(o Options) http.Handler {
	h := &handler{src: o.Snapshots, ready: o.Ready, status: o.Status, log: o.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	newConsole(h, o).register(mux)
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("GET /config", h.config)
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	return hostGuard(mux, o.AllowedHosts)
}

// hostGuard answers 421 to requests whose Host is a name other than
// localhost or one of allowed. IP literals always pass (probes, scrapes
// and port-forwards use them).
func hostGuard(next http.Handler, allowed []string) http.Handler {
	ok := map[string]bool{"localhost": true}
	for _, h := range allowed {
		ok[strings.ToLower(strings.TrimSuffix(h, "."))] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if host == "" || ok[host] || net.ParseIP(strings.Trim(host, "[]")) != nil {
			next.ServeHTTP(w, r)
			return
		}
		text(w, http.StatusMisdirectedRequest, fmt.Sprintf(
			"admin: Host %q is not allowed (protection against DNS rebinding); use an IP address or localhost, or allow the name with --admin-allowed-host", r.Host))
	})
}

type handler struct {
	src    SnapshotSource
	ready  func() bool
	status StatusSource
	log    *slog.Logger
}

// snapshot is the active configuration, nil when none is loaded.
func (h *handler) snapshot() *ir.Snapshot {
	if h.src == nil {
		return nil
	}
	return h.src.Current()
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	text(w, http.StatusOK, "ok")
}

func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	switch {
	case h.src == nil || h.src.Current() == nil:
		text(w, http.StatusServiceUnavailable, "not ready: no configuration loaded yet")
	case h.ready != nil && !h.ready():
		text(w, http.StatusServiceUnavailable, "not ready: starting up or draining for shutdown")
	default:
		text(w, http.StatusOK, "ready")
	}
}

// configDump is the /config document: the snapshot's fields at the top
// level, and the load status beside them.
type configDump struct {
	*ir.Snapshot
	Error  string         `json:"error,omitempty"`
	Reload *source.Status `json:"reload,omitempty"`
}

func (h *handler) config(w http.ResponseWriter, _ *http.Request) {
	var d configDump
	if h.src != nil {
		d.Snapshot = h.src.Current()
	}
	if h.status != nil {
		st := h.status.Status()
		d.Reload = &st
	}
	w.Header().Set("Cache-Control", "no-store")
	if d.Snapshot == nil {
		d.Error = "no configuration loaded yet; see reload.lastFailure and the source's logs for the errors"
		writeJSON(w, http.StatusServiceUnavailable, d)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		text(w, http.StatusInternalServerError, "cannot encode the configuration as JSON: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

func text(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}

// shutdownTimeout bounds how long Serve waits for admin requests in flight
// once ctx is cancelled.
const shutdownTimeout = 5 * time.Second

// Serve binds addr, serves h on it in the background and shuts the server
// down when ctx is cancelled. It returns the bound address (useful with
// port 0) and a channel that receives the serve result (nil after a clean
// shutdown) and is then closed.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (string, <-chan error, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("admin: listen on %q: %w; choose a free address for the admin server", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
		}
	}()
	result := make(chan error, 1)
	go func() {
		defer close(result)
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else {
			log.Error("admin server stopped", slog.String("address", ln.Addr().String()), slog.Any("error", err))
		}
		close(done)
		<-stopped
		result <- err
	}()
	return ln.Addr().String(), result, nil
}
