package fetch

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestMethods(t *testing.T) {
	tests := []struct {
		in                    string
		normal                string
		safelisted, forbidden bool
	}{
		{"GET", "GET", true, false},
		{"get", "GET", true, false},
		{"Head", "HEAD", true, false},
		{"post", "POST", true, false},
		{"put", "PUT", false, false},
		{"delete", "DELETE", false, false},
		{"options", "OPTIONS", false, false},
		{"patch", "patch", false, false}, // not normalised: compares as "patch"
		{"PATCH", "PATCH", false, false},
		{"trace", "trace", false, true},
		{"Connect", "Connect", false, true},
		{"TRACK", "TRACK", false, true},
		{"CHICKEN", "CHICKEN", false, false},
	}
	for _, tt := range tests {
		if got := NormalizeMethod(tt.in); got != tt.normal {
			t.Errorf("NormalizeMethod(%q) = %q, want %q", tt.in, got, tt.normal)
		}
		if got := IsSafelistedMethod(NormalizeMethod(tt.in)); got != tt.safelisted {
			t.Errorf("IsSafelistedMethod(%q) = %v", tt.in, got)
		}
		if got := IsForbiddenMethod(tt.in); got != tt.forbidden {
			t.Errorf("IsForbiddenMethod(%q) = %v", tt.in, got)
		}
	}
	if IsSafelistedMethod("get") {
		t.Error("safelisted methods compare byte for byte")
	}
}

func TestUnsafeReason(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name, value string
		why         string // "" = safelisted; otherwise a substring of the reason
	}{
		{"Accept", "*/*", ""},
		{"accept", "application/json, text/plain;q=0.9", ""},
		{"ACCEPT", "text/html\t", ""}, // HT is allowed
		{"Accept", `application/"json"`, "unsafe byte '\"'"},
		{"Accept", "a(b", "unsafe byte '('"},
		{"Accept", "a:b", "unsafe byte ':'"},
		{"Accept", "a@b", "unsafe byte '@'"},
		{"Accept", "a{b}", "unsafe byte '{'"},
		{"Accept", "a\x7fb", "unsafe byte 0x7F"},
		{"Accept", "a\x01b", "unsafe byte 0x01"},
		{"Accept", long, "129 bytes long, more than 128"},
		{"Accept", strings.Repeat("a", 128), ""},
		{"Accept-Language", "en-US,en;q=0.9", ""},
		{"accept-language", "de-CH, fr;q=0.5, *", ""},
		{"Accept-Language", "en_US", "'_'"},
		{"Content-Language", "en/US", "'/'"},
		{"Content-Language", "d\u00e9", "0xC3"},
		{"Content-Type", "text/plain", ""},
		{"Content-Type", "text/plain;charset=UTF-8", ""},
		{"Content-Type", "TEXT/Plain ; charset=utf-8", ""},
		{"Content-Type", "  multipart/form-data; boundary=x", ""},
		{"Content-Type", "application/x-www-form-urlencoded", ""},
		{"Content-Type", "application/json", "application/json is not application/x-www-form-urlencoded"},
		{"Content-Type", "application/json; charset=utf-8", "application/json is not"},
		{"Content-Type", "text/plain+json", "text/plain+json is not"},
		{"Content-Type", `text/plain; charset="utf-8"`, "unsafe byte '\"'"},
		{"Content-Type", "text/plain; a=b:c", "unsafe byte ':'"},
		{"Content-Type", "text", "not a MIME type"},
		{"Content-Type", "/plain", "not a MIME type"},
		{"Content-Type", "text/", "not a MIME type"},
		{"Content-Type", "text /plain", "not a MIME type"},
		{"Content-Type", "text/pl ain", "not a MIME type"},
		{"Content-Type", "text/plain, text/html", "not a MIME type"},
		{"Content-Type", "text/plain;" + strings.Repeat("a", 120), "more than 128"},
		{"Range", "bytes=0-", ""},
		{"Range", "bytes=0-499", ""},
		{"Range", "bytes=500-500", ""},
		{"Range", "bytes=00012-13", ""},
		{"Range", "bytes=99999999999999999999999-999999999999999999999999", ""},
		{"Range", "bytes=5-4", "single"},
		{"Range", "bytes=99999999999999999999999-9", "single"},
		{"Range", "bytes=-500", "single"}, // suffix ranges are not simple
		{"Range", "bytes=0-1,3-4", "single"},
		{"Range", "bytes = 0-1", "single"},
		{"Range", "bytes=0 -1", "single"},
		{"Range", "Bytes=0-1", "single"},
		{"Range", "items=0-1", "single"},
		{"Range", "bytes=", "single"},
		{"Range", "bytes=a-b", "single"},
		{"X-Requested-With", "XMLHttpRequest", "not a CORS-safelisted request header"},
		{"Authorization", "Bearer x", "not a CORS-safelisted request header"},
		{"Cache-Control", "no-cache", "not a CORS-safelisted request header"},
	}
	for _, tt := range tests {
		got := UnsafeReason(tt.name, tt.value)
		if (got == "") != (tt.why == "") || !strings.Contains(got, tt.why) {
			t.Errorf("UnsafeReason(%q, %q) = %q, want %q", tt.name, tt.value, got, tt.why)
		}
		if IsSafelistedRequestHeader(tt.name, tt.value) != (tt.why == "") {
			t.Errorf("IsSafelistedRequestHeader(%q, %q) disagrees with UnsafeReason", tt.name, tt.value)
		}
	}
}

