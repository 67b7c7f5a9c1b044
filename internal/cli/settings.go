package cli

import (
	"log/slog"
	"time"

	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/source/file"
)

// startupSettings reads the ProxySettings of the configuration (if any)
// without counting a generation, and applies each setting whose flag was
// not given on the command line: flag > ProxySettings > built-in default.
// Invalid configurations are left to the real load, which reports them.
func startupSettings(src *file.Source, changed func(string) bool, dp *dataplane.Options) *ir.Settings {
	preview := &file.Source{Paths: src.Paths, Files: src.Files, Options: src.Options}
	snap, _ := preview.Load()
	if snap == nil || snap.Settings == nil {
		return nil
	}
	s := snap.Settings
	if changed == nil {
		changed = func(string) bool { return false }
	}
	dur := func(flag string, v ir.Duration, dst *time.Duration) {
		if v != 0 && !changed(flag) {
			*dst = time.Duration(v)
		}
	}
	num := func(flag string, v int, dst *int) {
		if v != 0 && !changed(flag) {
			*dst = v
		}
	}
	dur("read-header-timeout", s.ReadHeaderTimeout, &dp.ReadHeaderTimeout)
	dur("idle-timeout", s.IdleTimeout, &dp.IdleTimeout)
	num("max-header-bytes", s.MaxHeaderBytes, &dp.MaxHeaderBytes)
	dur("upstream-connect-timeout", s.UpstreamConnectTimeout, &dp.UpstreamDialTimeout)
	dur("upstream-response-header-timeout", s.UpstreamResponseHeaderTimeout, &dp.UpstreamResponseHeaderTimeout)
	dur("upstream-timeout", s.UpstreamTimeout, &dp.UpstreamTimeout)
	num("max-idle-conns-per-backend", s.MaxIdleConnsPerBackend, &dp.MaxIdleConnsPerBackend)
	return s
}

// warnSettingsChange wraps apply so that a reload whose ProxySettings
// differ from the ones the process started with says so: servers and
// transports keep the limits they were built with until the next start.
func warnSettingsChange(start *ir.Settings, log *slog.Logger, apply func(*ir.Snapshot) error) func(*ir.Snapshot) error {
	return func(s *ir.Snapshot) error {
		if !sameSettings(start, s.Settings) {
			log.Warn("ProxySettings changed: the new limits and timeouts take effect at the next start; routes and policies were reloaded")
		}
		return apply(s)
	}
}

// sameSettings compares two settings, ignoring where they came from.
func sameSettings(a, b *ir.Settings) bool {
	var x, y ir.Settings
	if a != nil {
		x = *a
	}
	if b != nil {
		y = *b
	}
	x.Source, y.Source = "", ""
	return x == y
}
