// Package scenario loads the table of named CORS scenarios in
// internal/probe/testdata/scenarios.yaml and serves them from real
// loopback servers. The probe tests run every scenario through
// `corsgate check`'s engine; the headless-Chromium suite (test/e2e) runs
// the same table in a real browser, so both must agree with the expected
// verdicts.
//
// A scenario names one or more servers; each answers by path and by
// request kind ("preflight": OPTIONS with Origin and
// Access-Control-Request-Method; "actual": anything else) with a fixed
// status, hand-picked header lines and a body. Unconfigured paths or kinds
// get 404 with no headers. Strings may use two placeholders, expanded when
// the scenario runs:
//
//	{{origin}}      the page's origin (the harness chooses it)
//	{{url:NAME}}    the base URL of server NAME, e.g. http://127.0.0.1:41234
package scenario

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// File is the whole table.
type File struct {
	// Version is the format version; this package reads 1.
	Version int `json:"version"`
	// Shared holds YAML anchors that scenarios reuse; it has no meaning.
	Shared    map[string]any `json:"shared,omitempty"`
	Scenarios []Scenario     `json:"scenarios"`
}

// Scenario is one named case. Names are stable: other suites refer to them.
type Scenario struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Servers     map[string]Server `json:"servers"`
	Request     Request           `json:"request"`
	Expect      Expect            `json:"expect"`
}

// Server is one loopback HTTP server.
type Server struct {
	Routes map[string]Route `json:"routes"` // by exact URL path
}

// Route holds the replies for one path.
type Route struct {
	Preflight *Reply `json:"preflight,omitempty"`
	Actual    *Reply `json:"actual,omitempty"`
}

// Reply is a fixed response.
type Reply struct {
	Status int `json:"status"`
	// Headers are "Name: value" lines, sent in order; a name may repeat.
	Headers []string `json:"headers,omitempty"`
	Body    string   `json:"body,omitempty"`
}

// Request is the fetch() call the page makes.
type Request struct {
	Server      string   `json:"server"` // which server the URL points at
	Path        string   `json:"path"`
	Origin      string   `json:"origin,omitempty"`      // default "{{origin}}"
	Method      string   `json:"method,omitempty"`      // default GET
	Headers     []string `json:"headers,omitempty"`     // "Name: value"
	Credentials string   `json:"credentials,omitempty"` // omit, same-origin (default) or include
	ContentType string   `json:"contentType,omitempty"`
	Body        *string  `json:"body,omitempty"`
}

// Expect is the verdict every browser profile must reach, with per-profile
// overrides where browsers differ.
type Expect struct {
	Verdict string `json:"verdict"` // ALLOWED or BLOCKED
	// Reason is a substring of Chromium's console message (BLOCKED only).
	Reason string `json:"reason,omitempty"`
	// Code is the internal/fetch failure code (BLOCKED only).
	Code string `json:"code,omitempty"`
	// Preflight says whether a preflight is sent.
	Preflight bool `json:"preflight"`
	// Browsers overrides Verdict, Reason and Code for a profile: chromium,
	// firefox or fetch-spec. Reason then matches that profile's message.
	Browsers map[string]Outcome `json:"browsers,omitempty"`
	// Requests lists what the servers receive, in order (optional).
	Requests []Received `json:"requests,omitempty"`
}

// Outcome is a per-browser expectation.
type Outcome struct {
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	Code    string `json:"code,omitempty"`
}

// Received is one request a server got. In expectations, Headers maps a
// name to its exact value, "" meaning the header is absent.
type Received struct {
	Server  string            `json:"server"`
	Kind    string            `json:"kind"` // preflight or actual
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	header  http.Header
}

// Header returns the full header of a request a server received.
func (r *Received) Header() http.Header { return r.header }