func TestUnsafeHeaderNames(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want []string
	}{
		{"none", nil, []string{}},
		{"safelisted only", http.Header{"Accept": {"*/*"}, "Content-Type": {"text/plain"}}, []string{}},
		{"lower-cased and sorted", http.Header{"X-B": {"1"}, "Authorization": {"x"}, "X-A": {"2"}}, []string{"authorization", "x-a", "x-b"}},
		{"non-canonical keys merge", http.Header{"x-a": {"1"}, "X-A": {"2"}}, []string{"x-a"}},
		{"content-type value", http.Header{"Content-Type": {"application/json"}}, []string{"content-type"}},
		{"each value on its own", http.Header{"Content-Type": {"text/plain", "text/plain"}}, []string{}},
		{"one bad value", http.Header{"Accept": {"*/*", "a@b"}}, []string{"accept"}},
		{"total at 1024", http.Header{
			"Accept": {strings.Repeat("a", 128)}, "Accept-Language": {strings.Repeat("b", 128)},
			"Content-Language": {strings.Repeat("c", 128)}, "X-Z": {strings.Repeat("?", 2000)},
		}, []string{"x-z"}},
		{"total above 1024", http.Header{
			"Accept":           {strings.Repeat("a", 128), strings.Repeat("a", 128), strings.Repeat("a", 128), strings.Repeat("a", 128)},
			"Accept-Language":  {strings.Repeat("b", 128), strings.Repeat("b", 128), strings.Repeat("b", 128)},
			"Content-Language": {strings.Repeat("c", 128)}, "Content-Type": {"text/plain"},
			"X-Z": {"1"},
		}, []string{"accept", "accept-language", "content-language", "content-type", "x-z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UnsafeHeaderNames(tt.h)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UnsafeHeaderNames = %q, want %q", got, tt.want)
			}
			if NeedsPreflight("GET", tt.h) != (len(tt.want) > 0) {
				t.Errorf("NeedsPreflight(GET) disagrees")
			}
		})
	}
	if !NeedsPreflight("PUT", nil) || NeedsPreflight("POST", http.Header{"Content-Type": {"text/plain"}}) {
		t.Error("NeedsPreflight method rule")
	}
}

func TestForbiddenRequestHeaders(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		forbidden   bool
	}{
		{"Cookie", "a=b", true},
		{"cookie2", "x", true},
		{"Origin", "https://evil.example", true},
		{"Host", "x", true},
		{"Referer", "x", true},
		{"Content-Length", "1", true},
		{"Access-Control-Request-Headers", "x", true},
		{"Proxy-Authorization", "x", true},
		{"Sec-Fetch-Mode", "no-cors", true},
		{"X-HTTP-Method-Override", "GET, TRACE", true},
		{"X-HTTP-Method-Override", "PUT", false},
		{"Authorization", "Bearer x", false},
		{"User-Agent", "x", false},
		{"X-Api-Key", "x", false},
	} {
		if got := isForbiddenRequestHeader(tt.name, tt.value); got != tt.forbidden {
			t.Errorf("isForbiddenRequestHeader(%q, %q) = %v", tt.name, tt.value, got)
		}
	}
}

func TestResponseHeaderNames(t *testing.T) {
	for _, n := range []string{"Cache-Control", "content-language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"} {
		if !IsSafelistedResponseHeader(n) {
			t.Errorf("%s should be safelisted", n)
		}
	}
	for _, n := range []string{"Date", "ETag", "X-Request-Id", "Set-Cookie"} {
		if IsSafelistedResponseHeader(n) {
			t.Errorf("%s should not be safelisted", n)
		}
	}
	if !IsForbiddenResponseHeader("set-cookie") || !IsForbiddenResponseHeader("Set-Cookie2") || IsForbiddenResponseHeader("Cookie") {
		t.Error("forbidden response header names")
	}
}
