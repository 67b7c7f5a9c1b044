package fetch

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Limits on CORS-safelisted request-header values
// (https://fetch.spec.whatwg.org/#cors-safelisted-request-header).
const (
	// MaxSafelistedValue is the longest value a safelisted header may have.
	MaxSafelistedValue = 128
	// MaxSafelistedTotal is the largest sum of the safelisted values'
	// lengths; above it every one of them counts as unsafe.
	MaxSafelistedTotal = 1024
)

// tchar marks the bytes of a token (RFC 9110 §5.6.2), the grammar of
// methods and header names.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isToken reports whether s is a non-empty token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// IsSafelistedMethod reports whether m is a CORS-safelisted method: GET,
// HEAD or POST, compared byte for byte
// (https://fetch.spec.whatwg.org/#cors-safelisted-method).
func IsSafelistedMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "POST" }

// IsForbiddenMethod reports whether m is CONNECT, TRACE or TRACK in any
// case; fetch() refuses them (https://fetch.spec.whatwg.org/#forbidden-method).
func IsForbiddenMethod(m string) bool {
	return strings.EqualFold(m, "CONNECT") || strings.EqualFold(m, "TRACE") || strings.EqualFold(m, "TRACK")
}

// NormalizeMethod upper-cases m when it is DELETE, GET, HEAD, OPTIONS,
// POST or PUT in any case, and returns every other method unchanged, as
// fetch() does: `patch` stays `patch`
// (https://fetch.spec.whatwg.org/#concept-method-normalize).
func NormalizeMethod(m string) string {
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if strings.EqualFold(m, n) {
			return n
		}
	}
	return m
}

// isUnsafeByte reports a CORS-unsafe request-header byte
// (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte).
func isUnsafeByte(c byte) bool {
	switch c {
	case '"', '(', ')', ':', '<', '>', '?', '@', '[', '\\', ']', '{', '}', 0x7F:
		return true
	}
	return c < 0x20 && c != '\t'
}

// byteName quotes c for a message: printable ASCII as 'c', others in hex.
func byteName(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return fmt.Sprintf("0x%02X", c)
}

// firstUnsafeByte returns the index of v's first CORS-unsafe byte, or -1.
func firstUnsafeByte(v string) int {
	for i := 0; i < len(v); i++ {
		if isUnsafeByte(v[i]) {
			return i
		}
	}
	return -1
}

// isLanguageByte reports a byte allowed in a safelisted Accept-Language or
// Content-Language value: ALPHA, DIGIT, SP and * , - . ; =.
func isLanguageByte(c byte) bool {
	switch {
	case '0' <= c && c <= '9', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		return true
	}
	return strings.IndexByte(" *,-.;=", c) >= 0
}

// IsSafelistedRequestHeader reports whether the header name: value, as
// fetch() would send it, is a CORS-safelisted request-header. The 1024-byte
// total applies to a whole header list; see [UnsafeHeaderNames].
func IsSafelistedRequestHeader(name, value string) bool { return UnsafeReason(name, value) == "" }

// UnsafeReason returns why name: value is not a CORS-safelisted
// request-header, or "" when it is. Names compare case-insensitively.
//
// Safelisted are accept (no CORS-unsafe byte), accept-language and
// content-language (only ALPHA, DIGIT, SP and * , - . ; =), content-type
// (no unsafe byte, and a MIME type whose essence is
// application/x-www-form-urlencoded, multipart/form-data or text/plain)
// and range (a single "bytes=N-" or "bytes=N-M" with N <= M), each with a
// value of at most 128 bytes.
func UnsafeReason(name, value string) string {
	lower := strings.ToLower(name)
	switch lower {
	case "accept", "accept-language", "content-language", "content-type", "range":
	default:
		return "not a CORS-safelisted request header"
	}
	if len(value) > MaxSafelistedValue {
		return fmt.Sprintf("value is %d bytes long, more than %d", len(value), MaxSafelistedValue)
	}
	switch lower {
	case "accept":
		if i := firstUnsafeByte(value); i >= 0 {
			return "value contains the CORS-unsafe byte " + byteName(value[i])
		}
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			if !isLanguageByte(value[i]) {
				return "value contains " + byteName(value[i]) + "; only letters, digits, space and * , - . ; = are safelisted"
			}
		}
	case "content-type":
		if i := firstUnsafeByte(value); i >= 0 {
			return "value contains the CORS-unsafe byte " + byteName(value[i])
		}
		essence, ok := mimeEssence(value)
		if !ok {
			return "value is not a MIME type"
		}
		switch essence {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		default:
			return fmt.Sprintf("%s is not application/x-www-form-urlencoded, multipart/form-data or text/plain", essence)
		}
	case "range":
		if !isSimpleRange(value) {
			return `value is not a single "bytes=N-" or "bytes=N-M" range`
		}
	}
	return ""
}

// trimHTTPWhitespace strips HTTP whitespace (TAB, LF, CR, SP) from both ends.
func trimHTTPWhitespace(s string) string { return strings.Trim(s, "\t\n\r ") }

