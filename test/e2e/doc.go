// Package e2e holds corsgate's end-to-end tests: real headless Chromium
// calling a real corsgate process over loopback, asserting what the browser
// actually did with each cross-origin fetch. See docs/browser-tests.md.
package e2e
