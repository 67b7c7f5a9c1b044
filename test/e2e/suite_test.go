package e2e

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// predictor is corsgate's own answer to "what will a browser do?": from the
// page's origin, the absolute URL fetched, the fetch options and the
// responses corsgate sent (as the wire carried them, before any browser
// filtering: the preflight answer, then each hop of the request itself) it
// computes the verdict the Fetch standard requires. Every step of every scenario compares it
// with what Chromium did, so the engine, `corsgate check` and a real
// browser cannot silently disagree.
//
// The predictor is fetchPredictor (internal/fetch). An error means the
// recorded exchange cannot be replayed (for example Chromium answered from
// its preflight cache); it is reported as a disagreement.
type predictor func(origin, url string, f fetchSpec, ex exchange) (verdict, error)

// verdict is a predictor's answer.
type verdict struct {
	Allowed   bool     // the script may read the response
	Preflight bool     // the request needs a preflight (cache aside)
	Readable  []string // lower-case names of the headers the script may read
}

// suite is everything a scenario needs: the running gateway, page server
// and browser.
type suite struct {
	browser   *browser
	pagePort  int
	httpPort  int
	httpsPort int
	predict   predictor // corsgate's own prediction; see predictor
}

// TestBrowser runs every scenario of testdata/scenarios.yaml in headless
// Chromium against a corsgate process. One scenario alone:
//
//	go test ./test/e2e -run 'TestBrowser/simple-get'
func TestBrowser(t *testing.T) {
	scenarios, err := loadScenarios(scenariosFile)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := startSuite(t)
	t.Logf("gateway, backends and Chromium ready in %v", time.Since(start).Round(time.Millisecond))
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) { s.run(t, sc) })
	}
}

// startSuite starts the backends, the page server, corsgate with a fresh
// TLS certificate, and Chromium trusting its CA. All stop with the test.
func startSuite(t *testing.T) *suite {
	t.Helper()
	s := &suite{pagePort: serve(t, pageHandler()), predict: fetchPredictor}
	backends := map[string]int{
		"echo":       serve(t, echoHandler()),
		"allow-all":  serve(t, allowAllHandler()),
		"slow":       serve(t, slowHandler(10*upstreamHeaderTimeout)),
		"redirector": serve(t, redirectHandler()),
	}
	ports := freePorts(t, 4)
	s.httpPort, s.httpsPort, backends["closed"] = ports[0], ports[1], ports[2] // closed: nothing listens (502)
	pki := newTestPKI(t, "api.test")
	cfg := gatewayConfig{
		HTTP: s.httpPort, HTTPS: s.httpsPort, Page: s.pagePort,
		CertPEM: string(pki.certPEM), KeyPEM: string(pki.keyPEM),
		Backends: backends,
		BasicPaths: map[string]string{
			"/basic": "echo", "/upstream-cors": "allow-all", "/slow": "slow",
			"/redirect": "redirector", "/down": "closed",
		},
	}
	startGateway(t, renderConfig(t, cfg), ports[3])
	s.browser = startBrowser(t, browserHome(t, pki.caPEM))
	return s
}

// gatewayURL adds the gateway's HTTP or HTTPS port to a scenario URL.
func (s *suite) gatewayURL(raw string) string {
	if strings.HasPrefix(raw, "https:") {
		return withPort(raw, s.httpsPort)
	}
	return withPort(raw, s.httpPort)
}

// run plays one scenario in a fresh browser context: load the page, then
// fetch once per step, waiting between steps as the data file says.
func (s *suite) run(t *testing.T, sc scenario) {
	origin := withPort(sc.Page, s.pagePort)
	target := s.gatewayURL(sc.Fetch.URL)
	tb := s.browser.newTab(t)
	tb.navigate(t, origin)
	steps := append([]repeat{{Expect: sc.Expect}}, sc.Then...)
	var cached *response // the last preflight answer: Chromium may reuse it
	for i, st := range steps {
		time.Sleep(st.After) // bounded to 5s by loadScenarios
		obs := tb.fetch(t, target, sc.Fetch)
		step := "fetch"
		if i > 0 {
			step = "fetch " + strconv.Itoa(i+1) + " (after " + st.After.String() + ")"
		}
		problems := checkBrowser(st.Expect, obs)
		ex := obs.exchange
		if ex.Preflight != nil {
			cached = ex.Preflight
		} else if i > 0 {
			// A later fetch may be answered from the preflight cache: the
			// browser then acts on the cached answer, so replay it.
			ex.Preflight = cached
		}
		if v, err := s.predict(origin, target, sc.Fetch, ex); err != nil {
			problems = append(problems, "corsgate's prediction (internal/fetch) failed: "+err.Error())
		} else {
			problems = append(problems, checkPrediction(v, obs, i == 0)...)
		}
		if len(problems) > 0 {
			t.Errorf("%s %s %s from page %s:\n  %s\nwhat happened:\n%s", step, methodOf(sc.Fetch), target, origin,
				strings.Join(problems, "\n  "), obs)
		}
	}
}

