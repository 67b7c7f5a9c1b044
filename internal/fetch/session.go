package fetch

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// MaxRedirects is how many redirects a fetch follows; the next one is a
// network error (https://fetch.spec.whatwg.org/#http-redirect-fetch).
const MaxRedirects = 20

// Request is a fetch() call as a page's script makes it.
type Request struct {
	// URL is the absolute http(s) URL passed to fetch().
	URL string
	// Origin is the page's origin, serialized as a browser sends it
	// ("https://app.example", no path, no default port) or "null".
	Origin string
	// Method is fetch()'s method option; "" means GET. It is normalised as
	// fetch() does (see [NormalizeMethod]).
	Method string
	// Header holds the headers the script sets. Forbidden ones are dropped
	// as fetch() drops them; values of one name are combined with ", ".
	Header http.Header
	// Body is true when the script passes a body. Without a Content-Type
	// header, fetch() labels a string body "text/plain;charset=UTF-8".
	Body bool
	// Credentials is fetch()'s credentials option.
	Credentials Credentials
	// ForcePreflight is the use-CORS-preflight flag (set by XMLHttpRequest
	// upload listeners): preflight even a simple request, and an absent
	// Access-Control-Allow-Methods then means "the request's method".
	ForcePreflight bool
}

// Outgoing is an HTTP request the browser sends.
type Outgoing struct {
	Kind   Kind
	Method string
	URL    string
	// Header is every header the rules decide: Origin, the preflight's
	// Accept and Access-Control-Request-*, and the script's headers. A
	// transport adds only what browsers add on their own (Host,
	// User-Agent, Accept-Encoding, ...).
	Header http.Header
	// Body is true when the request carries the script's body.
	Body bool
	// Credentials is true when the browser would attach cookies, HTTP
	// authentication and TLS client certificates. Never for a preflight.
	Credentials bool
}

// Response is what came back for an [Outgoing]: a live response, a
// recorded one, or the gateway's answer built with [FromDecision].
type Response struct {
	Status int
	Header http.Header
}

// Session follows one fetch() from the script's call to the verdict. The
// caller loops: [Session.Next] says what the browser sends, the caller
// obtains the response, [Session.Receive] applies the rules to it. A
// Session is not safe for concurrent use.
type Session struct {
	b       Browser
	page    origin
	initial string
	cur     *url.URL
	method  string
	header  http.Header
	body    bool
	creds   Credentials
	force   bool
	cors    bool // response tainting is "cors"
	tainted bool // tainted origin flag: the Origin is now "null"
	next    *Outgoing
	sent    int // requests sent so far
	res     Result
}

// NewSession starts a fetch of req in browser b. It returns an error only
// when req cannot describe a browser fetch at all (a relative or non-HTTP
// URL, an Origin that is not a serialized origin). Requests that fetch()
// itself rejects with a TypeError produce a Blocked result instead.
func NewSession(req Request, b Browser) (*Session, error) {
	page, err := parseOrigin(req.Origin)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: give an absolute http:// or https:// URL", req.URL)
	}
	u.Fragment, u.RawFragment = "", "" // never sent
	s := &Session{b: b, page: page, cur: u, creds: req.Credentials, force: req.ForcePreflight, body: req.Body}
	s.initial = s.curString()
	s.res = Result{Browser: b, Verdict: Blocked, URL: s.initial, Origin: page.String(), Credentials: req.Credentials}
	if f := s.prepare(req); f != nil {
		s.fail(f, false, 0)
		return s, nil
	}
	s.enterHop()
	return s, nil
}

// Next returns the request the browser sends now, or false when the fetch
// is over (see [Session.Result]).
func (s *Session) Next() (Outgoing, bool) {
	if s.next == nil {
		return Outgoing{}, false
	}
	out := *s.next
	out.Header = s.next.Header.Clone()
	return out, true
}

