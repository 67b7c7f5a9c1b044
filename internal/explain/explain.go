// Package explain plays a browser's fetch() against a configuration
// without any network: every request the browser would send is answered by
// [dataplane.Explain] (the gateway's own code), and internal/fetch applies
// the browser's rules to the answers. `corsgate explain` and the admin
// console's playground both call [Fetch], so they cannot disagree.
package explain

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/ir"
)

// Exchange is one request the browser sends and the gateway's answer to it.
type Exchange struct {
	Kind    fetch.Kind            `json:"kind"`
	Method  string                `json:"method"`
	URL     string                `json:"url"`
	Header  http.Header           `json:"header"`
	Gateway dataplane.Explanation `json:"gateway"`
	// Placeholder is set when the browser was handed a placeholder
	// backend response (200, no headers of its own) plus corsgate's.
	Placeholder bool `json:"placeholderUpstream,omitempty"`
	// Note, on a preflight, says when the request it announces is routed
	// to another rule than the preflight itself.
	Note string `json:"note,omitempty"`
}

// Report is the result of [Fetch]: every exchange in order and the
// browser's verdict.
type Report struct {
	Exchanges []Exchange    `json:"exchanges"`
	Result    *fetch.Result `json:"result"`
}

// Fetch plays req in browser b against snap, as received on the listener
// for port. A forwarded request is judged on a placeholder 200 response
// from the backend with no headers of its own. The error is fetch's (a URL
// or Origin that no browser would send) or a network error (no listener on
// the port); the report then holds the exchanges so far.
func Fetch(snap *ir.Snapshot, port int, req fetch.Request, b fetch.Browser) (*Report, error) {
	rep := &Report{}
	res, err := fetch.Run(req, b, func(out fetch.Outgoing) (fetch.Response, error) {
		x, resp, err := exchange(snap, port, out)
		rep.Exchanges = append(rep.Exchanges, x)
		return resp, err
	})
	rep.Result = res
	return rep, err
}

// NoListenerError is [Port]'s error when the configuration has no listener
// on the port.
type NoListenerError struct {
	Port int
	// Have lists the listeners there are, as "8080 (HTTP)".
	Have []string
}

func (e *NoListenerError) Error() string {
	if len(e.Have) == 0 {
		return "the configuration has no listener; add a Gateway with a listener"
	}
	return fmt.Sprintf("no listener on port %d; the configuration listens on %s: put that port in the URL",
		e.Port, strings.Join(e.Have, ", "))
}

// Port is the listener port for rawURL: override when it is not 0, else
// the URL's port, else the scheme's default. It must exist in snap; if not
// the error is a *NoListenerError.
func Port(snap *ir.Snapshot, rawURL string, override int) (int, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("url %q: give an absolute http:// or https:// URL", rawURL)
	}
	port := override
	if port == 0 {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
		if p := u.Port(); p != "" {
			if port, err = strconv.Atoi(p); err != nil {
				return 0, fmt.Errorf("url %q: bad port", rawURL)
			}
		}
	}
	nl := &NoListenerError{Port: port}
	if snap != nil {
		for _, l := range snap.Listeners {
			if l.Port == port {
				return port, nil
			}
			nl.Have = append(nl.Have, fmt.Sprintf("%d (%s)", l.Port, l.Protocol))
		}
	}
	return 0, nl
}

// exchange asks the data plane about one request the browser sends and
// builds the response the browser gets.
func exchange(snap *ir.Snapshot, port int, out fetch.Outgoing) (Exchange, fetch.Response, error) {
	x := Exchange{Kind: out.Kind, Method: out.Method, URL: out.URL, Header: out.Header}
	u, err := url.Parse(out.URL)
	if err != nil {
		return x, fetch.Response{}, err
	}
	r := &http.Request{
		Method: out.Method, Host: u.Host, Header: out.Header.Clone(), Body: http.NoBody,
		URL: &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
	}
	x.Gateway = dataplane.Explain(snap, port, r)
	if out.Kind == fetch.Preflight {
		x.Note = announcedRoute(snap, port, r, &x.Gateway)
	}
	resp := fetch.Response{Status: x.Gateway.Status, Header: x.Gateway.Header.Clone()}
	switch x.Gateway.Action {
	case dataplane.ActionNoListener:
		return x, resp, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("no corsgate listener on port %d", port)}
	case dataplane.ActionForward:
		x.Placeholder, resp.Status = true, http.StatusOK
	}
	return x, resp, nil
}

// announcedRoute says, for a preflight, when the request it announces
// (its Access-Control-Request-Method, without the preflight headers) is
// routed to another rule, so that another policy would judge it.
func announcedRoute(snap *ir.Snapshot, port int, pre *http.Request, e *dataplane.Explanation) string {
	method := pre.Header.Get("Access-Control-Request-Method")
	r := pre.Clone(pre.Context())
	r.Method = method
	for _, h := range []string{"Access-Control-Request-Method", "Access-Control-Request-Headers", "Access-Control-Request-Private-Network"} {
		r.Header.Del(h)
	}
	actual := dataplane.Explain(snap, port, r)
	if actual.Route == nil || e.Route == nil || actual.Route.ID == e.Route.ID {
		return ""
	}
	policy := "none"
	if actual.Policy != nil {
		policy = "the one at " + actual.Policy.Source
	}
	return fmt.Sprintf("the %s request itself is routed to %s (%s), whose CORS policy is %s, not this one: the preflight and the request it announces are judged by different rules; give both rules the same CORS setting (for example one CORSPolicy on the HTTPRoute instead of a rule filter)",
		method, actual.Route.ID, actual.Route.Source, policy)
}
