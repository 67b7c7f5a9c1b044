package file

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/source"
)

// ReloaderOptions tunes a [Reloader]. Zero fields take the documented
// defaults.
type ReloaderOptions struct {
	// Logger receives one line per configuration problem and one summary
	// line per reload. Default: discard.
	Logger *slog.Logger
	// Metrics records every attempt. Default: nil, record nothing.
	Metrics *metrics.Metrics
	// Debounce is how long Watch waits after the last file event before it
	// reloads, so an editor's burst of writes causes one reload. Default
	// 200ms.
	Debounce time.Duration
}

// DefaultDebounce is ReloaderOptions.Debounce's default.
const DefaultDebounce = 200 * time.Millisecond

// Reloader loads a [Source] and hands each valid snapshot to an apply
// function (the data plane's Apply). A configuration with any error, or one
// apply refuses, never replaces the running one: the attempt is recorded as
// failed, with its errors, and the previous snapshot keeps serving.
// Attempts are serialised, whatever triggers them (start-up, Watch, SIGHUP).
type Reloader struct {
	src      *Source
	apply    func(*ir.Snapshot) error
	log      *slog.Logger
	metrics  *metrics.Metrics
	debounce time.Duration

	mu       sync.Mutex // one attempt at a time; guards attempts
	attempts uint64
	status   atomic.Pointer[source.Status]
}

// NewReloader returns a Reloader for src that applies snapshots with apply.
func NewReloader(src *Source, apply func(*ir.Snapshot) error, o ReloaderOptions) *Reloader {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	r := &Reloader{src: src, apply: apply, log: o.Logger, metrics: o.Metrics, debounce: o.Debounce}
	r.status.Store(&source.Status{})
	return r
}

// Status returns a copy of the load status.
func (r *Reloader) Status() source.Status { return *r.status.Load() }

// Start makes the first attempt. It logs nothing: the caller prints the
// problems (all of them, warnings included, are returned) and stops when
// the error is not nil.
func (r *Reloader) Start() (config.Problems, error) {
	return r.attempt(source.TriggerStartup)
}

// Reload makes one attempt and logs its problems (each with FILE:LINE) and
// its result. It returns the error that rejected it, or nil.
func (r *Reloader) Reload(trigger string) error {
	problems, err := r.attempt(trigger)
	for _, p := range problems {
		level := slog.LevelError
		if p.Severity == config.SeverityWarning {
			level = slog.LevelWarn
		}
		r.log.Log(context.Background(), level, "configuration problem", slog.String("problem", p.Error()))
	}
	st := r.Status()
	if err != nil {
		nerr := len(problems.Errors())
		if nerr == 0 { // refused by apply, not by translation
			nerr = 1
			r.log.Error("configuration problem", slog.String("problem", err.Error()))
		}
		r.log.Error("reload rejected: the running configuration keeps serving; fix the errors above and save again or send SIGHUP",
			slog.String("trigger", trigger), slog.Uint64("attempt", st.Attempts),
			slog.Uint64("generation", st.ActiveGeneration), slog.Int("errors", nerr))
		return err
	}
	r.log.Info("configuration reloaded", slog.String("trigger", trigger),
		slog.Uint64("attempt", st.Attempts), slog.Uint64("generation", st.ActiveGeneration),
		slog.Int("warnings", len(problems.Warnings())))
	return nil
}

// attempt loads, translates and applies once, and records the result.
func (r *Reloader) attempt(trigger string) (config.Problems, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	a := &source.Attempt{Number: r.attempts, Trigger: trigger, Time: time.Now().UTC()}
	snap, problems := r.src.Load()
	a.Warnings = len(problems.Warnings())
	var err error
	switch {
	case snap == nil:
		err = problems.Err()
		if err == nil { // Load promises problems with a nil snapshot
			err = fmt.Errorf("configuration produced no snapshot; check the source paths")
		}
		a.Errors = errorLines(problems.Errors(), err)
	default:
		if err = r.apply(snap); err != nil {
			a.Errors = errorLines(nil, err)
		}
	}

	st := *r.status.Load()
	st.Attempts = r.attempts
	if err == nil {
		a.Generation = snap.Generation
		st.ActiveGeneration = snap.Generation
		st.LastSuccess = a
		st.LastResult = metrics.ResultSuccess
	} else {
		a.Generation = st.ActiveGeneration
		st.LastFailure = a
		st.Failures++
		st.LastResult = metrics.ResultFailure
	}
	r.status.Store(&st)
	r.metrics.ConfigLoaded(err == nil, st.ActiveGeneration, len(a.Errors), a.Time)
	return problems, err
}

// errorLines renders the errors of an attempt, one line each, at most
// source.MaxErrors: the problems when there are any, else err's lines.
func errorLines(ps config.Problems, err error) []string {
	var lines []string
	if len(ps) > 0 {
		lines = make([]string, 0, min(len(ps), source.MaxErrors))
		for _, p := range ps {
			lines = append(lines, p.Error())
		}
	} else {
		lines = strings.Split(err.Error(), "\n")
	}
	if len(lines) > source.MaxErrors {
		more := len(lines) - (source.MaxErrors - 1)
		lines = append(lines[:source.MaxErrors-1], fmt.Sprintf("... and %d more errors", more))
	}
	return lines
}
