package dataplane

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// Explain, for `corsgate explain`: what the data plane does with one
// request, without any network. It calls the same functions serve does
// (refuse, findRoute, fallbackCORS, evaluate, answerPreflight, localError,
// modifyResponse, writeText), so it cannot drift from the gateway; the
// step-by-step trace of the routes tried is extra and never decides.

// Action is what the gateway does with a request.
type Action string

const (
	// ActionRefused: refused before routing (CONNECT, a dot segment, ...).
	ActionRefused Action = "refused"
	// ActionNoListener: no listener on the port; nothing answers.
	ActionNoListener Action = "no-listener"
	// ActionNotFound: no route matched; 404 from the gateway.
	ActionNotFound Action = "not-found"
	// ActionPreflight: a CORS preflight answered by the gateway.
	ActionPreflight Action = "preflight"
	// ActionLocalError: the gateway answers an error itself (500, 503).
	ActionLocalError Action = "local-error"
	// ActionForward: passed to a backend; the gateway adds Header to the
	// backend's response.
	ActionForward Action = "forward"
)

// Explanation is the data plane's answer to one request, step by step.
type Explanation struct {
	Port     int           `json:"port"`
	Listener *ListenerInfo `json:"listener,omitempty"`
	// Host is the request host as routing sees it (no port, lower case).
	Host string `json:"host"`
	// VirtualHosts are the listener's hosts in the order they are tried,
	// each with the routes tried on it.
	VirtualHosts []HostTrace `json:"virtualHosts,omitempty"`
	// RoutedByMethod is set when a preflight was routed like the request
	// it announces (Access-Control-Request-Method), because the OPTIONS
	// itself found no route with a CORS policy.
	RoutedByMethod string     `json:"routedByMethod,omitempty"`
	Route          *RouteInfo `json:"route,omitempty"`
	// Backends are the route's backendRefs; Backend is the one explained
	// (the first usable one; with several, the gateway picks at random
	// by weight).
	Backends []BackendInfo `json:"backends,omitempty"`
	Backend  *BackendInfo  `json:"backend,omitempty"`
	Policy   *PolicyInfo   `json:"policy,omitempty"`
	Decision *DecisionInfo `json:"decision,omitempty"`

	Action Action `json:"action"`
	// Status is the status the gateway writes; 0 when it forwards (the
	// backend's status is passed through).
	Status int `json:"status,omitempty"`
	// Header is every header the gateway writes; when it forwards, the
	// headers it adds to a backend response that had none.
	Header http.Header `json:"header"`
	// Removes lists, when it forwards, the headers it deletes from the
	// backend's response before adding its own.
	Removes []string `json:"removes,omitempty"`
	Body    string   `json:"body,omitempty"`
}

// ListenerInfo names a listener.
type ListenerInfo struct {
	Names    []string    `json:"names"`
	Protocol ir.Protocol `json:"protocol"`
	Address  string      `json:"address"`
}

// HostTrace is one virtual host and the routes tried on it.
type HostTrace struct {
	Hostname string      `json:"hostname"` // "" matches any host
	Matches  bool        `json:"matches"`
	Tried    []Candidate `json:"tried,omitempty"`
}

// Candidate is one route tried, in precedence order.
type Candidate struct {
	RouteID string `json:"route"`
	Source  string `json:"source"`
	Match   string `json:"match"`
	Method  string `json:"method"` // the method the match was tried with
	Matched bool   `json:"matched"`
	Why     string `json:"why,omitempty"` // the first part that did not match
	HasCORS bool   `json:"hasCORS"`
}

