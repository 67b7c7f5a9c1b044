package console

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"

	"github.com/chromedp/chromedp"

	"github.com/corsgate/corsgate/internal/admin"
	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/source/file"
)

// chromiumPath is Debian's chromium package (scripts/test-deps.sh installs
// it when it is missing).
const chromiumPath = testutil.ChromiumPath

// Time limits; every wait of the test is bounded by one of these.
const (
	browserStartTimeout = 45 * time.Second // cold start on a busy 2-core machine
	stepTimeout         = 20 * time.Second // one page load or one playground run
)

// gatewayYAML: /allowed lets the console's own origin call it (PUT with a
// JSON body needs a preflight), /denied allows another origin only.
const gatewayYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: %[1]d, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: console}
spec:
  parentRefs: [{name: gw}]
  rules:
  - name: allowed
    matches: [{path: {type: PathPrefix, value: /allowed}}]
    filters:
    - type: CORS
      cors:
        allowOrigins: [%[2]s]
        allowMethods: [GET, PUT]
        allowHeaders: [Content-Type]
        exposeHeaders: [X-Backend]
    backendRefs: [{group: corsgate.dev, kind: Backend, name: be}]
  - name: denied
    matches: [{path: {type: PathPrefix, value: /denied}}]
    filters:
    - type: CORS
      cors: {allowOrigins: [https://elsewhere.example]}
    backendRefs: [{group: corsgate.dev, kind: Backend, name: be}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: be}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: %[3]d}}]
`

// stack is a gateway with its admin server, wired as `corsgate run` wires
// them (the traffic panel fed by the data plane's denied requests).
type stack struct {
	adminURL   string // the console's origin
	gatewayURL string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "pets")
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"method":%q}`, r.Method)
	}))
	t.Cleanup(backend.Close)

	traffic := admin.NewTraffic()
	gw := dataplane.New(dataplane.Options{OnDeniedCORS: traffic.Record})
	t.Cleanup(func() { _ = gw.Shutdown(context.Background()) })
	src := &file.Source{}
	rl := file.NewReloader(src, gw.Apply, file.ReloaderOptions{})
	// The admin server starts first: its address is the page origin the
	// policy must allow.
	ctx, cancel := context.WithCancel(context.Background())
	h := admin.New(admin.Options{Snapshots: gw, Status: rl, Traffic: traffic})
	adminAddr, done, err := admin.Serve(ctx, "127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-done })
	adminURL := "http://" + adminAddr

	port := testutil.FreePort(t)
	yaml := fmt.Sprintf(gatewayYAML, port, adminURL, backend.Listener.Addr().(*net.TCPAddr).Port)
	src.Files = []config.NamedBytes{{Name: "console.yaml", Data: []byte(yaml)}}
	if problems, err := rl.Start(); err != nil {
		t.Fatalf("start the gateway: %v\n%v", err, problems)
	}
	return &stack{adminURL: adminURL, gatewayURL: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// startBrowser starts headless Chromium with a fresh profile. Failing to
// start is a test failure, never a skip.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	out := &lockedBuffer{}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), testutil.ChromiumOptions(t.TempDir(), out)...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first action starts the process and its context must live as
	// long as the browser, so the bound is a watchdog, not a deadline.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("Chromium (%s) failed to start: %v\n%s"+
				"The console test needs Debian's chromium package: run scripts/test-deps.sh (make deps).",
				chromiumPath, err, out.String())
		}
	case <-time.After(browserStartTimeout):
		cancelBrowser()
		t.Fatalf("Chromium (%s) did not start within %v\n%s", chromiumPath, browserStartTimeout, out.String())
	}
	return ctx
}

// do runs actions with a step timeout.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// playCase is one playground run and what the page must show.
type playCase struct {
	name, path, method, headers, body string
	// verdict is the prediction, "allowed" or "blocked"; outcome the
	// browser's, "resolved" or "rejected".
	verdict, outcome string
	// liveText is a substring of the browser's outcome line.
	liveText string
}

// shown is what the playground page displays after a run.
type shown struct {
	Verdict       string   `json:"verdict"`       // server-rendered prediction (#verdict)
	LiveVerdict   string   `json:"liveVerdict"`   // the live panel's prediction
	LiveOutcome   string   `json:"liveOutcome"`   // the browser's outcome
	OutcomeText   string   `json:"outcomeText"`   // its line of text
	Agree         string   `json:"agree"`         // "yes" when they agree
	ReadableNames []string `json:"readableNames"` // headers the script could read
}

