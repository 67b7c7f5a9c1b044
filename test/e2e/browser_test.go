package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/corsgate/corsgate/internal/testutil"
)

// chromiumPath is Debian's chromium package, which scripts/test-deps.sh
// installs when it is missing.
const chromiumPath = testutil.ChromiumPath

// Time limits. Every wait of the suite is bounded by one of these.
const (
	browserStartTimeout = 45 * time.Second // cold start on a busy 2-core machine
	tabTimeout          = 15 * time.Second // open a tab, enable domains, navigate
	fetchTimeout        = 10 * time.Second // one fetch() including its preflight
	settleTimeout       = 3 * time.Second  // DevTools events that trail a fetch
)

// browser is the suite's one Chromium process.
type browser struct {
	ctx context.Context // chromedp context of the started browser
	out *lockedBuffer   // Chromium's stdout and stderr
}

// startBrowser starts headless Chromium with HOME set to home (whose NSS
// database trusts the test CA). *.test resolves to 127.0.0.1. Failing to
// start is a test failure, never a skip: CORS is only proven in a browser.
func startBrowser(t *testing.T, home string) *browser {
	t.Helper()
	out := &lockedBuffer{}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), testutil.ChromiumOptions(t.TempDir(), out,
		chromedp.Flag("host-resolver-rules", "MAP *.test 127.0.0.1"),
		chromedp.Env("HOME="+home),
	)...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Run starts the process, and its context must live as long
	// as the browser, so the bound is a watchdog rather than a deadline.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("Chromium (%s) failed to start: %v\n%s"+
				"The browser tests need Debian's chromium package: run scripts/test-deps.sh (make deps).",
				chromiumPath, err, outputNote(out))
		}
	case <-time.After(browserStartTimeout):
		cancelBrowser()
		t.Fatalf("Chromium (%s) did not start within %v\n%s", chromiumPath, browserStartTimeout, outputNote(out))
	}
	return &browser{ctx: ctx, out: out}
}

// outputNote presents Chromium's output for a failure message.
func outputNote(out *lockedBuffer) string {
	if s := strings.TrimSpace(out.String()); s != "" {
		return "Chromium's output:\n" + s + "\n"
	}
	return ""
}

// tab is one page in its own browser context (like an incognito window),
// so nothing, above all the preflight cache, leaks between scenarios.
type tab struct {
	ctx context.Context
	rec *recorder
}

// newTab opens a tab in a new browser context with network and log events
// on; it closes when the test ends.
func (b *browser) newTab(t *testing.T) *tab {
	t.Helper()
	rec := newRecorder()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(rec.handle))
	t.Cleanup(cancel)
	// As for the browser, the first Run creates the target, which lives as
	// long as that Run's context: bound it with a watchdog.
	done := make(chan error, 1)
	go func() {
		_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
		if err == nil {
			_, err = chromedp.Call(ctx, log.Enable, cdp.Empty{})
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("open a tab with network and log events: %v", err)
		}
	case <-time.After(tabTimeout):
		cancel()
		t.Fatalf("opening a tab took more than %v\n%s", tabTimeout, outputNote(b.out))
	}
	return &tab{ctx: ctx, rec: rec}
}

// navigate loads the test page from origin.
func (tb *tab) navigate(t *testing.T, origin string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, tabTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/")); err != nil {
		t.Fatalf("load the page %s/: %v", origin, err)
	}
}

// pageResult is what the page script reports about its fetch().
type pageResult struct {
	Allowed    bool     `json:"allowed"` // the promise resolved
	Status     int      `json:"status"`
	Headers    []string `json:"headers"` // names in response.headers
	Redirected bool     `json:"redirected"`
	URL        string   `json:"url"`
	Error      string   `json:"error"` // the rejection, when not allowed
}

// fetchScript calls fetch(url, init) in the page and reports the outcome.
// It reads the body so that the response completes before it returns, and
// aborts after fetchTimeout.
const fetchScript = `(async (url, init, ms) => {
	init.signal = AbortSignal.timeout(ms);
	try {
		const r = await fetch(url, init);
		await r.text();
		return {allowed: true, status: r.status, headers: [...r.headers.keys()],
			redirected: r.redirected, url: r.url};
	} catch (e) {
		return {allowed: false, error: String(e)};
	}
})(%s, %s, %d)`

// fetchInit is the RequestInit the page passes to fetch().
type fetchInit struct {
	Method      string            `json:"method"`
	Headers     map[string]string `json:"headers"`
	Body        *string           `json:"body,omitempty"`
	Credentials string            `json:"credentials"`
	Mode        string            `json:"mode"`
}

// fetch runs f against url in the page and returns what the page read and
// what DevTools saw of it.
func (tb *tab) fetch(t *testing.T, url string, f fetchSpec) observation {
	t.Helper()
	init := fetchInit{Method: f.Method, Headers: map[string]string{}, Credentials: f.Credentials, Mode: "cors"}
	if init.Method == "" {
		init.Method = http.MethodGet
	}
	if init.Credentials == "" {
		init.Credentials = "same-origin"
	}
	for k, v := range f.Headers {
		init.Headers[k] = v
	}
	if f.ContentType != "" {
		init.Headers["Content-Type"] = f.ContentType
	}
	if f.Body != "" {
		init.Body = &f.Body
	}
	urlJSON, _ := json.Marshal(url)
	initJSON, _ := json.Marshal(init)
	script := fmt.Sprintf(fetchScript, urlJSON, initJSON, fetchTimeout.Milliseconds())

	tb.rec.reset()
	ctx, cancel := context.WithTimeout(tb.ctx, fetchTimeout+2*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[pageResult](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run fetch(%s) in the page: %v", url, err)
	}
	obs := tb.rec.settle(settleTimeout)
	obs.result = res
	return obs
}

// headerOf turns DevTools' raw header map (repeated headers joined by
// "\n") into an http.Header.
func headerOf(h network.Headers) http.Header {
	out := http.Header{}
	for k, v := range h {
		s, _ := v.(string)
		for line := range strings.SplitSeq(s, "\n") {
			out.Add(k, line)
		}
	}
	return out
}
