// Package source holds what every configuration source (the file source,
// later the Kubernetes controller) reports about its loads, so the admin
// server can show it without knowing which source runs.
package source

import "time"

// Triggers of a load attempt.
const (
	TriggerStartup = "startup" // the first load, before anything serves
	TriggerFile    = "file"    // a watched file or directory changed
	TriggerSignal  = "signal"  // SIGHUP
)

// Attempt is one try to load, translate and apply the configuration.
type Attempt struct {
	// Number counts attempts in this process: 1, 2, ...
	Number  uint64    `json:"attempt"`
	Trigger string    `json:"trigger"`
	Time    time.Time `json:"time"`
	// Generation is, for a success, the generation it made active; for a
	// failure, the generation that kept serving (0: none yet).
	Generation uint64 `json:"generation"`
	// Errors are the problems that rejected the attempt, one line each
	// (FILE:LINE: ... for configuration errors); at most MaxErrors, the
	// last line then says how many were left out.
	Errors []string `json:"errors,omitempty"`
	// Warnings counts the warning-severity problems.
	Warnings int `json:"warnings,omitempty"`
}

// MaxErrors bounds Attempt.Errors.
const MaxErrors = 100

// Status summarises the loads of a source. The zero value means "nothing
// attempted yet".
type Status struct {
	// ActiveGeneration is the generation being served (0: none).
	ActiveGeneration uint64 `json:"activeGeneration"`
	Attempts         uint64 `json:"attempts"`
	Failures         uint64 `json:"failures"`
	// LastResult is "success" or "failure" ("" before any attempt).
	LastResult  string   `json:"lastResult,omitempty"`
	LastSuccess *Attempt `json:"lastSuccess,omitempty"`
	LastFailure *Attempt `json:"lastFailure,omitempty"`
}
