package fetch

import (
	"net/http"
	"testing"

	"github.com/corsgate/corsgate/internal/policy"
)

func TestFromDecision(t *testing.T) {
	p, _, err := policy.Compile(policy.Spec{
		AllowOrigins:  []string{"https://app.example"},
		AllowMethods:  []string{"PUT"},
		AllowHeaders:  []string{"X-A"},
		ExposeHeaders: []string{"X-Total"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The backend sends its own, wrong CORS headers; the gateway replaces them.
	upstream := http.Header{"Access-Control-Allow-Origin": {"*"}, "X-Total": {"3"}, "Vary": {"Accept"}}
	gateway := func(out Outgoing) (Response, error) {
		d := p.Evaluate(&policy.Request{
			Method:         out.Method,
			Origin:         out.Header.Values("Origin"),
			RequestMethod:  out.Header.Values("Access-Control-Request-Method"),
			RequestHeaders: out.Header.Values("Access-Control-Request-Headers"),
		})
		return FromDecision(&d, 200, upstream), nil
	}
	res, err := Run(Request{URL: api, Origin: page, Method: "PUT", Header: hdr("X-A", "1")}, Chromium, gateway)
	if err != nil || res.Verdict != Allowed {
		t.Fatalf("allowed origin: %v %+v", err, res.Failure)
	}
	if !contains(res.Readable, "x-total") {
		t.Errorf("readable %q", res.Readable)
	}
	res, _ = Run(Request{URL: api, Origin: "https://evil.example", Method: "PUT"}, Chromium, gateway)
	if res.Verdict != Blocked || res.Failure.Code != CodeMissingAllowOrigin || res.Failure.Status != 403 || !res.Failure.Preflight {
		t.Errorf("denied origin: %+v", res.Failure)
	}
	res, _ = Run(Request{URL: api, Origin: "https://evil.example"}, Chromium, gateway)
	if res.Verdict != Blocked || res.Failure.Code != CodeMissingAllowOrigin || res.Failure.Preflight {
		t.Errorf("denied simple request (upstream's * must be stripped): %+v", res.Failure)
	}
	d := p.Evaluate(&policy.Request{Method: "GET", Origin: []string{page}})
	r := FromDecision(&d, 200, upstream)
	if got := r.Header.Values("Vary"); len(got) != 2 || got[0] != "Accept" || got[1] != "Origin" {
		t.Errorf("Vary %q", got)
	}
	if upstream.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("FromDecision modified the upstream header")
	}
}
