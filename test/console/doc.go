// Package console tests the admin web console in real headless Chromium:
// the playground's prediction and the browser's own outcome of the live
// cross-origin fetch, for an allowed and a denied request, and the traffic
// panel fed by the denied one. The unit tests of every page and JSON
// endpoint are in internal/admin.
package console