// mimeEssence parses v as a MIME type (https://mimesniff.spec.whatwg.org/#parse-a-mime-type)
// far enough to return its lower-cased essence, type "/" subtype. Parameters
// never make parsing fail, so they are not looked at.
func mimeEssence(v string) (string, bool) {
	v = trimHTTPWhitespace(v)
	typ, rest, ok := strings.Cut(v, "/")
	if !ok || !isToken(typ) {
		return "", false
	}
	sub, _, _ := strings.Cut(rest, ";")
	sub = strings.TrimRight(sub, "\t\n\r ")
	if !isToken(sub) {
		return "", false
	}
	return strings.ToLower(typ + "/" + sub), true
}

// isSimpleRange reports whether v is a simple range header value: the
// parse of a single range header value without whitespace succeeds and
// has a start (https://fetch.spec.whatwg.org/#simple-range-header-value).
// Numbers may be any length; "bytes" is case-sensitive.
func isSimpleRange(v string) bool {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	start, end, ok := strings.Cut(rest, "-")
	if !ok || start == "" || !allDigits(start) || !allDigits(end) {
		return false
	}
	return end == "" || compareDecimal(start, end) <= 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareDecimal compares two non-empty strings of ASCII digits as numbers
// of any size.
func compareDecimal(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// field is one header of a header list: a lower-cased name and a value.
type field struct{ name, value string }

// fields turns h into a header list sorted by lower-cased name: one entry
// per value, as if the script had called Headers.append for each. Keys
// that differ only in case (possible when h was built without
// canonicalising) are merged.
func fields(h http.Header) []field {
	out := make([]field, 0, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, field{strings.ToLower(k), v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// headerNames returns the lower-cased names in h, sorted, once each.
func headerNames(h http.Header) []string {
	var out []string
	for _, f := range fields(h) {
		if len(out) == 0 || out[len(out)-1] != f.name {
			out = append(out, f.name)
		}
	}
	return out
}

// UnsafeHeader is a request header that makes a request need a preflight.
type UnsafeHeader struct {
	Name   string `json:"name"`   // lower-cased
	Reason string `json:"reason"` // why it is not safelisted
}

// unsafeHeaders returns the CORS-unsafe request headers of h with reasons,
// one per name, sorted by name
// (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-names). Each
// value is judged on its own, as the standard judges each header-list
// entry, and the safelisted ones count towards the 1024-byte total.
func unsafeHeaders(h http.Header) []UnsafeHeader {
	var unsafe, potentially []UnsafeHeader
	seen := map[string]bool{}
	total := 0
	for _, f := range fields(h) {
		if why := UnsafeReason(f.name, f.value); why != "" {
			if !seen[f.name] {
				unsafe = append(unsafe, UnsafeHeader{f.name, why})
				seen[f.name] = true
			}
			continue
		}
		potentially = append(potentially, UnsafeHeader{Name: f.name})
		total += len(f.value)
	}
	if total > MaxSafelistedTotal {
		why := fmt.Sprintf("the safelisted header values total %d bytes, more than %d", total, MaxSafelistedTotal)
		for _, p := range potentially {
			if !seen[p.Name] {
				unsafe = append(unsafe, UnsafeHeader{p.Name, why})
				seen[p.Name] = true
			}
		}
		sort.Slice(unsafe, func(i, j int) bool { return unsafe[i].Name < unsafe[j].Name })
	}
	return unsafe
}

// UnsafeHeaderNames returns the CORS-unsafe request-header names of h
// lower-cased, de-duplicated and sorted: exactly the list a preflight's
// Access-Control-Request-Headers carries, joined with "," and no space.
// Each value of h counts as one header-list entry.
func UnsafeHeaderNames(h http.Header) []string {
	u := unsafeHeaders(h)
	names := make([]string, len(u))
	for i, x := range u {
		names[i] = x.Name
	}
	return names
}

// NeedsPreflight reports whether a cross-origin request with this
// (normalised) method and header list needs a CORS preflight: its method is
// not safelisted or it has a CORS-unsafe request header. (fetch() also
// preflights when the use-CORS-preflight flag is set; see
// [Request.ForcePreflight].)
func NeedsPreflight(method string, h http.Header) bool {
	return !IsSafelistedMethod(method) || len(unsafeHeaders(h)) > 0
}

// isForbiddenRequestHeader reports a forbidden request-header: one that
// fetch() silently drops when a script sets it
// (https://fetch.spec.whatwg.org/#forbidden-request-header).
func isForbiddenRequestHeader(name, value string) bool {
	lower := strings.ToLower(name)
	switch lower {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via":
		return true
	case "x-http-method", "x-http-method-override", "x-method-override":
		for _, m := range strings.Split(value, ",") {
			if IsForbiddenMethod(strings.Trim(m, " \t")) {
				return true
			}
		}
	}
	return strings.HasPrefix(lower, "proxy-") || strings.HasPrefix(lower, "sec-")
}

// IsSafelistedResponseHeader reports whether a script may always read the
// response header name: Cache-Control, Content-Language, Content-Length,
// Content-Type, Expires, Last-Modified or Pragma
// (https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name).
func IsSafelistedResponseHeader(name string) bool {
	switch strings.ToLower(name) {
	case "cache-control", "content-language", "content-length", "content-type",
		"expires", "last-modified", "pragma":
		return true
	}
	return false
}

// IsForbiddenResponseHeader reports Set-Cookie and Set-Cookie2, which no
// script can ever read (https://fetch.spec.whatwg.org/#forbidden-response-header-name).
func IsForbiddenResponseHeader(name string) bool {
	return strings.EqualFold(name, "Set-Cookie") || strings.EqualFold(name, "Set-Cookie2")
}
