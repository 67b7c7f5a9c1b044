package fetch

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestCORSCheck(t *testing.T) {
	const o = "https://app.example"
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name    string
		creds   Credentials
		tainted bool
		h       http.Header
		code    Code   // "" = pass
		fix     string // substring
	}{
		{"exact origin", SameOrigin, false, h("Access-Control-Allow-Origin", o), "", ""},
		{"star without credentials", Omit, false, h("Access-Control-Allow-Origin", "*"), "", ""},
		{"star same-origin mode", SameOrigin, false, h("Access-Control-Allow-Origin", "*"), "", ""},
		{"star ignores ACAC without credentials", Omit, false, h("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true"), "", ""},
		{"origin with credentials", Include, false, h("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "true"), "", ""},
		{"lower-case header key", SameOrigin, false, http.Header{"access-control-allow-origin": {o}}, "", ""},
		{"missing", SameOrigin, false, h(), CodeMissingAllowOrigin, "`Access-Control-Allow-Origin: https://app.example` (or `*`"},
		{"missing with credentials", Include, false, h(), CodeMissingAllowOrigin, "`Access-Control-Allow-Origin: https://app.example` on this response"},
		{"star with credentials", Include, false, h("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true"), CodeWildcardOrigin, "don't combine `*` with credentials"},
		{"two lines", SameOrigin, false, h("Access-Control-Allow-Origin", o, "Access-Control-Allow-Origin", o), CodeMultipleAllowOrigin, "two layers"},
		{"two lines of star", Omit, false, h("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Origin", "*"), CodeMultipleAllowOrigin, "two layers"},
		{"list in one line", SameOrigin, false, h("Access-Control-Allow-Origin", o+" https://b.example"), CodeMultipleAllowOrigin, "one origin, not a list"},
		{"trailing slash", SameOrigin, false, h("Access-Control-Allow-Origin", o+"/"), CodeAllowOriginMismatch, "drop the trailing slash from the configured origin"},
		{"path", SameOrigin, false, h("Access-Control-Allow-Origin", o+"/app"), CodeAllowOriginMismatch, "without a path"},
		{"upper case", SameOrigin, false, h("Access-Control-Allow-Origin", "https://App.Example"), CodeAllowOriginMismatch, "lower case"},
		{"default port", SameOrigin, false, h("Access-Control-Allow-Origin", o+":443"), CodeAllowOriginMismatch, "drop the default port"},
		{"scheme", SameOrigin, false, h("Access-Control-Allow-Origin", "http://app.example"), CodeAllowOriginMismatch, "scheme differs"},
		{"other origin", SameOrigin, false, h("Access-Control-Allow-Origin", "https://other.example"), CodeAllowOriginMismatch, "add `https://app.example` to its allowed origins"},
		{"null for a real origin", SameOrigin, false, h("Access-Control-Allow-Origin", "null"), CodeAllowOriginMismatch, "allows `null`"},
		{"no scheme", SameOrigin, false, h("Access-Control-Allow-Origin", "app.example"), CodeInvalidAllowOrigin, "serialized origin"},
		{"empty", SameOrigin, false, h("Access-Control-Allow-Origin", ""), CodeInvalidAllowOrigin, "serialized origin"},
		{"tainted origin", Omit, true, h("Access-Control-Allow-Origin", o), CodeAllowOriginMismatch, "`Origin: null`"},
		{"ACAC missing", Include, false, h("Access-Control-Allow-Origin", o), CodeInvalidAllowCredential, "must send `Access-Control-Allow-Credentials: true`"},
		{"ACAC True", Include, false, h("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "True"), CodeInvalidAllowCredential, "in lower case"},
		{"ACAC twice", Include, false, h("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Credentials", "true"), CodeInvalidAllowCredential, "send Access-Control-Allow-Credentials once"},
		{"ACAC yes", Include, false, h("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "yes"), CodeInvalidAllowCredential, "exactly `true`"},
		{"ACAC ignored without include", SameOrigin, false, h("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "nope"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := o
			if tt.tainted {
				origin = "null"
			}
			f := corsCheck(&checkCtx{origin: origin, tainted: tt.tainted, creds: tt.creds}, tt.h)
			if tt.code == "" {
				if f != nil {
					t.Fatalf("failed with %s: %s", f.code, f.fix)
				}
				return
			}
			if f == nil || f.code != tt.code {
				t.Fatalf("got %+v, want code %s", f, tt.code)
			}
			if !strings.Contains(f.fix, tt.fix) {
				t.Errorf("fix %q lacks %q", f.fix, tt.fix)
			}
		})
	}
	// A null origin matches ACAO null.
	if f := corsCheck(&checkCtx{origin: "null"}, h("Access-Control-Allow-Origin", "null")); f != nil {
		t.Errorf("null origin vs ACAO null: %+v", f)
	}
}

func TestCORSCheckStatusAwareFix(t *testing.T) {
	c := &checkCtx{origin: "https://a.example", preflight: true, status: 401}
	if f := corsCheck(c, nil); !strings.Contains(f.fix, "preflight got 401 without CORS headers") {
		t.Errorf("preflight 401 fix: %q", f.fix)
	}
	for status, want := range map[int]string{
		403: "how corsgate and most CORS middleware deny an origin",
		404: "does not handle OPTIONS here (404)",
		500: "the preflight got 500 without CORS headers",
		204: "answer the preflight with `Access-Control-Allow-Origin: https://a.example` (or `*`",
	} {
		c.status = status
		if f := corsCheck(c, nil); !strings.Contains(f.fix, want) {
			t.Errorf("preflight %d fix: %q", status, f.fix)
		}
	}
	c = &checkCtx{origin: "https://a.example", status: 404}
	if f := corsCheck(c, nil); !strings.Contains(f.fix, "on error responses too (nginx: add `always`") {
		t.Errorf("actual 404 fix: %q", f.fix)
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		lines   []string
		want    []string
		present bool
		bad     string
	}{
		{nil, nil, false, ""},
		{[]string{""}, nil, true, ""},
		{[]string{"GET, POST"}, []string{"GET", "POST"}, true, ""},
		{[]string{"GET,POST", "PUT"}, []string{"GET", "POST", "PUT"}, true, ""},
		{[]string{" ,GET,, \tPUT ,"}, []string{"GET", "PUT"}, true, ""},
		{[]string{"*"}, []string{"*"}, true, ""},
		{[]string{"GET POST"}, nil, true, "GET POST"},
		{[]string{"x-a, x:b"}, nil, true, "x:b"},
		{[]string{`"GET"`}, nil, true, `"GET"`},
	}
	for _, tt := range tests {
		got, present, bad, ok := parseList(tt.lines)
		if !reflect.DeepEqual(got, tt.want) || present != tt.present || bad != tt.bad || ok != (tt.bad == "") {
			t.Errorf("parseList(%q) = %q, %v, %q, %v", tt.lines, got, present, bad, ok)
		}
	}
}

func TestMethodCheck(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		acam    []string
		present bool
		force   bool
		creds   Credentials
		fix     string // "" = pass
	}{
		{"listed", "PUT", []string{"GET", "PUT"}, true, false, SameOrigin, ""},
		{"safelisted always", "POST", nil, false, false, Include, ""},
		{"star without credentials", "DELETE", []string{"*"}, true, false, Omit, ""},
		{"star with credentials", "DELETE", []string{"*"}, true, false, Include, "literal method name `*`"},
		{"star listed with credentials", "DELETE", []string{"*", "DELETE"}, true, false, Include, ""},
		{"not listed", "PUT", []string{"GET", "POST"}, true, false, SameOrigin, "the server must list `PUT` in Access-Control-Allow-Methods"},
		{"absent", "PUT", nil, false, false, SameOrigin, "has no Access-Control-Allow-Methods"},
		{"absent with use-CORS-preflight flag", "PUT", nil, false, true, SameOrigin, ""},
		{"byte-exact", "patch", []string{"PATCH"}, true, false, SameOrigin, "compare case-sensitively"},
		{"lower-case listed", "patch", []string{"patch"}, true, false, SameOrigin, ""},
		{"upper-case request, lower-case list", "PUT", []string{"put"}, true, false, SameOrigin, "have the page use `PUT`, or list `PUT`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, f := methodCheck(tt.method, tt.acam, tt.present, tt.force, tt.creds)
			if tt.fix == "" {
				if f != nil || text == "" {
					t.Fatalf("got %+v, %q; want pass", f, text)
				}
				return
			}
			if f == nil || f.code != CodeMethodNotAllowed || f.value != tt.method || !strings.Contains(f.fix, tt.fix) {
				t.Fatalf("got %+v, want fix containing %q", f, tt.fix)
			}
		})
	}
}

func TestHeaderCheck(t *testing.T) {
	u := func(names ...string) []UnsafeHeader {
		var out []UnsafeHeader
		for _, n := range names {
			out = append(out, UnsafeHeader{Name: n, Reason: "not a CORS-safelisted request header"})
		}
		return out
	}
	tests := []struct {
		name   string
		b      Browser
		unsafe []UnsafeHeader
		acah   []string
		creds  Credentials
		failOn string // "" = pass
		warn   bool
	}{
		{"listed any case", Chromium, u("x-a", "x-b"), []string{"X-A", "x-B"}, SameOrigin, "", false},
		{"not listed", Chromium, u("x-a", "x-b"), []string{"x-a"}, SameOrigin, "x-b", false},
		{"star covers", FetchSpec, u("x-a", "x-b"), []string{"*"}, Omit, "", false},
		{"star literal with credentials", FetchSpec, u("x-a"), []string{"*"}, Include, "x-a", false},
		{"star and name with credentials", FetchSpec, u("x-a"), []string{"*", "x-a"}, Include, "", false},
		{"authorization listed", FetchSpec, u("authorization"), []string{"Authorization"}, Include, "", false},
		{"authorization star spec", FetchSpec, u("authorization", "x-a"), []string{"*"}, Omit, "authorization", false},
		{"authorization star firefox", Firefox, u("authorization"), []string{"*"}, SameOrigin, "authorization", false},
		{"authorization star chromium", Chromium, u("authorization", "x-a"), []string{"*"}, Omit, "", true},
		{"authorization star chromium credentials", Chromium, u("authorization"), []string{"*"}, Include, "authorization", false},
		{"spec checks authorization first", FetchSpec, u("a-first", "authorization"), []string{"x"}, Omit, "authorization", false},
		{"chromium checks in sorted order", Chromium, u("a-first", "authorization"), []string{"x"}, Omit, "a-first", false},
		{"content-type needs listing", Chromium, []UnsafeHeader{{Name: "content-type", Reason: "application/json is not application/x-www-form-urlencoded, multipart/form-data or text/plain"}}, nil, Omit, "content-type", false},
		{"nothing unsafe", FetchSpec, nil, nil, Include, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, warn, f := headerCheck(tt.b, tt.unsafe, tt.acah, tt.creds)
			if tt.failOn == "" {
				if f != nil {
					t.Fatalf("failed: %+v", f)
				}
				if warn != tt.warn {
					t.Errorf("warn = %v, text %q", warn, text)
				}
				return
			}
			if f == nil || f.code != CodeHeaderNotAllowed || f.value != tt.failOn {
				t.Fatalf("got %+v, want failure on %q", f, tt.failOn)
			}
		})
	}
	_, _, f := headerCheck(FetchSpec, u("authorization"), []string{"*"}, Omit)
	if !strings.Contains(f.fix, "never covers Authorization") {
		t.Errorf("authorization fix: %q", f.fix)
	}
	_, _, f = headerCheck(FetchSpec, []UnsafeHeader{{Name: "content-type", Reason: "application/json is not text/plain"}}, nil, Omit)
	if !strings.Contains(f.fix, "list `content-type`") || !strings.Contains(f.fix, "application/json is not text/plain") {
		t.Errorf("content-type fix: %q", f.fix)
	}
	_, _, f = headerCheck(FetchSpec, u("x-a"), []string{"*"}, Include)
	if !strings.Contains(f.fix, "is a literal name") {
		t.Errorf("credentials fix: %q", f.fix)
	}
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		lines    []string
		chromium int64
		firefox  int64
		spec     int64
	}{
		{nil, 5, 5, 5},
		{[]string{"600"}, 600, 600, 600},
		{[]string{"7200"}, 7200, 7200, 7200},
		{[]string{"1728000"}, 7200, 86400, 1728000},
		{[]string{"0"}, 0, 0, 0},
		{[]string{"-1"}, 0, 5, 5},
		{[]string{"abc"}, 5, 5, 5},
		{[]string{""}, 5, 5, 5},
		{[]string{"10", "20"}, 5, 5, 5},
		{[]string{"99999999999999999999999"}, 5, 86400, 9223372036854775807},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, l := range tt.lines {
			h.Add("Access-Control-Max-Age", l)
		}
		for b, want := range map[Browser]int64{Chromium: tt.chromium, Firefox: tt.firefox, FetchSpec: tt.spec} {
			got, text := maxAge(b, h)
			if got != want || text == "" {
				t.Errorf("maxAge(%s, %q) = %d (%s), want %d", b, tt.lines, got, text, want)
			}
		}
	}
	if _, text := maxAge(Chromium, http.Header{"Access-Control-Max-Age": {"86400"}}); !strings.Contains(text, "exceeds Chromium's cap") {
		t.Errorf("cap text: %q", text)
	}
}

func TestReadableHeaders(t *testing.T) {
	base := http.Header{
		"Content-Type": {"application/json"}, "Content-Length": {"2"}, "Date": {"x"},
		"X-Request-Id": {"1"}, "X-Total": {"3"}, "Set-Cookie": {"a=b", "c=d"},
	}
	tests := []struct {
		name             string
		aceh             []string
		creds            Credentials
		readable, hidden []string
	}{
		{"safelisted only", nil, Omit, []string{"content-length", "content-type"}, []string{"date", "set-cookie", "x-request-id", "x-total"}},
		{"exposed", []string{"X-Request-Id, set-cookie"}, Omit, []string{"content-length", "content-type", "x-request-id"}, []string{"date", "set-cookie", "x-total"}},
		{"star", []string{"*"}, Omit, []string{"access-control-expose-headers", "content-length", "content-type", "date", "x-request-id", "x-total"}, []string{"set-cookie"}},
		{"star literal with credentials", []string{"*"}, Include, []string{"content-length", "content-type"}, []string{"access-control-expose-headers", "date", "set-cookie", "x-request-id", "x-total"}},
		{"malformed list exposes nothing", []string{"x-total, a b"}, Omit, []string{"content-length", "content-type"}, []string{"access-control-expose-headers", "date", "set-cookie", "x-request-id", "x-total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base.Clone()
			if tt.aceh != nil {
				h["Access-Control-Expose-Headers"] = tt.aceh
			}
			r, hid := ReadableHeaders(h, tt.creds)
			want := tt.hidden
			if tt.aceh != nil && !contains(tt.readable, "access-control-expose-headers") && !contains(want, "access-control-expose-headers") {
				want = append([]string{"access-control-expose-headers"}, want...)
			}
			if !reflect.DeepEqual(r, tt.readable) || !reflect.DeepEqual(hid, want) {
				t.Errorf("ReadableHeaders = %q / %q, want %q / %q", r, hid, tt.readable, want)
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
