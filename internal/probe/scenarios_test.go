package probe

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/probe/scenario"
)

// pageOrigin is the origin {{origin}} stands for in these tests; the
// Chromium suite uses the origin of the page it serves instead.
const pageOrigin = "https://app.example"

// options turns a scenario's request into probe options against run.
func options(t *testing.T, run *scenario.Running, r *scenario.Request, b fetch.Browser) Options {
	t.Helper()
	o := Options{
		URL: run.URL(r.Server) + r.Path, Origin: run.Origin(r), Method: r.Method,
		ContentType: r.ContentType, Browser: b, Timeout: 10 * time.Second, Header: http.Header{},
	}
	for _, line := range r.Headers {
		k, v, err := ParseHeader(run.Expand(line))
		if err != nil {
			t.Fatal(err)
		}
		o.Header.Add(k, v)
	}
	if r.Credentials != "" {
		c, err := fetch.ParseCredentials(r.Credentials)
		if err != nil {
			t.Fatal(err)
		}
		o.Credentials = c
	}
	if r.Body != nil {
		o.Data, o.HasData = []byte(*r.Body), true
	}
	return o
}

// TestScenarios runs every scenario of testdata/scenarios.yaml against
// real loopback servers, once per browser profile.
func TestScenarios(t *testing.T) {
	f, err := scenario.Load("testdata/scenarios.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Scenarios) < 30 {
		t.Fatalf("only %d scenarios", len(f.Scenarios))
	}
	for i := range f.Scenarios {
		sc := &f.Scenarios[i]
		for _, b := range []fetch.Browser{fetch.Chromium, fetch.Firefox, fetch.FetchSpec} {
			t.Run(sc.Name+"/"+b.String(), func(t *testing.T) {
				t.Parallel()
				runScenario(t, sc, b)
			})
		}
	}
}

func runScenario(t *testing.T, sc *scenario.Scenario, b fetch.Browser) {
	run, err := scenario.Start(sc, pageOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	rep, err := Check(context.Background(), options(t, run, &sc.Request, b))
	if err != nil {
		t.Fatalf("check could not run: %v", err)
	}
	res := rep.Result
	want := sc.Expect.For(b.String())
	if res.Verdict.String() != want.Verdict {
		t.Fatalf("verdict %s, want %s; failure: %+v", res.Verdict, want.Verdict, res.Failure)
	}
	if (res.Preflights > 0) != sc.Expect.Preflight {
		t.Errorf("preflights sent: %d, want preflight=%v", res.Preflights, sc.Expect.Preflight)
	}
	if want.Verdict == "BLOCKED" {
		reason := want.Reason
		if b != fetch.Chromium && sc.Expect.Browsers[b.String()].Reason == "" {
			reason = "" // only Chromium's wording is given
		}
		if !strings.Contains(res.Failure.Message, run.Expand(reason)) {
			t.Errorf("message\n  %s\nlacks\n  %s", res.Failure.Message, run.Expand(reason))
		}
		if want.Code != "" && string(res.Failure.Code) != want.Code {
			t.Errorf("code %s, want %s", res.Failure.Code, want.Code)
		}
		if res.Failure.Fix == "" {
			t.Error("no fix")
		}
	}
	if len(rep.Exchanges) != len(run.Received()) {
		t.Errorf("recorded %d exchanges, servers saw %d requests", len(rep.Exchanges), len(run.Received()))
	}
	checkReceived(t, run, sc.Expect.Requests)
}

func checkReceived(t *testing.T, run *scenario.Running, want []scenario.Received) {
	t.Helper()
	if want == nil {
		return
	}
	got := run.Received()
	if len(got) != len(want) {
		t.Fatalf("servers received %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Server != w.Server || g.Kind != w.Kind || g.Method != w.Method || g.Path != w.Path {
			t.Errorf("request %d: %s %s %s %s, want %s %s %s %s", i, g.Server, g.Kind, g.Method, g.Path, w.Server, w.Kind, w.Method, w.Path)
		}
		for name, v := range w.Headers {
			if got := strings.Join(g.Header().Values(name), ", "); got != run.Expand(v) {
				t.Errorf("request %d: %s = %q, want %q", i, name, got, run.Expand(v))
			}
		}
		if g.Kind == "preflight" && g.Header().Get("Cookie") != "" {
			t.Errorf("request %d: preflight with a Cookie", i)
		}
	}
}
