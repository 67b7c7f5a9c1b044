package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	page = "https://app.example"
	api  = "https://api.example/items"
	cdn  = "https://cdn.example/final"
)

// hdr builds a header from name, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func resp(status int, kv ...string) Response { return Response{Status: status, Header: hdr(kv...)} }

// server answers by "preflight URL" or "actual URL" and records what it
// was sent.
type server struct {
	routes map[string]Response
	sent   []Outgoing
}

func (s *server) respond(out Outgoing) (Response, error) {
	s.sent = append(s.sent, out)
	r, ok := s.routes[out.Kind.String()+" "+out.URL]
	if !ok {
		return Response{}, fmt.Errorf("no route for %s %s", out.Kind, out.URL)
	}
	return r, nil
}

func run(t *testing.T, req Request, b Browser, routes map[string]Response) (*Result, *server) {
	t.Helper()
	s := &server{routes: routes}
	res, err := Run(req, b, s.respond)
	if err != nil {
		t.Fatal(err)
	}
	return res, s
}

// okPreflight allows PUT with content-type, x-a and x-b from page.
var okPreflight = resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "GET, PUT",
	"Access-Control-Allow-Headers", "Content-Type, X-B, X-A", "Access-Control-Max-Age", "600")

// sessionCases are whole fetches against recorded responses.
var sessionCases = []struct {
	name       string
	req        Request
	b          Browser
	routes     map[string]Response
	verdict    Verdict
	code       Code
	message    string // substring of Failure.Message
	fix        string // substring of Failure.Fix
	preflights int
}{
	{"simple GET with star", Request{URL: api, Origin: page}, Chromium,
		map[string]Response{"actual " + api: resp(200, "Access-Control-Allow-Origin", "*")}, Allowed, "", "", "", 0},
	{"simple GET without ACAO", Request{URL: api, Origin: page}, Chromium,
		map[string]Response{"actual " + api: resp(200)}, Blocked, CodeMissingAllowOrigin,
		"Access to fetch at 'https://api.example/items' from origin 'https://app.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource. If an opaque response serves your needs",
		"the server must send `Access-Control-Allow-Origin: https://app.example` (or `*`", 0},
	{"simple POST form", Request{URL: api, Origin: page, Method: "post", Body: true, Header: hdr("Content-Type", "application/x-www-form-urlencoded")}, Chromium,
		map[string]Response{"actual " + api: resp(201, "Access-Control-Allow-Origin", page)}, Allowed, "", "", "", 0},
	{"PUT preflighted and allowed", Request{URL: api, Origin: page, Method: "put", Body: true, Header: hdr("Content-Type", "application/json", "X-B", "1", "x-a", "2", "X-A", "3")}, Chromium,
		map[string]Response{"preflight " + api: okPreflight, "actual " + api: resp(200, "Access-Control-Allow-Origin", page)}, Allowed, "", "", "", 1},
	{"preflight without ACAO", Request{URL: api, Origin: page, Method: "DELETE"}, Chromium,
		map[string]Response{"preflight " + api: resp(204)}, Blocked, CodeMissingAllowOrigin,
		"has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		"answer the preflight with `Access-Control-Allow-Origin: https://app.example`", 1},
	{"preflight 401", Request{URL: api, Origin: page, Method: "PUT"}, Chromium,
		map[string]Response{"preflight " + api: resp(401, "Access-Control-Allow-Origin", page)}, Blocked, CodePreflightStatus,
		"Response to preflight request doesn't pass access control check: It does not have HTTP ok status.", "run CORS before auth", 1},
	{"preflight 404 without headers", Request{URL: api, Origin: page, Method: "PUT"}, Chromium,
		map[string]Response{"preflight " + api: resp(404)}, Blocked, CodeMissingAllowOrigin,
		"No 'Access-Control-Allow-Origin' header", "does not handle OPTIONS here (404)", 1},
	{"preflight redirect", Request{URL: api, Origin: page, Method: "PUT"}, Chromium,
		map[string]Response{"preflight " + api: resp(301, "Location", api+"/", "Access-Control-Allow-Origin", page)}, Blocked, CodePreflightRedirect,
		"Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.", "never follow a preflight's redirect", 1},
	{"method not listed", Request{URL: api, Origin: page, Method: "PATCH"}, Chromium,
		map[string]Response{"preflight " + api: okPreflight}, Blocked, CodeMethodNotAllowed,
		"blocked by CORS policy: Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response.", "the server must list `PATCH` in Access-Control-Allow-Methods", 1},
	{"lower-case patch", Request{URL: api, Origin: page, Method: "patch"}, Chromium,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PATCH")}, Blocked, CodeMethodNotAllowed,
		"Method patch is not allowed", "have the page use `PATCH`", 1},
	{"header not listed", Request{URL: api, Origin: page, Header: hdr("X-Api-Key", "k")}, Chromium,
		map[string]Response{"preflight " + api: okPreflight}, Blocked, CodeHeaderNotAllowed,
		"Request header field x-api-key is not allowed by Access-Control-Allow-Headers in preflight response.", "list `x-api-key`", 1},
	{"invalid ACAM", Request{URL: api, Origin: page, Method: "PUT"}, Chromium,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "GET PUT")}, Blocked, CodeInvalidAllowMethods,
		"Cannot parse Access-Control-Allow-Methods response header field in preflight response.", "`GET PUT` is not a method token", 1},
	{"invalid ACAH", Request{URL: api, Origin: page, Method: "PUT"}, Firefox,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-a;")}, Blocked, CodeInvalidAllowHeaders,
		"(Reason: invalid token ‘x-a;’ in CORS header ‘Access-Control-Allow-Headers’). Status code: 204.", "not a header name", 1},
	{"authorization under star: chromium warns", Request{URL: api, Origin: page, Header: hdr("Authorization", "Bearer t")}, Chromium,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*"), "actual " + api: resp(200, "Access-Control-Allow-Origin", "*")}, Allowed, "", "", "", 1},
	{"authorization under star: firefox blocks", Request{URL: api, Origin: page, Header: hdr("Authorization", "Bearer t")}, Firefox,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*")}, Blocked, CodeHeaderNotAllowed,
		"Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/items. (Reason: missing token ‘authorization’ in CORS header ‘Access-Control-Allow-Headers’ from CORS preflight channel). Status code: 204.",
		"never covers Authorization", 1},
	{"authorization under star: the standard blocks", Request{URL: api, Origin: page, Header: hdr("Authorization", "Bearer t")}, FetchSpec,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*")}, Blocked, CodeHeaderNotAllowed,
		"network error (CORS-preflight fetch): the request header `authorization` is not allowed by `Access-Control-Allow-Headers` (https://fetch.spec.whatwg.org/#cors-preflight-fetch)", "", 1},
	{"star with credentials", Request{URL: api, Origin: page, Credentials: Include}, Chromium,
		map[string]Response{"actual " + api: resp(200, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true")}, Blocked, CodeWildcardOrigin,
		"The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.", "don't combine `*` with credentials", 0},
	{"ACAC True", Request{URL: api, Origin: page, Credentials: Include, Method: "PUT"}, Chromium,
		map[string]Response{"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "True", "Access-Control-Allow-Methods", "PUT")}, Blocked, CodeInvalidAllowCredential,
		"Response to preflight request doesn't pass access control check: The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true'", "in lower case", 1},
	{"trailing slash", Request{URL: api, Origin: page}, Chromium,
		map[string]Response{"actual " + api: resp(200, "Access-Control-Allow-Origin", page+"/")}, Blocked, CodeAllowOriginMismatch,
		"The 'Access-Control-Allow-Origin' header has a value 'https://app.example/' that is not equal to the supplied origin.", "drop the trailing slash from the configured origin", 0},
	{"duplicate ACAO", Request{URL: api, Origin: page}, Chromium,
		map[string]Response{"actual " + api: resp(200, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Origin", page)}, Blocked, CodeMultipleAllowOrigin,
		"contains multiple values 'https://app.example, https://app.example', but only one is allowed.", "two layers", 0},
	{"error response without headers", Request{URL: api, Origin: page}, Chromium,
		map[string]Response{"actual " + api: resp(500)}, Blocked, CodeMissingAllowOrigin, "No 'Access-Control-Allow-Origin'", "on error responses too", 0},
	{"error response with headers is readable", Request{URL: api, Origin: page}, Chromium,
		map[string]Response{"actual " + api: resp(503, "Access-Control-Allow-Origin", "*")}, Allowed, "", "", "", 0},
	{"same origin needs no CORS", Request{URL: page + "/api", Origin: page, Method: "PUT", Header: hdr("X-A", "1")}, Chromium,
		map[string]Response{"actual " + page + "/api": resp(200)}, Allowed, "", "", "", 0},
	{"null origin", Request{URL: api, Origin: "null"}, Chromium,
		map[string]Response{"actual " + api: resp(200, "Access-Control-Allow-Origin", "null")}, Allowed, "", "", "", 0},
	{"forced preflight with absent ACAM", Request{URL: api, Origin: page, ForcePreflight: true}, FetchSpec,
		map[string]Response{"preflight " + api: resp(200, "Access-Control-Allow-Origin", page), "actual " + api: resp(200, "Access-Control-Allow-Origin", page)}, Allowed, "", "", "", 1},
	{"TRACE", Request{URL: api, Origin: page, Method: "trace"}, Chromium, nil, Blocked, CodeTypeError,
		"TypeError: Failed to execute 'fetch' on 'Window': 'trace' HTTP method is unsupported.", "never send CONNECT, TRACE or TRACK", 0},
	{"invalid method", Request{URL: api, Origin: page, Method: "GE T"}, Firefox, nil, Blocked, CodeTypeError,
		"TypeError: Window.fetch: 'GE T' is not a valid HTTP method.", "method token", 0},
	{"GET with body", Request{URL: api, Origin: page, Body: true}, FetchSpec, nil, Blocked, CodeTypeError,
		"TypeError: Request with GET/HEAD method cannot have body.", "POST", 0},
	{"bad header name", Request{URL: api, Origin: page, Header: http.Header{"X A": {"1"}}}, Chromium, nil, Blocked, CodeTypeError,
		"'X A' is not a valid HTTP header field name.", "tokens", 0},
	{"bad header value", Request{URL: api, Origin: page, Header: http.Header{"X-A": {"a\nb"}}}, Chromium, nil, Blocked, CodeTypeError,
		"is not a valid HTTP header field value.", "CR or LF", 0},
	{"credentials in URL", Request{URL: "https://u:p@api.example/", Origin: page}, Chromium, nil, Blocked, CodeTypeError,
		"Request cannot be constructed from a URL that includes credentials", "Authorization header", 0},
}

func TestSessionScenarios(t *testing.T) {
	tests := sessionCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := run(t, tt.req, tt.b, tt.routes)
			if res.Verdict != tt.verdict {
				t.Fatalf("verdict %s, want %s; failure %+v", res.Verdict, tt.verdict, res.Failure)
			}
			if res.Preflights != tt.preflights {
				t.Errorf("preflights = %d, want %d", res.Preflights, tt.preflights)
			}
			last := res.Steps[len(res.Steps)-1]
			if tt.verdict == Allowed {
				if res.Failure != nil || last.Check != CheckExposedHeaders {
					t.Errorf("allowed with failure %+v, last step %+v", res.Failure, last)
				}
				return
			}
			f := res.Failure
			if f == nil || f.Code != tt.code {
				t.Fatalf("failure %+v, want code %s", f, tt.code)
			}
			if !strings.Contains(f.Message, tt.message) {
				t.Errorf("message:\n %s\nlacks\n %s", f.Message, tt.message)
			}
			if !strings.Contains(f.Fix, tt.fix) {
				t.Errorf("fix %q lacks %q", f.Fix, tt.fix)
			}
			if last.Outcome != Fail || last.Check != checkOf(f.Code) {
				t.Errorf("last step %+v is not the failing check", last)
			}
		})
	}
}

func TestPreflightRequest(t *testing.T) {
	req := Request{URL: api, Origin: page, Method: "put", Body: true, Credentials: Include,
		Header: hdr("Content-Type", "application/json", "X-B", "1", "x-a", "2", "X-A", "3", "Cookie", "s=1", "Accept-Language", "en")}
	routes := map[string]Response{
		"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true",
			"Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "content-type,x-a,x-b", "Access-Control-Max-Age", "86400"),
		"actual " + api: resp(200, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true",
			"Access-Control-Expose-Headers", "X-Total", "X-Total", "3", "Set-Cookie", "a=b", "Content-Type", "application/json"),
	}
	res, srv := run(t, req, Chromium, routes)
	if res.Verdict != Allowed || len(srv.sent) != 2 {
		t.Fatalf("verdict %s after %d requests: %+v", res.Verdict, len(srv.sent), res.Failure)
	}
	pre, act := srv.sent[0], srv.sent[1]
	wantPre := http.Header{
		"Accept": {"*/*"}, "Access-Control-Request-Method": {"PUT"},
		"Access-Control-Request-Headers": {"content-type,x-a,x-b"}, "Origin": {page},
	}
	if pre.Kind != Preflight || pre.Method != "OPTIONS" || pre.Credentials || pre.Body || !reflect.DeepEqual(pre.Header, wantPre) {
		t.Errorf("preflight = %+v", pre)
	}
	if act.Kind != Actual || act.Method != "PUT" || !act.Credentials || !act.Body {
		t.Errorf("actual = %+v", act)
	}
	if act.Header.Get("Origin") != page || act.Header.Get("Cookie") != "" || act.Header.Get("Accept") != "*/*" ||
		!reflect.DeepEqual(act.Header.Values("X-A"), []string{"2", "3"}) {
		t.Errorf("actual headers = %v", act.Header)
	}
	if got := *res.PreflightCacheSeconds; got != 7200 {
		t.Errorf("cache %d, want Chromium's 7200", got)
	}
	if !reflect.DeepEqual(res.Readable, []string{"content-type", "x-total"}) || !reflect.DeepEqual(res.Hidden, []string{"access-control-allow-credentials", "access-control-allow-origin", "access-control-expose-headers", "set-cookie"}) {
		t.Errorf("readable %q hidden %q", res.Readable, res.Hidden)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "forbidden request header Cookie") {
		t.Errorf("warnings %q", res.Warnings)
	}
	if res.Status != 200 || res.FinalURL != api || !res.CrossOrigin {
		t.Errorf("result %+v", res)
	}
}

func TestSameOriginOriginHeader(t *testing.T) {
	for _, tt := range []struct {
		method string
		origin string
	}{{"GET", ""}, {"HEAD", ""}, {"POST", page}, {"DELETE", page}} {
		_, srv := run(t, Request{URL: page + "/x", Origin: page, Method: tt.method}, Chromium, map[string]Response{"actual " + page + "/x": resp(200)})
		if got := srv.sent[0].Header.Get("Origin"); got != tt.origin || !srv.sent[0].Credentials {
			t.Errorf("%s: Origin %q (want %q), credentials %v", tt.method, got, tt.origin, srv.sent[0].Credentials)
		}
	}
}

func TestChromiumAuthorizationWarning(t *testing.T) {
	res, _ := run(t, Request{URL: api, Origin: page, Header: hdr("Authorization", "Bearer t")}, Chromium, map[string]Response{
		"preflight " + api: resp(204, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*"),
		"actual " + api:    resp(200, "Access-Control-Allow-Origin", "*"),
	})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Authorization will not be covered by the wildcard symbol (*)") {
		t.Errorf("warnings = %q", res.Warnings)
	}
}

func TestRedirectOrigin(t *testing.T) {
	t.Run("cross-origin hop taints the origin", func(t *testing.T) {
		res, srv := run(t, Request{URL: api, Origin: page}, Chromium, map[string]Response{
			"actual " + api: resp(302, "Location", cdn, "Access-Control-Allow-Origin", page),
			"actual " + cdn: resp(200, "Access-Control-Allow-Origin", page),
		})
		if got := srv.sent[1].Header.Get("Origin"); got != "null" {
			t.Errorf("second Origin %q, want null", got)
		}
		f := res.Failure
		if res.Verdict != Blocked || f.Code != CodeAllowOriginMismatch || !strings.Contains(f.Fix, "`Origin: null`") ||
			!strings.Contains(f.Message, "Access to fetch at 'https://cdn.example/final' (redirected from 'https://api.example/items') from origin 'https://app.example'") {
			t.Errorf("failure %+v", f)
		}
	})
	t.Run("tainted origin accepted by star", func(t *testing.T) {
		res, _ := run(t, Request{URL: api, Origin: page}, Chromium, map[string]Response{
			"actual " + api: resp(307, "Location", cdn, "Access-Control-Allow-Origin", "*"),
			"actual " + cdn: resp(200, "Access-Control-Allow-Origin", "*"),
		})
		if res.Verdict != Allowed || res.Redirects != 1 || res.FinalURL != cdn {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("redirect response must pass the CORS check", func(t *testing.T) {
		res, _ := run(t, Request{URL: api, Origin: page}, Chromium, map[string]Response{
			"actual " + api: resp(302, "Location", cdn),
		})
		if res.Failure == nil || res.Failure.Code != CodeMissingAllowOrigin {
			t.Errorf("failure %+v", res.Failure)
		}
	})
	t.Run("same-origin hop keeps the origin", func(t *testing.T) {
		_, srv := run(t, Request{URL: api, Origin: page}, Chromium, map[string]Response{
			"actual " + api:       resp(301, "Location", "/items/", "Access-Control-Allow-Origin", page),
			"actual " + api + "/": resp(200, "Access-Control-Allow-Origin", page),
		})
		if got := srv.sent[1].Header.Get("Origin"); got != page {
			t.Errorf("Origin %q", got)
		}
	})
	t.Run("leaving the page's origin starts CORS", func(t *testing.T) {
		res, srv := run(t, Request{URL: page + "/go", Origin: page, Method: "PUT"}, Chromium, map[string]Response{
			"actual " + page + "/go": resp(307, "Location", api),
			"preflight " + api:       resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT"),
			"actual " + api:          resp(200, "Access-Control-Allow-Origin", page),
		})
		if res.Verdict != Allowed || res.Preflights != 1 || srv.sent[1].Header.Get("Origin") != page || srv.sent[0].Credentials != true || srv.sent[2].Credentials {
			t.Errorf("result %+v sent %+v", res, srv.sent)
		}
	})
}

func TestRedirectRewrites(t *testing.T) {
	t.Run("POST becomes GET on 302 and needs no preflight", func(t *testing.T) {
		res, srv := run(t, Request{URL: api, Origin: page, Method: "POST", Body: true, Header: hdr("Content-Type", "application/json")}, Chromium, map[string]Response{
			"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "content-type"),
			"actual " + api:    resp(302, "Location", cdn, "Access-Control-Allow-Origin", page),
			"actual " + cdn:    resp(200, "Access-Control-Allow-Origin", "*"),
		})
		last := srv.sent[len(srv.sent)-1]
		if res.Verdict != Allowed || res.Preflights != 1 || last.Method != "GET" || last.Body || last.Header.Get("Content-Type") != "" {
			t.Errorf("result %+v last %+v", res, last)
		}
	})
	t.Run("303 turns PUT into GET, 307 keeps it", func(t *testing.T) {
		_, srv := run(t, Request{URL: api, Origin: page, Method: "PUT", Body: true}, Chromium, map[string]Response{
			"preflight " + api:        resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT"),
			"actual " + api:           resp(303, "Location", api+"/done", "Access-Control-Allow-Origin", page),
			"actual " + api + "/done": resp(200, "Access-Control-Allow-Origin", page),
		})
		if last := srv.sent[len(srv.sent)-1]; last.Method != "GET" || last.Body {
			t.Errorf("after 303: %+v", last)
		}
		_, srv = run(t, Request{URL: api, Origin: page, Method: "PUT", Body: true}, Chromium, map[string]Response{
			"preflight " + api:            resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT"),
			"actual " + api:               resp(307, "Location", api+"/again", "Access-Control-Allow-Origin", page),
			"preflight " + api + "/again": resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT"),
			"actual " + api + "/again":    resp(200, "Access-Control-Allow-Origin", page),
		})
		if last := srv.sent[len(srv.sent)-1]; last.Method != "PUT" || !last.Body || len(srv.sent) != 4 {
			t.Errorf("after 307: %d requests, last %+v", len(srv.sent), last)
		}
	})
	t.Run("cross-origin redirect drops Authorization", func(t *testing.T) {
		_, srv := run(t, Request{URL: api, Origin: page, Header: hdr("Authorization", "Bearer t")}, Chromium, map[string]Response{
			"preflight " + api: resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "authorization"),
			"actual " + api:    resp(302, "Location", cdn, "Access-Control-Allow-Origin", page),
			"actual " + cdn:    resp(200, "Access-Control-Allow-Origin", "*"),
		})
		if last := srv.sent[len(srv.sent)-1]; last.Kind != Actual || last.Header.Get("Authorization") != "" {
			t.Errorf("last %+v", last)
		}
	})
}

func TestRedirectFailures(t *testing.T) {
	t.Run("too many redirects", func(t *testing.T) {
		routes := map[string]Response{}
		for i := range 21 {
			routes[fmt.Sprintf("actual %s/%d", api, i)] = resp(302, "Location", fmt.Sprintf("%s/%d", api, i+1), "Access-Control-Allow-Origin", "*")
		}
		res, srv := run(t, Request{URL: api + "/0", Origin: page}, Chromium, routes)
		if res.Failure == nil || res.Failure.Code != CodeTooManyRedirects || len(srv.sent) != 21 || res.Redirects != 20 ||
			!strings.Contains(res.Failure.Message, "net::ERR_TOO_MANY_REDIRECTS") {
			t.Errorf("sent %d, result %+v", len(srv.sent), res.Failure)
		}
	})
	for _, tt := range []struct {
		loc  string
		code Code
	}{
		{"ftp://cdn.example/x", CodeRedirectScheme},
		{"https://u:p@cdn.example/x", CodeRedirectCredentials},
		{"https://cdn.example/%zz", CodeRedirectLocation},
	} {
		t.Run(string(tt.code), func(t *testing.T) {
			res, _ := run(t, Request{URL: api, Origin: page}, Chromium, map[string]Response{
				"actual " + api: resp(302, "Location", tt.loc, "Access-Control-Allow-Origin", "*"),
			})
			if res.Failure == nil || res.Failure.Code != tt.code {
				t.Errorf("failure %+v", res.Failure)
			}
		})
	}
	t.Run("3xx without Location is the final response", func(t *testing.T) {
		res, _ := run(t, Request{URL: api, Origin: page}, Chromium, map[string]Response{
			"actual " + api: resp(304, "Access-Control-Allow-Origin", "*"),
		})
		if res.Verdict != Allowed || res.Status != 304 {
			t.Errorf("result %+v", res)
		}
	})
}

func TestNewSessionErrors(t *testing.T) {
	for _, tt := range []struct {
		req  Request
		want string
	}{
		{Request{URL: api, Origin: page + "/"}, `a browser sends "https://app.example"`},
		{Request{URL: api, Origin: "https://App.example:443"}, `a browser sends "https://app.example"`},
		{Request{URL: api, Origin: "app.example"}, "such as https://app.example, or null"},
		{Request{URL: "/items", Origin: page}, "absolute http:// or https:// URL"},
		{Request{URL: "ftp://x/", Origin: page}, "absolute http:// or https:// URL"},
	} {
		_, err := NewSession(tt.req, Chromium)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSession(%+v) = %v, want %q", tt.req, err, tt.want)
		}
	}
	if _, err := NewSession(Request{URL: "http://[::1]:8080/x", Origin: "http://[::1]:3000"}, Chromium); err != nil {
		t.Errorf("IPv6: %v", err)
	}
}

func TestRunStopsOnNetworkError(t *testing.T) {
	boom := errors.New("connection refused")
	res, err := Run(Request{URL: api, Origin: page, Method: "PUT"}, Chromium, func(Outgoing) (Response, error) { return Response{}, boom })
	if !errors.Is(err, boom) || res == nil || res.Verdict != Blocked {
		t.Errorf("Run = %+v, %v", res, err)
	}
}

func TestSessionStepByStep(t *testing.T) {
	s, err := NewSession(Request{URL: api, Origin: page, Method: "DELETE"}, FetchSpec)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := s.Next()
	if !ok || out.Kind != Preflight || s.Done() {
		t.Fatalf("first request %+v", out)
	}
	out.Header.Set("Origin", "mutated") // a copy
	if again, _ := s.Next(); again.Header.Get("Origin") != page {
		t.Error("Next must return a copy")
	}
	s.Receive(resp(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "DELETE"))
	s.Receive(resp(200, "Access-Control-Allow-Origin", page))
	if !s.Done() || s.Result().Verdict != Allowed {
		t.Fatalf("result %+v", s.Result())
	}
	s.Receive(resp(500)) // ignored once done
	if s.Result().Verdict != Allowed {
		t.Error("Receive after Done changed the result")
	}
}

func TestFetchSpecMessages(t *testing.T) {
	res, _ := run(t, Request{URL: api, Origin: page, Method: "PUT"}, FetchSpec, map[string]Response{
		"preflight " + api: resp(500, "Access-Control-Allow-Origin", page),
	})
	want := "network error (CORS-preflight fetch): the preflight response's status 500 is not an ok status (200-299) (https://fetch.spec.whatwg.org/#cors-preflight-fetch)"
	if res.Failure.Message != want {
		t.Errorf("message %q", res.Failure.Message)
	}
	res, _ = run(t, Request{URL: api, Origin: page}, Firefox, map[string]Response{"actual " + api: resp(200)})
	if want := "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200."; res.Failure.Message != want {
		t.Errorf("firefox message %q", res.Failure.Message)
	}
}