const shownJS = `(() => {
	const $ = (id) => document.getElementById(id);
	return {
		verdict: $("verdict").dataset.verdict,
		liveVerdict: $("live-prediction").dataset.verdict,
		liveOutcome: $("live-outcome").dataset.outcome,
		outcomeText: $("live-outcome").textContent,
		agree: $("live-agreement").dataset.agree || "",
		readableNames: [...document.querySelectorAll("#live-headers code")].map((c) => c.textContent.split(":")[0]),
	};
})()`

func TestConsoleInChromium(t *testing.T) {
	st := startStack(t)
	ctx := startBrowser(t)
	shots := t.ArtifactDir()

	// The overview works without the script; here it must list both rules.
	do(t, ctx, "load the overview", chromedp.Navigate(st.adminURL+"/"), chromedp.WaitVisible(chromedp.ID("main")))
	overview := eval[string](t, ctx, `document.querySelector("main").innerText`)
	for _, want := range []string{"generation 1", "default/console/0/0", "default/console/1/0", st.adminURL, "https://elsewhere.example"} {
		if !strings.Contains(overview, want) {
			t.Errorf("overview lacks %q:\n%s", want, overview)
		}
	}
	saveScreenshot(t, ctx, filepath.Join(shots, "overview.png"))

	for _, pc := range []playCase{
		{name: "allowed", path: "/allowed/1", method: "PUT", headers: "Content-Type: application/json", body: `{"name":"Rex"}`,
			verdict: "allowed", outcome: "resolved", liveText: "Resolved: 200"},
		{name: "denied", path: "/denied", method: "GET", verdict: "blocked", outcome: "rejected", liveText: "TypeError"},
	} {
		t.Run(pc.name, func(t *testing.T) {
			got := runPlayground(t, ctx, st, pc)
			if got.Verdict != pc.verdict || got.LiveVerdict != pc.verdict {
				t.Errorf("prediction %q, live panel's %q; want %q", got.Verdict, got.LiveVerdict, pc.verdict)
			}
			if got.LiveOutcome != pc.outcome || !strings.Contains(got.OutcomeText, pc.liveText) {
				t.Errorf("browser outcome %q %q; want %q containing %q", got.LiveOutcome, got.OutcomeText, pc.outcome, pc.liveText)
			}
			if got.Agree != "yes" {
				t.Errorf("the page says the prediction and the browser disagree: %+v", got)
			}
			if pc.outcome == "resolved" && !slices.Contains(got.ReadableNames, "x-backend") {
				t.Errorf("readable headers %q lack the exposed x-backend", got.ReadableNames)
			}
			saveScreenshot(t, ctx, filepath.Join(shots, "playground-"+pc.name+".png"))
		})
	}

	// The live denied request went through the data plane's hook.
	do(t, ctx, "load the traffic panel", chromedp.Navigate(st.adminURL+"/traffic"), chromedp.WaitVisible(chromedp.ID("main")))
	traffic := eval[string](t, ctx, `document.querySelector("main").innerText`)
	for _, want := range []string{"default/console/1/0", st.adminURL, "origin_not_allowed"} {
		if !strings.Contains(traffic, want) {
			t.Errorf("traffic panel lacks %q:\n%s", want, traffic)
		}
	}
}

// runPlayground fills the form as a user would, submits it for the
// server's prediction, then presses "Send from this browser" and waits for
// the live result.
func runPlayground(t *testing.T, ctx context.Context, st *stack, pc playCase) shown {
	t.Helper()
	do(t, ctx, "load the playground", chromedp.Navigate(st.adminURL+"/playground"), chromedp.WaitVisible(chromedp.ID("live-run")))
	if origin := eval[string](t, ctx, `document.getElementById("origin").value`); origin != st.adminURL {
		t.Errorf("the origin field defaults to %q, want the console's own %q", origin, st.adminURL)
	}
	// The fields of a freshly loaded form are empty: fill in the others.
	var fill []chromedp.Action[chromedp.Void]
	for id, v := range map[string]string{"url": st.gatewayURL + pc.path, "method": pc.method, "headers": pc.headers, "body": pc.body} {
		if v != "" {
			fill = append(fill, chromedp.SetValue(chromedp.ID(id), v))
		}
	}
	do(t, ctx, "fill in and submit the form", append(fill,
		chromedp.Click(chromedp.CSS(`#playground button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("verdict")),
		chromedp.WaitVisible(chromedp.ID("live-run")),
	)...)
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	err := chromedp.Do(sctx,
		chromedp.Click(chromedp.ID("live-run")),
		chromedp.Poll[chromedp.Void](`document.getElementById("live-agreement").dataset.state === "done"`,
			chromedp.WithPollingTimeout(stepTimeout)),
	)
	if err != nil {
		t.Fatalf("run the live request: %v", err)
	}
	return eval[shown](t, ctx, shownJS)
}

func saveScreenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// lockedBuffer collects output written from other goroutines.
type lockedBuffer = testutil.SyncBuffer
