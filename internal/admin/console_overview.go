package admin

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/lint"
	"github.com/corsgate/corsgate/internal/source"
)

type overviewPage struct {
	chrome
	Snap   *ir.Snapshot
	Reload *reloadView
	// Listeners mirror Snap.Listeners with what the page adds.
	Listeners []listenerView
	Lint      *lint.Report
	LintOn    bool
	// Denied is the traffic panel's total over the window; nil when not
	// recorded.
	Denied *TrafficSummary
}

// reloadView is the load status, with the last failure shown only while
// it is the latest attempt.
type reloadView struct {
	source.Status
	// Failing is true when the last attempt was rejected: the previous
	// generation keeps serving.
	Failing bool
}

type listenerView struct {
	*ir.Listener
	Hosts []hostView
}

type hostView struct {
	// Name is the hostname, or "any host".
	Name   string
	Routes []routeView
}

type routeView struct {
	*ir.Route
	// Try is the playground link for a request this route matches.
	Try string
}

func (c *console) overview(w http.ResponseWriter, _ *http.Request) {
	p := overviewPage{chrome: c.chrome("overview", "Overview"), Snap: c.h.snapshot(), LintOn: c.lint != nil}
	if c.h.status != nil {
		st := c.h.status.Status()
		p.Reload = &reloadView{Status: st, Failing: st.LastResult == "failure"}
	}
	if p.Snap != nil {
		for _, l := range p.Snap.Listeners {
			p.Listeners = append(p.Listeners, listenerViewOf(l))
		}
	}
	p.Lint = c.lintReport()
	if c.traffic != nil {
		s := c.traffic.Summary(3)
		p.Denied = &s
	}
	status := http.StatusOK
	if p.Snap == nil {
		status = http.StatusServiceUnavailable
	}
	c.render(w, status, "overview", p)
}

func listenerViewOf(l *ir.Listener) listenerView {
	lv := listenerView{Listener: l}
	for _, vh := range l.Hosts {
		hv := hostView{Name: vh.Hostname}
		if hv.Name == "" {
			hv.Name = "any host"
		}
		for _, rt := range vh.Routes {
			hv.Routes = append(hv.Routes, routeView{Route: rt, Try: tryLink(exampleURL(l, vh.Hostname, &rt.Match), "", &rt.Match)})
		}
		lv.Hosts = append(lv.Hosts, hv)
	}
	return lv
}

// exampleURL is a URL a browser would use to reach a route matching m on
// the virtual host hostname of l: the host itself (a wildcard's "*" made
// "www"; for any host, the address the listener binds, or 127.0.0.1), the
// listener's port, the match's path ("/" for a regex) and its exact query
// parameters.
func exampleURL(l *ir.Listener, hostname string, m *ir.Match) string {
	host := hostname
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		host = "www." + rest
	}
	if host == "" {
		host, _, _ = net.SplitHostPort(l.Address)
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
	}
	u := url.URL{Scheme: "http", Host: host, Path: "/"}
	if l.Protocol == ir.ProtocolHTTPS {
		u.Scheme = "https"
	}
	if (u.Scheme == "http" && l.Port != 80) || (u.Scheme == "https" && l.Port != 443) {
		u.Host = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(l.Port))
	}
	if m.PathType != ir.PathRegex && m.Path != "" {
		u.Path = m.Path
	}
	q := url.Values{}
	for _, v := range m.Query {
		if !v.IsRegex {
			q.Add(v.Name, v.Value)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// tryLink is the playground link for rawURL from origin ("": the page's
// own), with the method and exact headers m requires.
func tryLink(rawURL, origin string, m *ir.Match) string {
	q := url.Values{"url": {rawURL}}
	if origin != "" {
		q.Set("origin", origin)
	}
	if m != nil {
		if m.Method != "" {
			q.Set("method", m.Method)
		}
		var hs []string
		for _, h := range m.Headers {
			if !h.IsRegex {
				hs = append(hs, h.Name+": "+h.Value)
			}
		}
		if len(hs) > 0 {
			q.Set("headers", strings.Join(hs, "\n"))
		}
	}
	return "/playground?" + q.Encode()
}

// routeIndex finds a route's example URL by route ID, for the traffic
// panel's links.
type routeIndex map[string]routeExample

type routeExample struct {
	url string
	m   *ir.Match
}

func routeLinks(snap *ir.Snapshot) routeIndex {
	idx := routeIndex{}
	if snap == nil {
		return idx
	}
	for _, l := range snap.Listeners {
		for _, vh := range l.Hosts {
			for _, rt := range vh.Routes {
				if _, ok := idx[rt.ID]; !ok {
					idx[rt.ID] = routeExample{exampleURL(l, vh.Hostname, &rt.Match), &rt.Match}
				}
			}
		}
	}
	return idx
}

// forOrigin is the playground link for a request from origin to route, or
// "" when the route is not in the configuration any more.
func (idx routeIndex) forOrigin(route, origin string) string {
	e, ok := idx[route]
	if !ok {
		return ""
	}
	return tryLink(e.url, origin, e.m)
}
