package cli

import (
	"log/slog"
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	quiet := slog.New(slog.DiscardHandler)

	t.Setenv("GOGC", "150") // restored after the test, set or not
	tuneGC(quiet)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, tuneGC changed the GC percent to %d", got)
	}

	os.Unsetenv("GOGC")
	tuneGC(quiet)
	if got := debug.SetGCPercent(100); got != gatewayGCPercent {
		t.Errorf("without GOGC, GC percent %d, want %d", got, gatewayGCPercent)
	}
}