// For returns the expectation for browser profile b.
func (e *Expect) For(b string) Outcome {
	if o, ok := e.Browsers[b]; ok {
		return o
	}
	return Outcome{Verdict: e.Verdict, Reason: e.Reason, Code: e.Code}
}

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Load reads and validates a scenario table.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%s: version %d: this reader knows version 1", path, f.Version)
	}
	var errs []error
	seen := map[string]bool{}
	for i, s := range f.Scenarios {
		switch {
		case !nameRE.MatchString(s.Name):
			errs = append(errs, fmt.Errorf("scenarios[%d]: name %q: use lower-case words joined by '-'", i, s.Name))
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("scenarios[%d]: name %q is used twice; names must be unique", i, s.Name))
		}
		seen[s.Name] = true
		if _, ok := s.Servers[s.Request.Server]; !ok {
			errs = append(errs, fmt.Errorf("scenario %s: request.server %q is not one of its servers", s.Name, s.Request.Server))
		}
		if s.Expect.Verdict != "ALLOWED" && s.Expect.Verdict != "BLOCKED" {
			errs = append(errs, fmt.Errorf("scenario %s: expect.verdict %q: use ALLOWED or BLOCKED", s.Name, s.Expect.Verdict))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// Running is a scenario's servers, listening on 127.0.0.1.
type Running struct {
	origin string
	urls   map[string]string
	srvs   []*httptest.Server
	mu     sync.Mutex
	got    []Received
}

// Start serves every server of s on a free 127.0.0.1 port; origin is the
// page origin that {{origin}} stands for. Close the result when done.
func Start(s *Scenario, origin string) (*Running, error) {
	r := &Running{origin: origin, urls: map[string]string{}}
	for name, srv := range s.Servers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("scenario %s: listen on 127.0.0.1: %w", s.Name, err)
		}
		hs := httptest.NewUnstartedServer(r.handler(name, srv))
		hs.Listener.Close()
		hs.Listener = ln
		hs.Start()
		r.srvs = append(r.srvs, hs)
		r.urls[name] = hs.URL
	}
	return r, nil
}

// Close stops the servers.
func (r *Running) Close() {
	for _, s := range r.srvs {
		s.Close()
	}
}

// URL returns the base URL of server name.
func (r *Running) URL(name string) string { return r.urls[name] }

// Origin returns the page origin the request uses ({{origin}} expanded).
func (r *Running) Origin(req *Request) string {
	if req.Origin == "" {
		return r.origin
	}
	return r.Expand(req.Origin)
}

// Expand replaces the placeholders in s.
func (r *Running) Expand(s string) string {
	s = strings.ReplaceAll(s, "{{origin}}", r.origin)
	for name, u := range r.urls {
		s = strings.ReplaceAll(s, "{{url:"+name+"}}", u)
	}
	return s
}

// Received returns the requests the servers got so far, in order.
func (r *Running) Received() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.got...)
}

// Kind classifies a request as a server sees it: "preflight" for OPTIONS
// with Origin and Access-Control-Request-Method, else "actual".
func Kind(req *http.Request) string {
	if req.Method == http.MethodOptions && req.Header.Get("Origin") != "" && req.Header.Get("Access-Control-Request-Method") != "" {
		return "preflight"
	}
	return "actual"
}

func (r *Running) handler(name string, srv Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		kind := Kind(req)
		r.mu.Lock()
		r.got = append(r.got, Received{Server: name, Kind: kind, Method: req.Method, Path: req.URL.Path, header: req.Header.Clone()})
		r.mu.Unlock()
		route := srv.Routes[req.URL.Path]
		reply := route.Actual
		if kind == "preflight" {
			reply = route.Preflight
		}
		if reply == nil {
			w.Header()["Content-Type"] = nil // no sniffed type: only hand-picked headers
			w.WriteHeader(http.StatusNotFound)
			return
		}
		for _, line := range reply.Headers {
			k, v, _ := strings.Cut(r.Expand(line), ":")
			w.Header().Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header()["Content-Type"] = nil
		}
		w.WriteHeader(reply.Status)
		_, _ = w.Write([]byte(r.Expand(reply.Body)))
	})
}
