package cli

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// gatewayGCPercent is the GOGC the gateway runs with unless the environment
// sets one. Its live heap is small (the snapshot, pooled buffers), so Go's
// default of 100 collects many times a second under load; 400 trades a few
// MiB of heap for less CPU per request (docs/performance.md measures it).
// GOMEMLIMIT, when set, still caps the heap.
const gatewayGCPercent = 400

// tuneGC applies gatewayGCPercent when GOGC is not set.
func tuneGC(log *slog.Logger) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(gatewayGCPercent)
	log.Debug("garbage collector tuned for a small live heap", "gogc", gatewayGCPercent)
}