// Receive applies the browser's rules to the response to the request
// [Session.Next] returned. Calling it when the fetch is over does nothing.
func (s *Session) Receive(resp Response) {
	out := s.next
	if out == nil {
		return
	}
	s.next = nil
	s.step(out.Kind, CheckReceived, Info, statusLine(resp.Status), corsHeaders(resp.Header))
	if out.Kind == Preflight {
		s.afterPreflight(resp)
		return
	}
	s.afterActual(resp)
}

// Done reports whether the fetch is over.
func (s *Session) Done() bool { return s.next == nil }

// Result returns the outcome so far; it is final once [Session.Done].
func (s *Session) Result() *Result {
	r := s.res
	r.Steps = append([]Step(nil), s.res.Steps...)
	r.Warnings = nil
	for _, st := range r.Steps {
		if st.Outcome == Warn {
			r.Warnings = append(r.Warnings, st.Text)
		}
	}
	return &r
}

// Run drives a whole fetch: it hands every request the browser sends to
// respond and feeds the response back, until the fetch is allowed or
// blocked. An error from respond (the network failed) stops the fetch and
// is returned with the result so far.
func Run(req Request, b Browser, respond func(Outgoing) (Response, error)) (*Result, error) {
	s, err := NewSession(req, b)
	if err != nil {
		return nil, err
	}
	for {
		out, ok := s.Next()
		if !ok {
			return s.Result(), nil
		}
		resp, err := respond(out)
		if err != nil {
			return s.Result(), err
		}
		s.Receive(resp)
	}
}

// prepare is what fetch() does before any network activity: normalise the
// method, validate and filter the headers, label the body.
func (s *Session) prepare(req Request) *failure {
	m := req.Method
	if m == "" {
		m = "GET"
	}
	s.res.Method = m
	if !isToken(m) {
		return &failure{code: CodeTypeError, value: "'" + m + "' is not a valid HTTP method.", fix: "use a method token (letters, digits and !#$%&'*+-.^_`|~)"}
	}
	if IsForbiddenMethod(m) {
		return &failure{code: CodeTypeError, value: "'" + m + "' HTTP method is unsupported.", fix: "browsers never send CONNECT, TRACE or TRACK; use another method"}
	}
	s.method = NormalizeMethod(m)
	s.res.Method = s.method
	if s.cur.User != nil {
		return &failure{code: CodeTypeError, value: "Request cannot be constructed from a URL that includes credentials: " + s.initial,
			fix: "remove user:password from the URL; send an Authorization header instead"}
	}
	if s.body && (s.method == "GET" || s.method == "HEAD") {
		return &failure{code: CodeTypeError, value: "Request with GET/HEAD method cannot have body.", fix: "send the body with POST (or another method), or drop it"}
	}
	var notes []string
	if s.method != m {
		notes = append(notes, fmt.Sprintf("method %q normalised to %s", m, s.method))
	} else if strings.ToUpper(m) != m {
		notes = append(notes, fmt.Sprintf("method %q is sent as written: fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT", m))
	}
	h, dropped, f := filterHeaders(req.Header)
	if f != nil {
		return f
	}
	if s.body && len(values(h, "Content-Type")) == 0 {
		h.Set("Content-Type", "text/plain;charset=UTF-8")
		notes = append(notes, "a string body is labelled Content-Type: text/plain;charset=UTF-8")
	}
	if len(values(h, "Accept")) == 0 {
		h.Set("Accept", "*/*")
	}
	s.header = h
	where := "in " + s.b.title()
	if s.b == FetchSpec {
		where = "under the Fetch standard"
	}
	text := fmt.Sprintf("fetch(%q, {method: %q, credentials: %q}) %s, from a page at %s", s.initial, s.method, s.creds, where, s.page)
	if len(notes) > 0 {
		text += "; " + strings.Join(notes, "; ")
	}
	s.step(Actual, CheckRequest, Info, text, nil)
	for _, name := range dropped {
		s.step(Actual, CheckRequest, Warn, "fetch() silently drops the forbidden request header "+name+"; the server never sees it", nil)
	}
	return nil
}