func methodOf(f fetchSpec) string {
	if f.Method == "" {
		return http.MethodGet
	}
	return f.Method
}

// checkBrowser compares what Chromium did with the data file.
func checkBrowser(want expectation, obs observation) []string {
	var p []string
	got := obs.result
	if obs.preflight != want.Preflight {
		p = append(p, "preflight sent = "+strconv.FormatBool(obs.preflight)+", want "+strconv.FormatBool(want.Preflight))
	}
	if got.Allowed != want.Allowed {
		// The details below would only repeat this.
		return append(p, "allowed = "+strconv.FormatBool(got.Allowed)+", want "+strconv.FormatBool(want.Allowed))
	}
	if !want.Allowed {
		if obs.corsError != want.CORSError {
			p = append(p, "DevTools CORS error = "+strconv.Quote(obs.corsError)+", want "+strconv.Quote(want.CORSError))
		}
		if !slices.ContainsFunc(obs.console, func(l string) bool { return strings.Contains(l, want.Console) }) {
			p = append(p, "no console CORS error contains "+strconv.Quote(want.Console))
		}
		return p
	}
	if got.Status != want.Status {
		p = append(p, "status = "+strconv.Itoa(got.Status)+", want "+strconv.Itoa(want.Status))
	}
	if got.Redirected != want.Redirected {
		p = append(p, "redirected = "+strconv.FormatBool(got.Redirected)+", want "+strconv.FormatBool(want.Redirected))
	}
	for _, h := range want.Readable {
		if !slices.Contains(got.Headers, strings.ToLower(h)) {
			p = append(p, "script cannot read header "+h)
		}
	}
	for _, h := range want.Unreadable {
		if slices.Contains(got.Headers, strings.ToLower(h)) {
			p = append(p, "script can read header "+h+", which must stay hidden")
		}
	}
	if obs.corsError != "" || len(obs.console) > 0 {
		p = append(p, "an allowed fetch logged a CORS error")
	}
	return p
}

// checkPrediction compares corsgate's prediction with what Chromium did.
// Whether a preflight was needed is compared on a scenario's first fetch
// only: later ones may be answered from the browser's preflight cache.
func checkPrediction(v verdict, obs observation, first bool) []string {
	var p []string
	if v.Allowed != obs.result.Allowed {
		p = append(p, "corsgate predicts allowed = "+strconv.FormatBool(v.Allowed)+"; Chromium disagrees")
	}
	if first && v.Preflight != obs.preflight {
		p = append(p, "corsgate predicts preflight = "+strconv.FormatBool(v.Preflight)+"; Chromium disagrees")
	}
	if v.Allowed && obs.result.Allowed {
		got, want := slices.Sorted(slices.Values(obs.result.Headers)), slices.Sorted(slices.Values(v.Readable))
		if !slices.Equal(got, want) {
			p = append(p, "corsgate predicts readable headers "+strings.Join(want, ",")+"; Chromium exposed "+strings.Join(got, ","))
		}
	}
	return p
}

// TestCheckPrediction pins the comparison the predictor hook will use, so
// it is proven before internal/fetch is wired in. It needs no browser.
func TestCheckPrediction(t *testing.T) {
	allowed := observation{preflight: true, result: pageResult{Allowed: true, Status: 200, Headers: []string{"x-exposed", "content-type"}}}
	cached := allowed
	cached.preflight = false
	tests := []struct {
		name  string
		v     verdict
		obs   observation
		first bool
		want  string // substring of the one expected problem; "" for none
	}{
		{"agree", verdict{Allowed: true, Preflight: true, Readable: []string{"content-type", "x-exposed"}}, allowed, true, ""},
		{"allowed differs", verdict{Allowed: false, Preflight: true}, allowed, true, "predicts allowed = false"},
		{"preflight differs", verdict{Allowed: true, Readable: []string{"content-type", "x-exposed"}}, allowed, true, "predicts preflight = false"},
		{"cached preflight is no disagreement", verdict{Allowed: true, Preflight: true, Readable: []string{"content-type", "x-exposed"}}, cached, false, ""},
		{"readable differs", verdict{Allowed: true, Preflight: true, Readable: []string{"content-type"}}, allowed, true, "readable headers content-type;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkPrediction(tt.v, tt.obs, tt.first)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}
