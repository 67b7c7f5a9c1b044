package policy

import (
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
	policies := []*Policy{
		mustCompile(f, listSpec), mustCompile(f, staticSpec), mustCompile(f, reflectSpec),
		mustCompile(f, pnaSpec), mustCompile(f, bareSpec),
	}
	f.Fuzz(func(t *testing.T, method, org, acrm, acrh, acrpn string) {
		r := &Request{
			Method:                method,
			Origin:                lines(org),
			RequestMethod:         lines(acrm),
			RequestHeaders:        lines(acrh),
			RequestPrivateNetwork: lines(acrpn),
		}
		for _, p := range policies {
			d := p.Evaluate(r)
			checkLenIsCap(t, d)
			if d.Preflight != r.IsPreflight() {
				t.Fatalf("Preflight = %v for %+v", d.Preflight, r)
			}
			if d.Allowed != (d.Reason == ReasonAllowed) {
				t.Fatalf("Allowed = %v with reason %v", d.Allowed, d.Reason)
			}
			if d.Preflight && (d.Status == 204) != d.Allowed {
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

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
