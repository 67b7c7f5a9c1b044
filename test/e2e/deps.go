// Package e2e holds corsgate's end-to-end tests: real headless Chromium
// and real processes on loopback.
package e2e

import _ "github.com/chromedp/chromedp" // the browser driver the suite uses
