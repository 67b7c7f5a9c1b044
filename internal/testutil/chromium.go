package testutil

import (
	"io"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium, which scripts/test-deps.sh installs.
const ChromiumPath = "/usr/bin/chromium"

// ChromiumOptions are the allocator options every browser test uses:
// headless Debian Chromium with a fresh profile in userDataDir, output to
// out, and every feature that reaches for the network switched off (this
// machine has none, and Chromium would keep retrying). extra adds
// test-specific options such as host-resolver rules or HOME.
func ChromiumOptions(userDataDir string, out io.Writer, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(userDataDir),
		chromedp.CombinedOutput(out),
	}
	return append(opts, extra...)
}
