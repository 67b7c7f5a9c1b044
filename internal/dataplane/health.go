package dataplane

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// maxBackoffFactor caps the doubling of an endpoint's back-off.
const maxBackoffFactor = 30

// endpointHealth is the passive health of one endpoint: consecutive connect
// failures and, while they last, the time until which pick skips it.
type endpointHealth struct {
	fails     atomic.Uint32
	downUntil atomic.Int64 // Unix nanoseconds; 0 = healthy
}

// connectFailed takes endpoint i out of rotation for a back-off that
// doubles with each consecutive failure. A backend with a single endpoint
// has no alternative, so it is left alone.
func (b *backendState) connectFailed(i int, log *slog.Logger) {
	if len(b.health) < 2 || i < 0 || i >= len(b.health) {
		return
	}
	h := &b.health[i]
	fails := h.fails.Add(1)
	d := b.backoff << min(fails-1, 5)
	d = min(d, b.backoff*maxBackoffFactor)
	h.downUntil.Store(time.Now().Add(d).UnixNano())
	b.up.Backoff()
	log.LogAttrs(context.Background(), slog.LevelWarn, "endpoint failed to connect; skipping it while other endpoints exist",
		slog.String("backend", b.id), slog.String("endpoint", b.targets[i].host),
		slog.Duration("backoff", d), slog.Int("consecutive_failures", int(fails)))
}

// exchanged marks endpoint i healthy after a completed exchange. It only
// writes when the endpoint had failed, so the common case is one atomic
// load.
func (b *backendState) exchanged(i int, log *slog.Logger) {
	if i < 0 || i >= len(b.health) {
		return
	}
	h := &b.health[i]
	if h.fails.Load() == 0 {
		return
	}
	if h.fails.Swap(0) != 0 {
		h.downUntil.Store(0)
		log.LogAttrs(context.Background(), slog.LevelInfo, "endpoint connects again",
			slog.String("backend", b.id), slog.String("endpoint", b.targets[i].host))
	}
}