// filterHeaders validates the script's headers as the Headers object does
// and drops the forbidden ones.
func filterHeaders(in http.Header) (http.Header, []string, *failure) {
	out := http.Header{}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var dropped []string
	for _, k := range keys {
		if !isToken(k) {
			return nil, nil, &failure{code: CodeTypeError, value: "'" + k + "' is not a valid HTTP header field name.", fix: "header names are tokens: no spaces, colons or quotes"}
		}
		for _, v := range in[k] {
			v = trimHTTPWhitespace(v)
			if strings.ContainsAny(v, "\x00\r\n") {
				return nil, nil, &failure{code: CodeTypeError, value: "'" + v + "' is not a valid HTTP header field value.", fix: "header values may not contain NUL, CR or LF"}
			}
			if isForbiddenRequestHeader(k, v) {
				dropped = append(dropped, http.CanonicalHeaderKey(k))
				continue
			}
			out.Add(k, v)
		}
	}
	return out, dropped, nil
}

// enterHop decides, for the current URL, whether CORS applies and whether
// a preflight goes first (main fetch, https://fetch.spec.whatwg.org/#main-fetch).
func (s *Session) enterHop() {
	target := originOf(s.cur)
	if !s.cors && s.page.same(target) {
		s.step(Actual, CheckOrigin, Info, "same origin: the page and "+s.curString()+" share the origin "+s.page.String()+", so CORS does not apply", nil)
		s.planActual()
		return
	}
	if !s.cors {
		s.step(Actual, CheckOrigin, Info, "cross-origin: the page is "+s.page.String()+" and the URL is "+target.String()+", so the CORS protocol applies", nil)
	}
	s.cors, s.res.CrossOrigin = true, true
	unsafe := unsafeHeaders(s.header)
	var why []string
	if s.force {
		why = append(why, "the use-CORS-preflight flag is set")
	}
	if !IsSafelistedMethod(s.method) {
		why = append(why, "method "+s.method+" is not CORS-safelisted (GET, HEAD, POST)")
	}
	for _, u := range unsafe {
		why = append(why, "header "+u.Name+": "+u.Reason)
	}
	if len(why) == 0 {
		s.step(Actual, CheckPreflightNeed, Info, "no preflight: "+s.method+" with only CORS-safelisted headers is a simple request", nil)
		s.planActual()
		return
	}
	s.step(Preflight, CheckPreflightNeed, Info, "preflight needed: "+strings.Join(why, "; "), nil)
	names := make([]string, len(unsafe))
	for i, u := range unsafe {
		names[i] = u.Name
	}
	h := http.Header{}
	h.Set("Accept", "*/*")
	h.Set("Access-Control-Request-Method", s.method)
	if len(names) > 0 {
		h.Set("Access-Control-Request-Headers", strings.Join(names, ","))
	}
	h.Set("Origin", s.requestOrigin())
	s.res.Preflights++
	s.plan(&Outgoing{Kind: Preflight, Method: "OPTIONS", URL: s.curString(), Header: h})
}

// planActual queues the actual request for the current URL.
func (s *Session) planActual() {
	h := s.header.Clone()
	if s.cors || (s.method != "GET" && s.method != "HEAD") {
		h.Set("Origin", s.requestOrigin())
	}
	creds := s.creds == Include || s.creds == SameOrigin && !s.cors
	s.plan(&Outgoing{Kind: Actual, Method: s.method, URL: s.curString(), Header: h, Body: s.body, Credentials: creds})
}

func (s *Session) plan(out *Outgoing) {
	s.next = out
	with := "without credentials"
	if out.Credentials {
		with = "with credentials (cookies, HTTP auth, client certificates)"
	}
	s.step(out.Kind, CheckSent, Info, out.Method+" "+out.URL+" "+with, out.Header.Clone())
}

