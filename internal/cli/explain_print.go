package cli

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/explain"
	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/policy"
)

// writeExplanation prints the browser's steps as check does, with the
// gateway's explanation of each request after the request itself.
func writeExplanation(w io.Writer, rep *explainReport) {
	r := rep.Result
	for _, s := range r.Steps {
		switch s.Check {
		case fetch.CheckSent:
			fmt.Fprintf(w, "\n[%d] %s %s\n", s.Request, s.Kind, s.Text)
			writeHeader(w, "      > ", s.Header)
			if i := s.Request - 1; i >= 0 && i < len(rep.Exchanges) {
				writeGateway(w, &rep.Exchanges[i])
			}
		case fetch.CheckReceived:
			text := s.Text
			if i := s.Request - 1; i >= 0 && i < len(rep.Exchanges) && rep.Exchanges[i].Placeholder {
				text += " (placeholder backend response with corsgate's headers)"
			}
			fmt.Fprintf(w, "    browser received %s\n", text)
		default:
			indent := "    "
			if s.Request == 0 {
				indent = ""
			}
			fmt.Fprintf(w, "%s%s %s\n", indent, s.Outcome, s.Text)
		}
	}
	fmt.Fprintln(w)
	writeVerdict(w, r)
}

// row prints one "label  text" line of the gateway section.
func row(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "      %-9s %s\n", label, fmt.Sprintf(format, args...))
}

func writeGateway(w io.Writer, x *explain.Exchange) {
	e := &x.Gateway
	fmt.Fprintln(w, "    corsgate:")
	if e.Action == dataplane.ActionRefused {
		writeAnswer(w, e, "refused before routing")
		return
	}
	if e.Listener != nil {
		row(w, "listener", "port %d, %s (%s)", e.Port, e.Listener.Protocol, strings.Join(e.Listener.Names, ", "))
	}
	writeTried(w, e)
	if rt := e.Route; rt != nil {
		rule := "rule " + strconv.Itoa(rt.RuleIndex)
		if rt.RuleName != "" {
			rule += " " + strconv.Quote(rt.RuleName)
		}
		row(w, "route", "%s/%s %s, match %s (%s)", rt.Namespace, rt.Name, rule, rt.Match, rt.Source)
		if e.RoutedByMethod != "" {
			row(w, "", "routed as %s, the method of Access-Control-Request-Method: the OPTIONS request itself matches no route with a CORS policy", e.RoutedByMethod)
		}
	}
	writePolicy(w, e)
	if x.Note != "" {
		row(w, "note", "%s", x.Note)
	}
	switch e.Action {
	case dataplane.ActionNotFound:
		writeAnswer(w, e, "no route matches")
	case dataplane.ActionPreflight:
		writeAnswer(w, e, "the preflight is answered here, never forwarded")
	case dataplane.ActionLocalError:
		writeAnswer(w, e, "not forwarded")
	case dataplane.ActionForward:
		writeForward(w, e)
	}
}

// writeTried lists the routes tried, per virtual host, in precedence order.
func writeTried(w io.Writer, e *dataplane.Explanation) {
	for _, h := range e.VirtualHosts {
		if !h.Matches || len(h.Tried) == 0 {
			continue
		}
		name := strconv.Quote(h.Hostname)
		if h.Hostname == "" {
			name = "(any host)"
		}
		row(w, "tried", "virtual host %s for host %s, in precedence order:", name, e.Host)
		for _, c := range h.Tried {
			verdict := "no: " + c.Why
			if c.Matched {
				verdict = "MATCH"
			}
			fmt.Fprintf(w, "                %-7s %s  %s (%s): %s\n", c.Method, c.RouteID, c.Match, c.Source, verdict)
		}
	}
}

func writePolicy(w io.Writer, e *dataplane.Explanation) {
	p := e.Policy
	if p == nil {
		if e.Route != nil || e.Action == dataplane.ActionNotFound {
			row(w, "policy", "none: corsgate adds no CORS headers, and the backend's own pass through")
		}
		return
	}
	from := map[string]string{
		"rule":       "the route rule's effective policy",
		"backendRef": "the backendRef's own policy, which beats the rule's",
		"fallback":   "the Gateway's policy for requests that match no route",
	}[p.From]
	row(w, "policy", "%s, defined at %s", from, p.Source)
	for i, c := range p.Chain {
		label := ""
		if i == 0 {
			label = "chain"
		}
		row(w, label, "%s", c)
	}
	for i, c := range p.Overridden {
		label := ""
		if i == 0 {
			label = "overrides"
		}
		row(w, label, "%s", c)
	}
	if d := e.Decision; d != nil {
		kind := "actual request"
		if d.Preflight {
			kind = "preflight"
		}
		text := kind + ": " + d.ReasonText
		if d.Forward {
			text += "; unmatchedPreflights Forward: passed to the backend"
		}
		row(w, "decision", "%s", text)
	}
}

func writeAnswer(w io.Writer, e *dataplane.Explanation, why string) {
	row(w, "answer", "%d %s from corsgate: %s", e.Status, http.StatusText(e.Status), why)
	writeHeader(w, "        < ", e.Header)
	if e.Body != "" {
		fmt.Fprintf(w, "        < (body) %s\n", e.Body)
	}
}

func writeForward(w io.Writer, e *dataplane.Explanation) {
	if b := e.Backend; b != nil {
		row(w, "forwards", "to Backend %s (%s)", b.ID, strings.Join(b.Endpoints, ", "))
	}
	if n := usableBackends(e.Backends); n > 1 {
		var parts []string
		for _, b := range e.Backends {
			if b.Usable {
				parts = append(parts, fmt.Sprintf("%s weight %d", b.ID, b.Weight))
			}
		}
		row(w, "", "picked at random by weight among %s; shown for the first", strings.Join(parts, ", "))
	}
	if len(e.Removes) > 0 {
		row(w, "removes", "from the backend's response: %s", removedText(e.Removes))
	}
	if len(e.Header) == 0 {
		row(w, "adds", "nothing: the backend's response passes as it is")
		return
	}
	row(w, "adds", "to the backend's response (status and other headers are the backend's):")
	writeHeader(w, "        < ", e.Header)
}

func usableBackends(list []dataplane.BackendInfo) int {
	n := 0
	for _, b := range list {
		if b.Usable {
			n++
		}
	}
	return n
}

// removedText lists removed headers, naming every Access-Control-* header
// at once when all of them are.
func removedText(names []string) string {
	var cors, other []string
	for _, n := range names {
		if strings.HasPrefix(n, "Access-Control-") {
			cors = append(cors, n)
		} else {
			other = append(other, n)
		}
	}
	if len(cors) == len(policy.ResponseHeaderNames) {
		return strings.Join(append([]string{"every Access-Control-* header"}, other...), ", ")
	}
	return strings.Join(names, ", ")
}