// RouteInfo describes the route that answers.
type RouteInfo struct {
	ID          string `json:"id"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	RuleIndex   int    `json:"ruleIndex"`
	RuleName    string `json:"ruleName,omitempty"`
	Source      string `json:"source"`
	Match       string `json:"match"`
	VirtualHost string `json:"virtualHost"`
	Invalid     string `json:"invalid,omitempty"`
}

// BackendInfo is one backendRef of the route.
type BackendInfo struct {
	ID        string   `json:"id"`
	Source    string   `json:"source,omitempty"`
	Weight    int      `json:"weight"`
	Usable    bool     `json:"usable"`
	Endpoints []string `json:"endpoints,omitempty"`
	OwnCORS   bool     `json:"ownCORS,omitempty"` // the backendRef has its own policy
}

// PolicyInfo is the CORS policy that applies and where it comes from.
type PolicyInfo struct {
	// From is "backendRef", "rule" or "fallback" (a Gateway or listener
	// policy for requests that match no route).
	From       string      `json:"from"`
	Source     string      `json:"source"`
	Chain      []string    `json:"chain,omitempty"`
	Overridden []string    `json:"overridden,omitempty"`
	Warnings   []string    `json:"warnings,omitempty"`
	Spec       policy.Spec `json:"spec"`
}

// DecisionInfo is the engine's decision.
type DecisionInfo struct {
	Preflight  bool   `json:"preflight"`
	Forward    bool   `json:"forward,omitempty"`
	Allowed    bool   `json:"allowed"`
	Reason     string `json:"reason"`
	ReasonText string `json:"reasonText"`
	Status     int    `json:"status,omitempty"`
}

// Explain says what the gateway serving snap does with r arriving on the
// listener for port. r is a server-side request: r.Host is the Host
// header and r.URL holds the path and query.
func Explain(snap *ir.Snapshot, port int, r *http.Request) Explanation {
	e := Explanation{Port: port, Host: normalizeHost(r.Host), Header: http.Header{}}
	w := &explainRecorder{h: e.Header}
	if status, msg := refuse(r); status != 0 {
		writeText(w, status, msg)
		e.finish(ActionRefused, w)
		return e
	}
	l := listenerFor(snap, port)
	if l == nil {
		e.Action = ActionNoListener
		return e
	}
	e.Listener = &ListenerInfo{Names: l.Names, Protocol: l.Protocol, Address: l.Address}
	route := findRoute(l, e.Host, r)
	e.trace(l, r, r.Method)
	if direct := findRouteFor(l, e.Host, r, r.Method); route != direct {
		e.RoutedByMethod = r.Header.Get(policy.HeaderRequestMethod)
		e.trace(l, r, e.RoutedByMethod)
	}
	if route == nil {
		e.noRoute(l, r, w)
		return e
	}
	e.describeRoute(l, route)
	st := &reqState{route: route, wb: firstUsable(route)}
	st.cors, e.Policy = route.CORS, policyInfo("rule", route.CORS)
	if st.wb != nil && st.wb.CORS != nil {
		st.cors, e.Policy = st.wb.CORS, policyInfo("backendRef", st.wb.CORS)
	}
	if st.cors != nil && st.cors.Policy == nil {
		st.cors, e.Policy = nil, nil
	}
	g := &Gateway{}
	if st.cors != nil {
		evaluate(st.cors, r, &st.dec)
		e.Decision = decisionInfo(&st.dec)
		if st.dec.Preflight && !st.dec.Forward {
			g.answerPreflight(w, st)
			e.finish(ActionPreflight, w)
			return e
		}
	}
	status, msg := 0, ""
	switch {
	case route.Invalid != "":
		status, msg = http.StatusInternalServerError, route.Invalid
	case st.wb == nil:
		status, msg = http.StatusInternalServerError,
			"internal server error: route "+route.ID+" has no backend with a positive weight"
	case st.wb.Invalid != "":
		status, msg = http.StatusInternalServerError, st.wb.Invalid
	case len(st.wb.Backend.Endpoints) == 0:
		status, msg = http.StatusServiceUnavailable, "service unavailable: backend "+st.wb.Backend.ID+" has no endpoints"
	default:
		e.forward(r, st)
		return e
	}
	g.localError(w, st, status, msg)
	e.finish(ActionLocalError, w)
	return e
}

// noRoute mirrors Gateway.noRoute.
func (e *Explanation) noRoute(l *ir.Listener, r *http.Request, w *explainRecorder) {
	var st *reqState
	if c := fallbackCORS(l, e.Host); c != nil {
		st = &reqState{cors: c}
		evaluate(c, r, &st.dec)
		e.Policy, e.Decision = policyInfo("fallback", c), decisionInfo(&st.dec)
	}
	if st != nil && st.dec.Preflight {
		(&Gateway{}).answerPreflight(w, st)
		e.finish(ActionPreflight, w)
		return
	}
	if st != nil {
		setActualHeaders(w.Header(), &st.dec)
		mergeVary(w.Header(), varyOrigin)
	} else {
		w.Header()[hdrVary] = varyOrigin
	}
	writeText(w, http.StatusNotFound, noRouteBody)
	e.finish(ActionNotFound, w)
}

// forward runs the proxy's response step on an empty backend response:
// what remains is what the gateway adds to any backend response.
func (e *Explanation) forward(r *http.Request, st *reqState) {
	e.Action = ActionForward
	res := &http.Response{StatusCode: http.StatusOK, Header: e.Header,
		Request: r.WithContext(context.WithValue(r.Context(), stateKey{}, st))}
	_ = modifyResponse(res)
	if st.cors != nil {
		e.Removes = append(e.Removes, policy.ResponseHeaderNames[:]...)
	}
	for _, m := range []*ir.HeaderModifier{st.route.ResponseHeaders, st.wb.ResponseHeaders} {
		if m != nil {
			e.Removes = append(e.Removes, m.Remove...)
		}
	}
	e.Removes = dedupe(e.Removes)
}

func (e *Explanation) finish(a Action, w *explainRecorder) {
	e.Action, e.Status, e.Body = a, w.status, strings.TrimSuffix(w.body.String(), "\n")
}

func listenerFor(snap *ir.Snapshot, port int) *ir.Listener {
	if snap == nil {
		return nil
	}
	for _, l := range snap.Listeners {
		if l.Port == port {
			return l
		}
	}
	return nil
}

// firstUsable is pickBackend without the dice: the backendRef it returns
// whenever only one is usable, else the first of those it chooses among.
func firstUsable(rt *ir.Route) *ir.WeightedBackend {
	for _, wb := range rt.Backends {
		if usable(wb) {
			return wb
		}
	}
	return nil
}

func (e *Explanation) describeRoute(l *ir.Listener, rt *ir.Route) {
	e.Route = &RouteInfo{
		ID: rt.ID, Namespace: rt.Namespace, Name: rt.Name, RuleIndex: rt.RuleIndex, RuleName: rt.RuleName,
		Source: rt.Source, Match: describeMatch(&rt.Match), Invalid: rt.Invalid,
	}
	for _, vh := range l.Hosts {
		for _, c := range vh.Routes {
			if c == rt && hostMatches(vh.Hostname, e.Host) {
				e.Route.VirtualHost = vh.Hostname
				break
			}
		}
	}
	chosen := firstUsable(rt)
	for _, wb := range rt.Backends {
		if wb == nil {
			continue
		}
		bi := BackendInfo{ID: wb.BackendID, Weight: wb.Weight, Usable: usable(wb), OwnCORS: wb.CORS != nil}
		if wb.Backend != nil {
			bi.Source = wb.Backend.Source
			for _, ep := range wb.Backend.Endpoints {
				bi.Endpoints = append(bi.Endpoints, ep.Network+"://"+ep.Address)
			}
		}
		e.Backends = append(e.Backends, bi)
		if wb == chosen {
			b := bi
			e.Backend = &b
		}
	}
}

// trace records the routes findRouteFor tries with method, up to the
// first match.
func (e *Explanation) trace(l *ir.Listener, r *http.Request, method string) {
	first := e.VirtualHosts == nil
	for i, vh := range l.Hosts {
		if first {
			e.VirtualHosts = append(e.VirtualHosts, HostTrace{Hostname: vh.Hostname, Matches: hostMatches(vh.Hostname, e.Host)})
		}
		ht := &e.VirtualHosts[i]
		if !ht.Matches {
			continue
		}
		for _, rt := range vh.Routes {
			c := Candidate{RouteID: rt.ID, Source: rt.Source, Match: describeMatch(&rt.Match), Method: method,
				Matched: matchRequest(&rt.Match, r, method), HasCORS: hasCORS(rt)}
			if !c.Matched {
				c.Why = mismatch(&rt.Match, r, method)
			}
			ht.Tried = append(ht.Tried, c)
			if c.Matched {
				return
			}
		}
	}
}

// describeMatch renders a match the way the configuration reads.
func describeMatch(m *ir.Match) string {
	t := m.PathType
	if t == "" {
		t = ir.PathPrefix
	}
	parts := []string{string(t) + " " + m.Path}
	if m.Method != "" {
		parts = append(parts, "method "+m.Method)
	}
	for _, h := range m.Headers {
		parts = append(parts, "header "+describeValue(h))
	}
	for _, q := range m.Query {
		parts = append(parts, "query "+describeValue(q))
	}
	return strings.Join(parts, ", ")
}

func describeValue(v ir.ValueMatch) string {
	if v.IsRegex {
		return v.Name + " ~ " + v.Value
	}
	return v.Name + " = " + v.Value
}

// mismatch names the first part of m that r (with method) does not
// match, in the order matchRequest checks them.
func mismatch(m *ir.Match, r *http.Request, method string) string {
	if m.Method != "" && m.Method != method {
		return "method " + method + " is not " + m.Method
	}
	if !matchPath(m, r.URL.Path) {
		return "path " + r.URL.Path + " does not match"
	}
	for i := range m.Headers {
		if h := &m.Headers[i]; !matchHeader(h, r.Header) {
			if len(r.Header[h.Name]) == 0 {
				return "no " + h.Name + " header"
			}
			return "header " + h.Name + " does not match"
		}
	}
	for i := range m.Query {
		q := &m.Query[i]
		if v, ok := queryValue(r.URL.RawQuery, q.Name); !ok || !matchValue(q, v) {
			return "query parameter " + q.Name + " does not match"
		}
	}
	return "does not match"
}

func policyInfo(from string, c *ir.CORS) *PolicyInfo {
	if c == nil {
		return nil
	}
	return &PolicyInfo{From: from, Source: c.Source, Chain: c.Chain, Overridden: c.Overridden,
		Warnings: c.Warnings, Spec: c.Spec}
}

func decisionInfo(d *policy.Decision) *DecisionInfo {
	return &DecisionInfo{Preflight: d.Preflight, Forward: d.Forward, Allowed: d.Allowed,
		Reason: d.Reason.Label(), ReasonText: d.Reason.String(), Status: d.Status}
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0]
	for _, s := range list {
		if k := http.CanonicalHeaderKey(s); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// explainRecorder is the ResponseWriter the gateway's own answer
// functions write into.
type explainRecorder struct {
	h      http.Header
	status int
	body   strings.Builder
}

func (w *explainRecorder) Header() http.Header { return w.h }

func (w *explainRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *explainRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
