// Package hardening holds multi-process tests of the corsgate binary:
// reloads and shutdown under load, and start-up with a broken
// configuration. Each test builds ./cmd/corsgate into a temporary directory
// and talks to it over 127.0.0.1 only.
package hardening