// afterPreflight applies steps 7-8 of the CORS-preflight fetch.
func (s *Session) afterPreflight(resp Response) {
	c := s.ctx(true, resp.Status)
	if isRedirectStatus(resp.Status) {
		loc, _ := get(resp.Header, "Location")
		s.fail(&failure{code: CodePreflightRedirect, value: loc, fix: fmt.Sprintf(
			"the preflight was redirected (%d to %q) and browsers never follow a preflight's redirect: have the page fetch the final URL directly (a scheme or trailing-slash redirect is the usual cause), or answer OPTIONS without redirecting", resp.Status, loc)},
			true, resp.Status)
		return
	}
	if f := corsCheck(c, resp.Header); f != nil {
		s.fail(f, true, resp.Status)
		return
	}
	s.step(Preflight, CheckCORS, Pass, s.corsPassText(resp.Header), nil)
	if !isOKStatus(resp.Status) {
		s.fail(&failure{code: CodePreflightStatus, fix: preflightStatusFix(resp.Status)}, true, resp.Status)
		return
	}
	s.step(Preflight, CheckOKStatus, Pass, fmt.Sprintf("status %d is an ok status (200-299)", resp.Status), nil)
	acam, present, bad, ok := parseList(values(resp.Header, "Access-Control-Allow-Methods"))
	if !ok {
		s.fail(&failure{code: CodeInvalidAllowMethods, value: bad, fix: "Access-Control-Allow-Methods must be a comma-separated list of methods; `" + bad + "` is not a method token"}, true, resp.Status)
		return
	}
	acah, _, bad, ok := parseList(values(resp.Header, "Access-Control-Allow-Headers"))
	if !ok {
		s.fail(&failure{code: CodeInvalidAllowHeaders, value: bad, fix: "Access-Control-Allow-Headers must be a comma-separated list of header names; `" + bad + "` is not a header name"}, true, resp.Status)
		return
	}
	text, f := methodCheck(s.method, acam, present, s.force, s.creds)
	if f != nil {
		s.fail(f, true, resp.Status)
		return
	}
	s.step(Preflight, CheckMethod, Pass, text, nil)
	unsafe := unsafeHeaders(s.header)
	text, warn, f := headerCheck(s.b, unsafe, acah, s.creds)
	switch {
	case f != nil:
		s.fail(f, true, resp.Status)
		return
	case warn:
		s.step(Preflight, CheckHeaders, Warn, text, nil)
	case len(unsafe) > 0:
		s.step(Preflight, CheckHeaders, Pass, text, nil)
	}
	secs, text := maxAge(s.b, resp.Header)
	s.res.PreflightCacheSeconds = &secs
	s.step(Preflight, CheckMaxAge, Info, text, nil)
	s.planActual()
}

// afterActual applies the CORS check to an actual response (redirects
// included) and follows a redirect or finishes the fetch.
func (s *Session) afterActual(resp Response) {
	if s.cors {
		if f := corsCheck(s.ctx(false, resp.Status), resp.Header); f != nil {
			s.fail(f, false, resp.Status)
			return
		}
		s.step(Actual, CheckCORS, Pass, s.corsPassText(resp.Header), nil)
	}
	if isRedirectStatus(resp.Status) {
		if loc, ok := get(resp.Header, "Location"); ok {
			s.redirect(resp.Status, loc)
			return
		}
	}
	s.res.Verdict = Allowed
	s.res.FinalURL, s.res.Status = s.curString(), resp.Status
	if s.cors {
		s.res.Readable, s.res.Hidden = ReadableHeaders(resp.Header, s.creds)
	} else {
		for _, n := range headerNames(resp.Header) {
			if IsForbiddenResponseHeader(n) {
				s.res.Hidden = append(s.res.Hidden, n)
			} else {
				s.res.Readable = append(s.res.Readable, n)
			}
		}
	}
	text := fmt.Sprintf("the script gets the %d response and its body; readable headers: %s", resp.Status, listOrNone(s.res.Readable))
	if len(s.res.Hidden) > 0 {
		text += "; hidden: " + strings.Join(s.res.Hidden, ", ")
	}
	s.step(Actual, CheckExposedHeaders, Info, text, nil)
}
