package fetch

import (
	"math/big"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var simpleRangeRef = regexp.MustCompile(`^bytes=([0-9]+)-([0-9]*)$`)

// refEssence is a deliberately naive reading of a Content-Type's essence,
// for a differential check against mimeEssence.
func refEssence(v string) (string, bool) {
	v, _, _ = strings.Cut(v, ";")
	v = strings.Trim(v, " \t")
	t, s, ok := strings.Cut(v, "/")
	if !ok || !isToken(t) || !isToken(s) {
		return "", false
	}
	return strings.ToLower(v), true
}

// FuzzSafelist checks the CORS-safelisted request-header rules against
// independent reference readings of the standard, and the invariants of
// the Access-Control-Request-Headers list: lower-cased, sorted, unique,
// and listing exactly the unsafe names.
func FuzzSafelist(f *testing.F) {
	for _, s := range [][2]string{
		{"Accept", "*/*"}, {"accept", "a(b"}, {"Accept-Language", "en-US,en;q=0.9"},
		{"content-language", "en_US"}, {"Content-Type", "text/plain;charset=UTF-8"},
		{"Content-Type", "application/json"}, {"content-type", " Multipart/Form-Data ; boundary=x"},
		{"Content-Type", "text/plain\u0085"}, {"Content-Type", `text/plain; charset="x"`},
		{"Range", "bytes=0-"}, {"Range", "bytes=10-9"}, {"Range", "bytes=-5"}, {"Range", "bytes=007-07"},
		{"X-Api-Key", "k"}, {"Authorization", "Bearer t"}, {"ACCEPT", strings.Repeat("a", 129)},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		why := UnsafeReason(name, value)
		ok := why == ""
		if ok != IsSafelistedRequestHeader(name, value) {
			t.Fatal("IsSafelistedRequestHeader disagrees with UnsafeReason")
		}
		lower := strings.ToLower(name)
		var want bool
		short := len(value) <= MaxSafelistedValue
		switch lower {
		case "accept":
			want = short && firstUnsafeByte(value) < 0
		case "accept-language", "content-language":
			want = short
			for i := 0; i < len(value); i++ {
				want = want && strings.IndexByte("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;=", value[i]) >= 0
			}
		case "content-type":
			e, parsed := refEssence(strings.Trim(value, " \t"))
			want = short && firstUnsafeByte(value) < 0 && parsed &&
				(e == "application/x-www-form-urlencoded" || e == "multipart/form-data" || e == "text/plain")
		case "range":
			m := simpleRangeRef.FindStringSubmatch(value)
			want = short && m != nil
			if want && m[2] != "" {
				a, _ := new(big.Int).SetString(m[1], 10)
				b, _ := new(big.Int).SetString(m[2], 10)
				want = a.Cmp(b) <= 0
			}
		}
		if ok != want {
			t.Fatalf("UnsafeReason(%q, %q) = %q; reference says safelisted=%v", name, value, why, want)
		}
		if !isToken(name) {
			return
		}
		h := http.Header{}
		h[name] = []string{value, "x"}
		names := UnsafeHeaderNames(h)
		if !sort.StringsAreSorted(names) {
			t.Fatalf("names not sorted: %q", names)
		}
		for i, n := range names {
			if n != strings.ToLower(n) || i > 0 && names[i-1] == n {
				t.Fatalf("names not a lower-cased set: %q", names)
			}
		}
		unsafe := !ok || !IsSafelistedRequestHeader(name, "x")
		if (len(names) == 1 && names[0] == lower) != unsafe || len(names) > 1 {
			t.Fatalf("UnsafeHeaderNames(%s: %q, x) = %q", name, value, names)
		}
	})
}

// lines splits a fuzz string into header lines; "" means absent.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// FuzzResponse feeds arbitrary CORS response headers to a preflighted,
// then actual, PUT and checks that an Allowed verdict is only ever reached
// through headers that satisfy the standard, and that every Blocked verdict
// explains itself.
func FuzzResponse(f *testing.F) {
	f.Add(page, "true", "PUT", "x-a,authorization", "x-b", "600", uint8(2), uint8(0), uint16(204))
	f.Add("*", "", "*", "*", "*", "-1", uint8(0), uint8(0), uint16(200))
	f.Add("*", "true", "*", "*", "", "", uint8(2), uint8(1), uint16(200))
	f.Add(page+"/", "True", "put", "X-A", "", "abc", uint8(2), uint8(2), uint16(204))
	f.Add(page+"\n"+page, "true\ntrue", "GET POST", "x-a;", "a b", "99999999999999999999", uint8(1), uint8(0), uint16(301))
	f.Add("null", "", "", "", "", "7200", uint8(0), uint8(1), uint16(401))
	f.Fuzz(func(t *testing.T, acao, acac, acam, acah, aceh, age string, creds, browser uint8, status uint16) {
		c := Credentials(creds % 3)
		b := Browser(browser % 3)
		h := http.Header{}
		for k, v := range map[string]string{
			"Access-Control-Allow-Origin": acao, "Access-Control-Allow-Credentials": acac,
			"Access-Control-Allow-Methods": acam, "Access-Control-Allow-Headers": acah,
			"Access-Control-Expose-Headers": aceh, "Access-Control-Max-Age": age,
		} {
			if l := lines(k + "\n" + v)[1:]; v != "" {
				h[k] = l
			}
		}
		st := int(status%500) + 100
		req := Request{URL: api, Origin: page, Method: "PUT", Header: hdr("X-A", "1", "Authorization", "t"), Credentials: c}
		res, err := Run(req, b, func(Outgoing) (Response, error) { return Response{Status: st, Header: h}, nil })
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == Blocked {
			if res.Failure == nil || res.Failure.Message == "" || res.Failure.Fix == "" || res.Steps[len(res.Steps)-1].Outcome != Fail {
				t.Fatalf("blocked without explanation: %+v", res)
			}
			return
		}
		if res.Failure != nil || !isOKStatus(st) {
			t.Fatalf("allowed with failure %+v or preflight status %d", res.Failure, st)
		}
		got, _ := get(h, "Access-Control-Allow-Origin")
		if got != page && !(got == "*" && c != Include) {
			t.Fatalf("allowed with ACAO %q, credentials %s", got, c)
		}
		if cr, _ := get(h, "Access-Control-Allow-Credentials"); c == Include && cr != "true" {
			t.Fatalf("allowed with ACAC %q", cr)
		}
		m, _, _, _ := parseList(values(h, "Access-Control-Allow-Methods"))
		if !containsExact(m, "PUT") && !(c != Include && containsExact(m, "*")) {
			t.Fatalf("allowed with ACAM %q", m)
		}
		n, _, _, _ := parseList(values(h, "Access-Control-Allow-Headers"))
		if !containsFold(n, "authorization") && (b != Chromium || c == Include || !containsExact(n, "*")) {
			t.Fatalf("%s allowed Authorization with ACAH %q", b, n)
		}
		if res.PreflightCacheSeconds == nil || *res.PreflightCacheSeconds < 0 {
			t.Fatalf("cache seconds %v", res.PreflightCacheSeconds)
		}
		if limit, ok := b.MaxAgeCap(); ok && *res.PreflightCacheSeconds > limit {
			t.Fatalf("cache %d above %s's cap", *res.PreflightCacheSeconds, b)
		}
	})
}
