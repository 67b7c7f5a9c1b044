package fetch

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// values returns every line of header name in h. Keys compare
// case-insensitively, so headers built without canonical keys work too.
func values(h http.Header, name string) []string {
	if len(h) == 0 {
		return nil
	}
	canon := http.CanonicalHeaderKey(name)
	out := h[canon]
	var extra []string
	for k := range h {
		if k != canon && strings.EqualFold(k, name) {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return out
	}
	sort.Strings(extra)
	out = append([]string(nil), out...)
	for _, k := range extra {
		out = append(out, h[k]...)
	}
	return out
}

// get is the Fetch header-list "get": false when name is absent, otherwise
// every value joined with ", " (https://fetch.spec.whatwg.org/#concept-header-list-get).
func get(h http.Header, name string) (string, bool) {
	v := values(h, name)
	if v == nil {
		return "", false
	}
	return strings.Join(v, ", "), true
}

// parseList extracts a comma-separated list of tokens from every line of a
// header (#method or #field-name): elements are trimmed of spaces and tabs,
// empty ones are skipped, and any element that is not a token makes the
// whole header fail, which the browser treats as a network error. present
// is false when the header is absent; bad is the first offending element.
func parseList(lines []string) (list []string, present bool, bad string, ok bool) {
	if lines == nil {
		return nil, false, "", true
	}
	for _, line := range lines {
		for _, el := range strings.Split(line, ",") {
			el = strings.Trim(el, " \t")
			if el == "" {
				continue
			}
			if !isToken(el) {
				return nil, true, el, false
			}
			list = append(list, el)
		}
	}
	return list, true, "", true
}

func containsExact(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// checkCtx is what the checks need to know about the request.
type checkCtx struct {
	origin    string // the serialized request origin as sent, "null" when tainted
	tainted   bool   // the Origin became "null" after a cross-origin redirect
	creds     Credentials
	preflight bool
	status    int
}

// orWildcard offers "*" as an alternative when it would work.
func (c *checkCtx) orWildcard() string {
	if c.creds == Include {
		return ""
	}
	return " (or `*`, as the request carries no credentials)"
}

// corsCheck is the CORS check (https://fetch.spec.whatwg.org/#cors-check)
// with Chromium's finer classification of a mismatching
// Access-Control-Allow-Origin (services/network/public/cpp/cors/cors.cc).
func corsCheck(c *checkCtx, h http.Header) *failure {
	acao, ok := get(h, "Access-Control-Allow-Origin")
	if !ok {
		return &failure{code: CodeMissingAllowOrigin, fix: missingOriginFix(c)}
	}
	if acao == "*" {
		if c.creds != Include {
			return nil
		}
		return &failure{code: CodeWildcardOrigin, value: acao, fix: "don't combine `*` with credentials: echo the request's Origin (`" +
			c.origin + "`) in Access-Control-Allow-Origin with `Access-Control-Allow-Credentials: true` and `Vary: Origin`, or fetch with credentials 'same-origin' if the request needs no cookies"}
	}
	if acao != c.origin {
		return originMismatch(c, acao, len(values(h, "Access-Control-Allow-Origin")) > 1)
	}
	if c.creds != Include {
		return nil
	}
	acac, ok := get(h, "Access-Control-Allow-Credentials")
	if acac == "true" {
		return nil
	}
	f := &failure{code: CodeInvalidAllowCredential, value: acac}
	switch {
	case !ok:
		f.fix = "the server must send `Access-Control-Allow-Credentials: true` (the page fetches with credentials 'include'), or the page must not use credentials 'include'"
	case strings.EqualFold(acac, "true"):
		f.fix = "send `Access-Control-Allow-Credentials: true` in lower case; browsers compare it byte for byte and it sent `" + acac + "`"
	case strings.Contains(acac, ","):
		f.fix = "send Access-Control-Allow-Credentials once; two layers (gateway and backend?) both add it and the browser sees `" + acac + "`"
	default:
		f.fix = "Access-Control-Allow-Credentials must be exactly `true`, not `" + acac + "`"
	}
	return f
}

func missingOriginFix(c *checkCtx) string {
	if c.tainted {
		return taintedFix(c)
	}
	if c.preflight {
		acao := "`Access-Control-Allow-Origin: " + c.origin + "`"
		switch c.status {
		case 0, 200, 201, 202, 203, 204, 205, 206:
			return "the server must answer the preflight with " + acao + c.orWildcard()
		case 401, 407:
			return fmt.Sprintf("the preflight got %d without CORS headers: preflights never carry credentials, so exempt OPTIONS requests with Access-Control-Request-Method from authentication (run CORS before auth) and answer them with 204 and %s", c.status, acao)
		case 403:
			return "the server refused the preflight (403 without CORS headers), which is how corsgate and most CORS middleware deny an origin they do not list: if " +
				c.origin + " should be allowed, add it to the server's allowed origins; if the 403 comes from authentication or a firewall, exempt preflights from it"
		case 404, 405, 501:
			return fmt.Sprintf("the server does not handle OPTIONS here (%d): answer CORS preflights (OPTIONS with Access-Control-Request-Method) with 204 and %s", c.status, acao)
		}
		return fmt.Sprintf("the preflight got %d without CORS headers: answer OPTIONS requests that carry Access-Control-Request-Method with 204 and %s", c.status, acao)
	}
	if c.status >= 400 {
		return fmt.Sprintf("the %d response carries no CORS headers, so the page cannot even read the error: send `Access-Control-Allow-Origin: %s` on error responses too (nginx: add `always` to add_header)", c.status, c.origin)
	}
	return "the server must send `Access-Control-Allow-Origin: " + c.origin + "`" + c.orWildcard() + " on this response"
}

func taintedFix(c *checkCtx) string {
	s := "after a cross-origin redirect the browser sends `Origin: null`: have the page fetch the final URL directly"
	if c.creds != Include {
		s += ", or have that server send `Access-Control-Allow-Origin: *`"
	}
	return s
}

// originMismatch classifies an Access-Control-Allow-Origin value that is
// neither "*" nor the request's origin, and finds the likely mistake.
func originMismatch(c *checkCtx, acao string, severalLines bool) *failure {
	if strings.ContainsAny(acao, " ,") {
		f := &failure{code: CodeMultipleAllowOrigin, value: acao}
		if severalLines {
			f.fix = "send exactly one Access-Control-Allow-Origin header: two layers (typically the gateway and the backend) each add one; let only one of them handle CORS"
		} else {
			f.fix = "Access-Control-Allow-Origin holds one origin, not a list: keep the list on the server and echo the request's Origin when it is in it, with `Vary: Origin`"
		}
		return f
	}
	f := &failure{code: CodeAllowOriginMismatch, value: acao}
	if c.tainted {
		f.fix = taintedFix(c)
		return f
	}
	u, err := url.Parse(acao)
	if acao != "null" && (err != nil || u.Scheme == "" || u.Host == "") {
		f.code = CodeInvalidAllowOrigin
		f.fix = "Access-Control-Allow-Origin must be a serialized origin such as `" + c.origin + "` (scheme, host and optional port), not `" + acao + "`"
		return f
	}
	want := "`" + c.origin + "`"
	switch {
	case strings.TrimRight(acao, "/") == c.origin:
		f.fix = "drop the trailing slash from the configured origin: browsers send " + want
	case err == nil && acao != "null" && u.Path != "" && u.Scheme+"://"+u.Host == c.origin:
		f.fix = "configure the origin without a path: browsers send " + want
	case strings.EqualFold(acao, c.origin):
		f.fix = "write the origin in lower case, exactly as browsers send it: " + want
	case acao == c.origin+":443" || acao == c.origin+":80":
		f.fix = "drop the default port from the configured origin: browsers send " + want
	case err == nil && acao != "null" && strings.HasSuffix(c.origin, "://"+u.Host):
		f.fix = "the server allows `" + acao + "` but the page's origin is " + want + " (the scheme differs): allow " + want
	default:
		f.fix = "the server allows `" + acao + "`, not " + want + ": add " + want + " to its allowed origins (and echo the request's Origin with `Vary: Origin`)"
	}
	return f
}

// isRedirectStatus reports 301, 302, 303, 307 and 308
// (https://fetch.spec.whatwg.org/#redirect-status).
func isRedirectStatus(s int) bool {
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308
}

// isOKStatus reports 200-299 (https://fetch.spec.whatwg.org/#ok-status).
func isOKStatus(s int) bool { return s >= 200 && s <= 299 }

func preflightStatusFix(status int) string {
	switch status {
	case 401, 403, 407:
		return fmt.Sprintf("the preflight got %d: preflights never carry credentials, so exempt OPTIONS requests with Access-Control-Request-Method from authentication (run CORS before auth) and answer them with 204", status)
	case 404, 405, 501:
		return fmt.Sprintf("the server answers OPTIONS with %d: answer CORS preflights (OPTIONS with Access-Control-Request-Method) with 204 and the Access-Control-Allow-* headers", status)
	}
	return fmt.Sprintf("answer the preflight with a 2xx status (204 is usual), not %d", status)
}

// methodCheck is step 7.5 of the CORS-preflight fetch: method must be
// listed (byte for byte), be CORS-safelisted, or be covered by "*" without
// credentials. present is false when the header is absent; force is the
// use-CORS-preflight flag, which makes an absent header mean [method]. It
// returns a sentence saying why the method passed, or the failure.
func methodCheck(method string, acam []string, present, force bool, creds Credentials) (string, *failure) {
	if !present && force {
		acam = []string{method}
	}
	switch {
	case IsSafelistedMethod(method):
		return method + " is a CORS-safelisted method", nil
	case containsExact(acam, method):
		return method + " is listed in Access-Control-Allow-Methods", nil
	case creds != Include && containsExact(acam, "*"):
		return "`*` in Access-Control-Allow-Methods covers " + method + " (no credentials)", nil
	}
	f := &failure{code: CodeMethodNotAllowed, value: method}
	switch {
	case !present:
		f.fix = "the preflight response has no Access-Control-Allow-Methods: the server must send `Access-Control-Allow-Methods: " + method + "`"
	case containsExact(acam, "*"):
		f.fix = "with credentials, `*` in Access-Control-Allow-Methods is the literal method name `*`: list `" + method + "` explicitly"
	case containsFold(acam, method):
		f.fix = "methods compare case-sensitively and fetch() sends `" + method + "` as written (it upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT): have the page use `" +
			strings.ToUpper(method) + "`, or list `" + method + "` in Access-Control-Allow-Methods"
	default:
		f.fix = "the server must list `" + method + "` in Access-Control-Allow-Methods"
	}
	return "", f
}

// headerCheck is steps 7.6-7.7 of the CORS-preflight fetch. Authorization
// must be listed explicitly; every other unsafe header must be listed
// unless "*" is present without credentials. Chromium still lets "*"
// cover Authorization and only warns (warn is true then). It returns a
// sentence saying why the headers passed, or the failure.
func headerCheck(b Browser, unsafe []UnsafeHeader, acah []string, creds Credentials) (text string, warn bool, f *failure) {
	wildcard := creds != Include && containsExact(acah, "*")
	hasAuth := false
	for _, u := range unsafe {
		if u.Name == "authorization" {
			hasAuth = true
		}
	}
	authMissing := hasAuth && !containsFold(acah, "authorization")
	if wildcard && authMissing {
		if b.wildcardCoversAuthorization() {
			return "Chromium lets `*` in Access-Control-Allow-Headers cover Authorization for now, with the deprecation warning " +
				"\"Authorization will not be covered by the wildcard symbol (*) in CORS `Access-Control-Allow-Headers` handling.\"; " +
				"Firefox and the Fetch standard block this request: list `Authorization` explicitly", true, nil
		}
		return "", false, &failure{code: CodeHeaderNotAllowed, value: "authorization",
			fix: "`*` in Access-Control-Allow-Headers never covers Authorization: list `Authorization` explicitly"}
	}
	if authMissing && b != Chromium {
		// The standard checks Authorization before the other names.
		return "", false, headerFailure(unsafe, "authorization", acah, creds)
	}
	names := make([]string, len(unsafe))
	for i, u := range unsafe {
		names[i] = u.Name
	}
	if wildcard {
		return "`*` in Access-Control-Allow-Headers covers " + strings.Join(names, ", ") + " (no credentials)", false, nil
	}
	for _, u := range unsafe {
		if !containsFold(acah, u.Name) {
			return "", false, headerFailure(unsafe, u.Name, acah, creds)
		}
	}
	return "Access-Control-Allow-Headers lists " + strings.Join(names, ", "), false, nil
}

func headerFailure(unsafe []UnsafeHeader, name string, acah []string, creds Credentials) *failure {
	f := &failure{code: CodeHeaderNotAllowed, value: name}
	if creds == Include && containsExact(acah, "*") {
		f.fix = "with credentials, `*` in Access-Control-Allow-Headers is a literal name: list `" + name + "` explicitly"
		return f
	}
	f.fix = "the server must list `" + name + "` in Access-Control-Allow-Headers"
	for _, u := range unsafe {
		if u.Name == name && isValueReason(u.Reason) {
			f.fix += " (or the page must send a safelisted value: " + u.Reason + ")"
		}
	}
	return f
}

// isValueReason reports a reason about a safelisted name's value (rather
// than about the name).
func isValueReason(r string) bool { return r != "not a CORS-safelisted request header" }

// maxAge returns how long browser b caches a successful preflight with
// these headers, and a sentence saying why.
func maxAge(b Browser, h http.Header) (int64, string) {
	lines := values(h, "Access-Control-Max-Age")
	if lines == nil {
		return 5, "no Access-Control-Max-Age: the preflight is cached for the default 5 s"
	}
	raw := strings.Join(lines, ", ")
	var secs int64
	if b == Chromium {
		// base::StringToInt64 on the combined value; negative means "do not cache".
		n, err := strconv.ParseInt(raw, 10, 64)
		switch {
		case err != nil:
			return 5, fmt.Sprintf("Access-Control-Max-Age %q does not parse: Chromium caches the preflight for the default 5 s", raw)
		case n < 0:
			return 0, fmt.Sprintf("Access-Control-Max-Age %s is negative: Chromium does not cache the preflight", raw)
		}
		secs = n
	} else {
		if len(lines) != 1 || lines[0] == "" || !allDigits(lines[0]) {
			return 5, fmt.Sprintf("Access-Control-Max-Age %q is not delta-seconds: the preflight is cached for the default 5 s", raw)
		}
		n, err := strconv.ParseInt(lines[0], 10, 64)
		if err != nil {
			n = math.MaxInt64
		}
		secs = n
	}
	if limit, ok := b.MaxAgeCap(); ok && secs > limit {
		return limit, fmt.Sprintf("Access-Control-Max-Age %d exceeds %s's cap: the preflight is cached for %d s", secs, b.title(), limit)
	}
	if secs == 0 {
		return 0, "Access-Control-Max-Age 0: the preflight is not cached; every request pays for one"
	}
	return secs, fmt.Sprintf("the preflight is cached for %d s", secs)
}

// ReadableHeaders returns, lower-cased and sorted, the names of the
// response headers in h that a script can read from a CORS response
// fetched with credentials mode c: the CORS-safelisted response headers and
// those listed in Access-Control-Expose-Headers ("*" exposes all of them
// only without credentials), never Set-Cookie or Set-Cookie2. hidden lists
// the other names present.
func ReadableHeaders(h http.Header, c Credentials) (readable, hidden []string) {
	exposed, _, _, ok := parseList(values(h, "Access-Control-Expose-Headers"))
	if !ok {
		exposed = nil // a malformed list exposes nothing
	}
	all := c != Include && containsExact(exposed, "*")
	for _, n := range headerNames(h) {
		switch {
		case IsForbiddenResponseHeader(n):
			hidden = append(hidden, n)
		case all || IsSafelistedResponseHeader(n) || containsFold(exposed, n):
			readable = append(readable, n)
		default:
			hidden = append(hidden, n)
		}
	}
	return readable, hidden
}
