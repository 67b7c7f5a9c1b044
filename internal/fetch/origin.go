package fetch

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// origin is a tuple origin (scheme, host, port) or an opaque one, which
// serializes as "null" and is same-origin with nothing
// (https://html.spec.whatwg.org/multipage/browsers.html#origin).
type origin struct {
	scheme, host, port string // port "" is the scheme's default
	opaque             bool
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// originOf returns the origin of an http(s) URL.
func originOf(u *url.URL) origin {
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == defaultPort(o.scheme) {
		o.port = ""
	}
	return o
}

// String serializes o as the Origin header carries it.
func (o origin) String() string {
	if o.opaque {
		return "null"
	}
	host := o.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if o.port != "" {
		host = net.JoinHostPort(o.host, o.port)
	}
	return o.scheme + "://" + host
}

func (o origin) same(p origin) bool { return !o.opaque && !p.opaque && o == p }

// parseOrigin accepts a serialized http(s) origin or "null", and explains
// what a browser would send instead of anything else.
func parseOrigin(s string) (origin, error) {
	if s == "null" {
		return origin{opaque: true}, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return origin{}, fmt.Errorf("origin %q: give the page's origin as a browser sends it, such as https://app.example, or null", s)
	}
	o := originOf(u)
	if o.String() != s {
		return origin{}, fmt.Errorf("origin %q: a browser sends %q (lower-case host, no default port, no path or trailing slash); use that", s, o.String())
	}
	return o, nil
}

// curString serializes the current URL as the browser reports it: an
// empty path becomes "/".
func (s *Session) curString() string {
	u := *s.cur
	if u.Path == "" && u.RawPath == "" && u.Opaque == "" {
		u.Path = "/"
	}
	return u.String()
}

// requestOrigin is the byte-serialized request origin: "null" once the
// tainted origin flag is set (https://fetch.spec.whatwg.org/#serializing-a-request-origin).
func (s *Session) requestOrigin() string {
	if s.tainted {
		return "null"
	}
	return s.page.String()
}

func (s *Session) ctx(preflight bool, status int) *checkCtx {
	return &checkCtx{origin: s.requestOrigin(), tainted: s.tainted, creds: s.creds, preflight: preflight, status: status}
}

func (s *Session) step(k Kind, c Check, o Outcome, text string, h http.Header) {
	if c == CheckSent {
		s.sent++
	}
	s.res.Steps = append(s.res.Steps, Step{Request: s.sent, Kind: k, Check: c, Outcome: o, Text: text, Header: h})
}

// fail ends the fetch with f.
func (s *Session) fail(f *failure, preflight bool, status int) {
	F := &Failure{Code: f.code, Preflight: preflight, URL: s.curString(), Status: status, Value: f.value, Fix: f.fix}
	F.Message = consoleMessage(s.b, F, s.initial, s.page.String(), s.method)
	s.res.Verdict, s.res.Failure = Blocked, F
	s.next = nil
	k := Actual
	if preflight {
		k = Preflight
	}
	text, _ := specText(F)
	s.step(k, checkOf(f.code), Fail, text, nil)
}

// checkOf maps a failure code to the check that raised it.
func checkOf(c Code) Check {
	switch c {
	case CodePreflightStatus, CodePreflightRedirect:
		return CheckOKStatus
	case CodeInvalidAllowMethods, CodeInvalidAllowHeaders:
		return CheckAllowLists
	case CodeMethodNotAllowed:
		return CheckMethod
	case CodeHeaderNotAllowed:
		return CheckHeaders
	case CodeRedirectCredentials, CodeRedirectScheme, CodeRedirectLocation, CodeTooManyRedirects:
		return CheckRedirect
	case CodeTypeError:
		return CheckRequest
	}
	return CheckCORS
}

func (s *Session) corsPassText(h http.Header) string {
	acao, _ := get(h, "Access-Control-Allow-Origin")
	if acao == "*" {
		return "Access-Control-Allow-Origin: * admits any origin (credentials mode " + s.creds.String() + ")"
	}
	text := "Access-Control-Allow-Origin matches the request's Origin " + acao
	if s.creds == Include {
		text += " and Access-Control-Allow-Credentials is true"
	}
	return text
}

// redirect applies HTTP-redirect fetch (https://fetch.spec.whatwg.org/#http-redirect-fetch)
// to a redirect response whose Location is loc.
func (s *Session) redirect(status int, loc string) {
	u, err := s.cur.Parse(loc)
	if err != nil {
		s.fail(&failure{code: CodeRedirectLocation, value: loc, fix: "send a valid absolute or relative URL in Location"}, false, status)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		s.fail(&failure{code: CodeRedirectScheme, value: loc, fix: "redirect only to http:// or https:// URLs"}, false, status)
		return
	}
	if s.res.Redirects == MaxRedirects {
		s.fail(&failure{code: CodeTooManyRedirects, value: loc, fix: "the URL redirects more than 20 times: break the redirect loop"}, false, status)
		return
	}
	s.res.Redirects++
	target, cur := originOf(u), originOf(s.cur)
	if u.User != nil && (s.cors || !s.page.same(target)) {
		s.fail(&failure{code: CodeRedirectCredentials, value: loc, fix: "remove user:password from the redirect's Location"}, false, status)
		return
	}
	u.Fragment, u.RawFragment = "", ""
	text := fmt.Sprintf("%d redirect to %s", status, u)
	if (status == 301 || status == 302) && s.method == "POST" || status == 303 && s.method != "GET" && s.method != "HEAD" {
		s.method, s.body = "GET", false
		for _, n := range []string{"Content-Encoding", "Content-Language", "Content-Location", "Content-Type"} {
			s.header.Del(n)
		}
		text += "; the method becomes GET and the body and its headers are dropped"
	}
	if !cur.same(target) && len(values(s.header, "Authorization")) > 0 {
		s.header.Del("Authorization")
		text += "; Authorization is removed (cross-origin redirect)"
	}
	if !target.same(cur) && !s.page.same(cur) && !s.tainted {
		s.tainted = true
		text += "; a cross-origin redirect from a cross-origin URL taints the request's origin: from now on the browser sends `Origin: null`"
	}
	s.step(Actual, CheckRedirect, Info, text, nil)
	s.cur = u
	s.enterHop()
}

func statusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// corsHeaders picks the response headers the CORS rules read, for display.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		if strings.HasPrefix(ck, "Access-Control-") || ck == "Vary" || ck == "Location" {
			out[ck] = append(out[ck], v...)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}
