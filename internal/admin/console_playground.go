package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/corsgate/corsgate/internal/explain"
	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/probe"
)

// Bounds of the playground's input: it is an operator's tool, not a place
// to post megabytes.
const (
	maxPlayURL         = 2048
	maxPlayOrigin      = 1024
	maxPlayMethod      = 64
	maxPlayHeaders     = 8 << 10
	maxPlayHeaderLines = 50
	maxPlayBody        = 8 << 10
)

// playInput is the playground form as submitted (query parameters url,
// origin, method, headers, body, credentials, browser).
type playInput struct {
	URL     string `json:"url"`
	Origin  string `json:"origin"`
	Method  string `json:"method"`
	Headers string `json:"headers"` // "Name: value" lines
	// Body is sent as a string; empty means no body.
	Body        string `json:"body"`
	Credentials string `json:"credentials"`
	Browser     string `json:"browser"`
}

// readPlayInput reads the form, defaulting the origin to the console's own
// (pageOrigin), the credentials mode to fetch()'s default and the browser to
// Chromium.
func readPlayInput(q url.Values, pageOrigin string) playInput {
	in := playInput{
		URL: strings.TrimSpace(q.Get("url")), Origin: strings.TrimSpace(q.Get("origin")),
		Method: strings.TrimSpace(q.Get("method")), Headers: q.Get("headers"), Body: q.Get("body"),
		Credentials: q.Get("credentials"), Browser: q.Get("browser"),
	}
	if in.Origin == "" {
		in.Origin = pageOrigin
	}
	if in.Credentials == "" {
		in.Credentials = fetch.SameOrigin.String()
	}
	if in.Browser == "" {
		in.Browser = fetch.Chromium.String()
	}
	return in
}

// request turns the form into the fetch() call it describes, as `corsgate
// explain` turns its flags into one.
func (in *playInput) request() (fetch.Request, fetch.Browser, error) {
	var req fetch.Request
	switch {
	case in.URL == "":
		return req, 0, errors.New("give the URL to fetch, such as one of the routes' URLs")
	case len(in.URL) > maxPlayURL:
		return req, 0, fmt.Errorf("the URL is over %d bytes", maxPlayURL)
	case in.Origin == "":
		return req, 0, errors.New("give the origin of the calling page, such as https://app.example.com")
	case len(in.Origin) > maxPlayOrigin:
		return req, 0, fmt.Errorf("the origin is over %d bytes", maxPlayOrigin)
	case len(in.Method) > maxPlayMethod:
		return req, 0, fmt.Errorf("the method is over %d bytes", maxPlayMethod)
	case len(in.Headers) > maxPlayHeaders:
		return req, 0, fmt.Errorf("the headers are over %d bytes", maxPlayHeaders)
	case len(in.Body) > maxPlayBody:
		return req, 0, fmt.Errorf("the body is over %d bytes", maxPlayBody)
	}
	req = fetch.Request{URL: in.URL, Origin: in.Origin, Method: in.Method, Header: http.Header{}, Body: in.Body != ""}
	if req.Method == "" && req.Body {
		req.Method = http.MethodPost
	}
	lines := 0
	for line := range strings.Lines(in.Headers) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if lines++; lines > maxPlayHeaderLines {
			return req, 0, fmt.Errorf("more than %d header lines", maxPlayHeaderLines)
		}
		name, value, err := probe.ParseHeader(line)
		if err != nil {
			return req, 0, err
		}
		req.Header.Add(name, value)
	}
	var err error
	if req.Credentials, err = fetch.ParseCredentials(in.Credentials); err != nil {
		return req, 0, err
	}
	b, err := fetch.ParseBrowser(in.Browser)
	return req, b, err
}

// playResult is what the playground shows and /api/explain returns.
type playResult struct {
	Request playInput `json:"request"`
	// Port is the listener the URL's port selects.
	Port int `json:"port"`
	*explain.Report
	// NetworkError is set when the browser would see a network error
	// rather than a response (no listener answers); Result then holds the
	// steps up to it and the verdict is blocked.
	NetworkError string `json:"networkError,omitempty"`
}

// play explains in against snap. The error is the input's (400).
func play(snap *ir.Snapshot, in playInput) (*playResult, error) {
	req, browser, err := in.request()
	if err != nil {
		return nil, err
	}
	port, err := explain.Port(snap, in.URL, 0)
	if err != nil {
		return nil, err
	}
	rep, err := explain.Fetch(snap, port, req, browser)
	if rep.Result == nil { // the URL or origin is not one a browser sends
		return nil, err
	}
	res := &playResult{Request: in, Port: port, Report: rep}
	if err != nil {
		res.NetworkError = err.Error()
	}
	return res, nil
}

// pageOrigin is the console's own origin as the browser sees it: the
// origin a live request from the page carries.
func pageOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

type playgroundPage struct {
	chrome
	In         playInput
	Submitted  bool
	PageOrigin string
	// URLs are the routes' example URLs, for the URL field's suggestions.
	URLs []string
	Err  string
	Res  *playResult
}

func (c *console) playground(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := playgroundPage{chrome: c.chrome("playground", "Playground"), PageOrigin: pageOrigin(r),
		Submitted: q.Has("url")}
	p.In = readPlayInput(q, p.PageOrigin)
	snap := c.h.snapshot()
	for _, e := range routeLinks(snap) {
		p.URLs = append(p.URLs, e.url)
	}
	p.URLs = dedupeSorted(p.URLs)
	status := http.StatusOK
	switch {
	case !p.Submitted:
	case snap == nil:
		p.Err, status = "no configuration is loaded yet, so there is nothing to explain", http.StatusServiceUnavailable
	default:
		res, err := play(snap, p.In)
		if err != nil {
			p.Err, status = err.Error(), http.StatusBadRequest
		}
		p.Res = res
	}
	c.render(w, status, "playground", p)
}

func (c *console) apiExplain(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	snap := c.h.snapshot()
	if snap == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no configuration is loaded yet"})
		return
	}
	res, err := play(snap, readPlayInput(r.URL.Query(), pageOrigin(r)))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func dedupeSorted(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
