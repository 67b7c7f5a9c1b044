package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/lint"
	"github.com/corsgate/corsgate/internal/policy"
	"github.com/corsgate/corsgate/internal/source"
)

// consoleYAML has a route whose policy allows https://app.example and one
// whose policy does not.
const consoleYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: gw}]
  rules:
  - name: open
    matches: [{path: {type: PathPrefix, value: /open}}]
    filters:
    - type: CORS
      cors: {allowOrigins: [https://app.example], allowMethods: [GET, PUT], allowHeaders: [Content-Type]}
    backendRefs: [{group: corsgate.dev, kind: Backend, name: be}]
  - name: closed
    matches: [{path: {type: Exact, value: /closed}}]
    filters:
    - type: CORS
      cors: {allowOrigins: [https://other.example]}
    backendRefs: [{group: corsgate.dev, kind: Backend, name: be}]
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: be}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: 9}}]
`

func consoleSnapshot(t *testing.T) *ir.Snapshot {
	t.Helper()
	res, probs := config.LoadBytes([]config.NamedBytes{{Name: "console.yaml", Data: []byte(consoleYAML)}})
	snap, tp := config.Translate(res, config.Options{})
	if err := append(probs, tp...).Err(); err != nil {
		t.Fatal(err)
	}
	snap.Generation, snap.CreatedAt = 3, time.Unix(1700000000, 0).UTC()
	return snap
}

type response struct {
	code   int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, target string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", target, nil)
	req.Host = "127.0.0.1:9901"
	h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.String()}
}

// checkPage checks what every console page must have: HTML, the security
// headers, and no inline script or style anywhere.
func checkPage(t *testing.T, r response, status int, wants ...string) {
	t.Helper()
	if r.code != status || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("status %d, Content-Type %q; want %d, HTML", r.code, r.header.Get("Content-Type"), status)
	}
	for k, v := range map[string]string{
		"Content-Security-Policy": consolePolicy, "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(consolePolicy, "script-src 'self';") || strings.Contains(consolePolicy, "unsafe") {
		t.Errorf("CSP %q must allow only the console's own scripts", consolePolicy)
	}
	scripts := regexp.MustCompile(`(?i)<script\b[^>]*>`).FindAllString(r.body, -1)
	if len(scripts) != 1 || scripts[0] != `<script src="/static/console.js" defer>` {
		t.Errorf("script tags %q, want only the static console.js", scripts)
	}
	if m := regexp.MustCompile(`(?i)\s(on[a-z]+|style)=`).FindString(r.body); m != "" {
		t.Errorf("inline handler or style attribute %q", m)
	}
	for _, w := range wants {
		if !strings.Contains(r.body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("body:\n%s", r.body)
	}
}

func TestOverview(t *testing.T) {
	src := &fakeSource{}
	status := fakeStatus{source.Status{ActiveGeneration: 3, Attempts: 2, Failures: 1, LastResult: "failure",
		LastSuccess: &source.Attempt{Number: 1, Trigger: "startup", Generation: 3},
		LastFailure: &source.Attempt{Number: 2, Trigger: "file", Generation: 3, Errors: []string{"gw.yaml:6: bad <protocol>"}}}}
	var lints atomic.Int32
	h := New(Options{Snapshots: src, Status: status, Traffic: NewTraffic(), Lint: func() *lint.Report {
		lints.Add(1)
		return &lint.Report{Summary: lint.Summary{Warnings: 1}, Findings: []lint.Finding{{
			Rule: "CG123", Name: "wildcard-with-credentials", Severity: lint.Warning, File: "routes.yaml", Line: 12,
			Message: "origin <b>look-alike</b>", Fix: "list the origins"}}}
	}})

	checkPage(t, get(t, h, "/"), http.StatusServiceUnavailable, "none loaded", "Why the last reload was rejected")

	src.snap.Store(consoleSnapshot(t))
	r := get(t, h, "/")
	checkPage(t, r, http.StatusOK,
		"generation 3", "rejected", "generation 3 keeps serving", "gw.yaml:6: bad &lt;protocol&gt;",
		"Listener :8080", "default/api/0/0", "default/api/1/0", "PathPrefix", "<code>/open</code>", "Exact",
		"https://app.example", "https://other.example", "console.yaml:", "default/be",
		"CG123", "routes.yaml:12", "origin &lt;b&gt;look-alike&lt;/b&gt;", "list the origins",
		"Denied CORS requests", `href="/playground?url=http%3A%2F%2F127.0.0.1%3A8080%2Fopen"`)
	get(t, h, "/")
	if n := lints.Load(); n != 1 {
		t.Errorf("lint ran %d times for one load attempt, want once", n)
	}
}

// Every value from the configuration is untrusted text.
func TestOverviewEscapes(t *testing.T) {
	evil := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	spec := policy.Spec{AllowOrigins: []string{"https://a.example" + evil}, AllowMethods: []string{evil}}
	snap := &ir.Snapshot{Generation: 1, Listeners: []*ir.Listener{{
		Names: []string{"ns/gw/" + evil}, Address: "127.0.0.1:8080", Port: 8080, Protocol: ir.ProtocolHTTP,
		Hosts: []*ir.VirtualHost{{Hostname: "h" + evil, Routes: []*ir.Route{{
			ID: "ns/r/0/0" + evil, Source: "f" + evil + ".yaml:1", Match: ir.Match{PathType: ir.PathPrefix, Path: "/p" + evil},
			CORS: &ir.CORS{Spec: spec, Source: evil, Chain: []string{evil, evil}, Warnings: []string{evil}},
		}}}},
	}}}
	src := &fakeSource{}
	src.snap.Store(snap)
	tr := NewTraffic()
	tr.Record(denied("ns/r/0/0"+evil, evil, true))
	h := New(Options{Snapshots: src, Traffic: tr})
	for _, path := range []string{"/", "/traffic", "/playground?url=" + url.QueryEscape("http://x"+evil) + "&origin=" + url.QueryEscape(evil)} {
		r := get(t, h, path)
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s: unescaped markup from the configuration:\n%s", path, r.body)
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the hostile value is not shown escaped", path)
		}
	}
}

func TestPlayground(t *testing.T) {
	src := &fakeSource{}
	h := New(Options{Snapshots: src})
	checkPage(t, get(t, h, "/playground"), http.StatusOK, `id="playground"`, `value="http://127.0.0.1:9901"`)
	checkPage(t, get(t, h, "/playground?url=http://127.0.0.1:8080/open"), http.StatusServiceUnavailable, "no configuration is loaded")

	src.snap.Store(consoleSnapshot(t))
	play := func(q url.Values) string { return "/playground?" + q.Encode() }
	checkPage(t, get(t, h, "/playground"), http.StatusOK, `<option value="http://127.0.0.1:8080/open">`,
		`<option value="http://127.0.0.1:8080/closed">`, `id="live-run"`)
	checkPage(t, get(t, h, play(url.Values{"url": {"http://127.0.0.1:8080/open/1"}, "origin": {"https://app.example"},
		"method": {"PUT"}, "headers": {"Content-Type: application/json"}, "body": {"{}"}})), http.StatusOK,
		`data-verdict="allowed"`, "Request 1: preflight", "Request 2: actual", "default/api/0/0",
		"Access-Control-Allow-Origin: https://app.example", "console.yaml:", "placeholder 200")
	checkPage(t, get(t, h, play(url.Values{"url": {"http://127.0.0.1:8080/closed"}, "origin": {"https://app.example"}})),
		http.StatusOK, `data-verdict="blocked"`, "No &#39;Access-Control-Allow-Origin&#39; header", "Fix:", "default/api/1/0")
	for _, bad := range []url.Values{
		{"url": {""}},
		{"url": {"/relative"}},
		{"url": {"http://127.0.0.1:9999/"}},
		{"url": {"http://127.0.0.1:8080/"}, "origin": {"not an origin"}},
		{"url": {"http://127.0.0.1:8080/"}, "headers": {"no colon"}},
		{"url": {"http://127.0.0.1:8080/"}, "credentials": {"sometimes"}},
		{"url": {"http://127.0.0.1:8080/" + strings.Repeat("a", maxPlayURL)}},
	} {
		checkPage(t, get(t, h, play(bad)), http.StatusBadRequest, `role="alert"`, "Cannot explain this request")
	}
}

// explainDoc is the part of /api/explain the tests read.
type explainDoc struct {
	Request   playInput `json:"request"`
	Port      int       `json:"port"`
	Exchanges []struct {
		Kind    string `json:"kind"`
		Gateway struct {
			Action string `json:"action"`
			Route  struct {
				ID string `json:"id"`
			} `json:"route"`
		} `json:"gateway"`
	} `json:"exchanges"`
	Result struct {
		Verdict string `json:"verdict"`
		Failure *struct {
			Code string `json:"code"`
		} `json:"failure"`
	} `json:"result"`
	Error string `json:"error"`
}

func TestAPIExplain(t *testing.T) {
	src := &fakeSource{}
	h := New(Options{Snapshots: src})
	if r := get(t, h, "/api/explain?url=http://127.0.0.1:8080/open"); r.code != http.StatusServiceUnavailable {
		t.Errorf("without a configuration: %d %s", r.code, r.body)
	}
	src.snap.Store(consoleSnapshot(t))
	var doc explainDoc
	decode := func(target string, status int) {
		t.Helper()
		r := get(t, h, target)
		doc = explainDoc{}
		if r.code != status || r.header.Get("Content-Type") != "application/json" || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %q, want %d JSON: %s", target, r.code, r.header.Get("Content-Type"), status, r.body)
		}
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
	}
	// The origin defaults to the console's own, as for a live request.
	decode("/api/explain?url=http://127.0.0.1:8080/open&method=PUT&headers=Content-Type:+application/json", 200)
	if doc.Request.Origin != "http://127.0.0.1:9901" || doc.Port != 8080 || doc.Result.Verdict != "BLOCKED" ||
		len(doc.Exchanges) != 1 || doc.Exchanges[0].Kind != "preflight" || doc.Exchanges[0].Gateway.Action != "preflight" {
		t.Errorf("default origin: %+v", doc)
	}
	decode("/api/explain?url=http://127.0.0.1:8080/open&origin=https://app.example", 200)
	if doc.Result.Verdict != "ALLOWED" || len(doc.Exchanges) != 1 || doc.Exchanges[0].Gateway.Route.ID != "default/api/0/0" {
		t.Errorf("allowed: %+v", doc)
	}
	decode("/api/explain?url=http://127.0.0.1:8080/closed&origin=https://app.example", 200)
	if doc.Result.Verdict != "BLOCKED" || doc.Result.Failure == nil || doc.Result.Failure.Code != "missing-allow-origin" {
		t.Errorf("blocked: %+v", doc)
	}
	decode("/api/explain?url=http://127.0.0.1:7/&origin=https://app.example", 400)
	if !strings.Contains(doc.Error, "no listener on port 7") {
		t.Errorf("no listener: %+v", doc)
	}
}

func TestTrafficPage(t *testing.T) {
	src := &fakeSource{}
	src.snap.Store(consoleSnapshot(t))
	checkPage(t, get(t, New(Options{Snapshots: src}), "/traffic"), http.StatusOK, "does not record")
	if r := get(t, New(Options{Snapshots: src}), "/api/traffic"); r.code != http.StatusNotFound {
		t.Errorf("/api/traffic without a recorder: %d", r.code)
	}

	tr := NewTraffic()
	h := New(Options{Snapshots: src, Traffic: tr})
	checkPage(t, get(t, h, "/traffic"), http.StatusOK, "No denied CORS requests in this window")
	tr.Record(denied("default/api/1/0", "https://app.example", true))
	tr.Record(denied("default/api/1/0", "https://app.example", false))
	tr.Record(denied("gone/route/0/0", "https://probe.example", false))
	checkPage(t, get(t, h, "/traffic"), http.StatusOK, `id="denied-total">3<`, "https://app.example",
		"<code>default/api/1/0</code>", "origin_not_allowed", "<meter",
		`href="/playground?origin=https%3A%2F%2Fapp.example&amp;url=http%3A%2F%2F127.0.0.1%3A8080%2Fclosed"`)
	checkPage(t, get(t, h, "/"), http.StatusOK, "most from <code>https://app.example</code>")

	r := get(t, h, "/api/traffic")
	var s TrafficSummary
	if err := json.Unmarshal([]byte(r.body), &s); err != nil || r.code != 200 {
		t.Fatalf("/api/traffic: %d %v %s", r.code, err, r.body)
	}
	if s.Requests != 3 || s.Preflights != 1 || len(s.Rows) != 2 || s.Rows[0].Requests != 2 || len(s.PerMinute) != TrafficMinutes {
		t.Errorf("/api/traffic = %+v", s)
	}
}

func TestConsoleStatic(t *testing.T) {
	h := New(Options{Snapshots: &fakeSource{}})
	for path, ctype := range map[string]string{
		"/static/console.js":  "text/javascript; charset=utf-8",
		"/static/console.css": "text/css; charset=utf-8",
		"/static/favicon.svg": "image/svg+xml",
	} {
		r := get(t, h, path)
		if r.code != 200 || r.header.Get("Content-Type") != ctype || r.header.Get("X-Content-Type-Options") != "nosniff" || r.body == "" {
			t.Errorf("%s: %d %q", path, r.code, r.header.Get("Content-Type"))
		}
	}
	if r := get(t, h, "/static/nope.js"); r.code != 404 {
		t.Errorf("missing static file: %d", r.code)
	}
	// The script never turns text into markup.
	if js := get(t, h, "/static/console.js").body; strings.Contains(js, "innerHTML") || strings.Contains(js, "eval(") {
		t.Error("console.js uses innerHTML or eval")
	}
}
