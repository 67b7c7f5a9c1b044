// Package file is the standalone configuration source: it reads
// Kubernetes-style YAML from files and directories, translates it with
// config.Translate and hands out immutable snapshots.
package file

import (
	"sync/atomic"
	"time"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/ir"
)

// Source loads configuration from Paths, or from Files when Paths is empty
// (the embedded default).
type Source struct {
	Paths   []string
	Files   []config.NamedBytes
	Options config.Options

	generation atomic.Uint64
}

// Load reads and translates the configuration. The snapshot is nil when any
// error-severity problem was found: a config with errors is never served.
// Warnings are returned either way.
func (s *Source) Load() (*ir.Snapshot, config.Problems) {
	var (
		res      *config.Resources
		problems config.Problems
	)
	if len(s.Paths) > 0 {
		res, problems = config.Load(s.Paths)
	} else {
		res, problems = config.LoadBytes(s.Files)
	}
	if problems.Err() != nil {
		problems.Sort()
		return nil, problems
	}
	snap, tp := config.Translate(res, s.Options)
	problems = append(problems, tp...)
	problems.Sort()
	if problems.Err() != nil {
		return nil, problems
	}
	snap.Generation = s.generation.Add(1)
	snap.CreatedAt = time.Now().UTC()
	return snap, problems
}
