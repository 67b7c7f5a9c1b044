package policy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/policy/internal/origin"
)

// FuzzEvaluate drives every test policy with arbitrary request headers and
// checks the invariants the data plane relies on: no panic; a preflight is
// 204 exactly when allowed and a denied one carries no Access-Control-*
// header; an echoed Origin is the request's single, valid value; every
// value has len == cap. Inputs are split on "\n" into header lines.
func FuzzEvaluate(f *testing.F) {
	f.Add("OPTIONS", "https://example.com", "PUT", "x-a,authorization", "true")
	f.Add("GET", "null", "", "", "")
	f.Add("OPTIONS", "HTTPS://A.EXAMPLE.ORG:443", "patch", "a\nb, c", "True")
	f.Add("OPTIONS", "https://a.com\nhttps://b.com", "GET", ", , , ,", "")
	f.Add("OPTIONS", "chrome-extension://abc", "GET POST", "a  b", "true\ntrue")
	f.Add("OPTIONS", "https://app.example.net.evil.net", "PUT", "", "")
	f.Add("OPTIONS", "https://api.example.org", "PUT", "x-a", "")
	f.Add("OPTIONS", "https://api.example.org.evil.net", "DELETE", "", "")
	f.Add("GET", "https://API.example.org", "", "", "")
	policies := []*Policy{
		mustCompile(f, listSpec), mustCompile(f, staticSpec), mustCompile(f, reflectSpec),
		mustCompile(f, pnaSpec), mustCompile(f, bareSpec), mustCompile(f, exprSpec), mustCompile(f, forwardSpec),
	}
	f.Fuzz(func(t *testing.T, method, org, acrm, acrh, acrpn string) {
		r := &Request{
			Method:                method,
			Origin:                lines(org),
			RequestMethod:         lines(acrm),
			RequestHeaders:        lines(acrh),
			RequestPrivateNetwork: lines(acrpn),
		}
		h := requestHeader(r)
		for _, p := range policies {
			d := p.Evaluate(r)
			checkLenIsCap(t, d)
			var hd Decision
			p.EvaluateHeader(r.Method, h, &hd)
			if !reflect.DeepEqual(hd, d) {
				t.Fatalf("EvaluateHeader:\n got %+v\nwant %+v", hd, d)
			}
			if d.Preflight != r.IsPreflight() {
				t.Fatalf("Preflight = %v for %+v", d.Preflight, r)
			}
			if d.Allowed != (d.Reason == ReasonAllowed) {
				t.Fatalf("Allowed = %v with reason %v", d.Allowed, d.Reason)
			}
			if d.Forward && (!d.Preflight || d.Allowed || d.Status != 0 || d.AllowOrigin != nil) {
				t.Fatalf("forwarded decision %+v", d)
			}
			if d.Preflight && !d.Forward && (d.Status == 204) != d.Allowed {
				t.Fatalf("preflight status %d, allowed %v", d.Status, d.Allowed)
			}
			if d.Preflight && !d.Allowed && (d.AllowOrigin != nil || d.AllowCredentials != nil || d.AllowMethods != nil ||
				d.AllowHeaders != nil || d.ExposeHeaders != nil || d.MaxAge != nil || d.AllowPrivateNetwork != nil) {
				t.Fatalf("denied preflight with CORS headers: %+v", d)
			}
			if len(d.AllowOrigin) == 1 && d.AllowOrigin[0] != "*" {
				if len(r.Origin) != 1 || &d.AllowOrigin[0] != &r.Origin[0] {
					t.Fatalf("ACAO %q is not the request's single Origin", d.AllowOrigin)
				}
				if _, ok := origin.Parse(d.AllowOrigin[0]); !ok {
					t.Fatalf("echoed an invalid Origin %q", d.AllowOrigin[0])
				}
			}
		}
	})
}

// forwardSpec forwards preflights from origins it does not allow.
var forwardSpec = Spec{
	OriginRegexes:              []string{`https://(www|api)\.example\.org(:\d+)?`},
	AllowCredentials:           true,
	ForwardUnmatchedPreflights: true,
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// requestHeader returns r's header lists keyed by canonical name, as
// net/http stores them, for EvaluateHeader.
func requestHeader(r *Request) map[string][]string {
	h := map[string][]string{}
	if r == nil {
		return h
	}
	for name, v := range map[string][]string{
		HeaderOrigin: r.Origin, HeaderRequestMethod: r.RequestMethod,
		HeaderRequestHeaders: r.RequestHeaders, HeaderRequestPrivateNetwork: r.RequestPrivateNetwork,
	} {
		if v != nil {
			h[name] = v
		}
	}
	return h
}
