package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/dataplane"
	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/probe"
)

type explainFlags struct {
	checkFlags
	configs  []string
	listener int
}

func newExplainCmd(_ *globalFlags) *cobra.Command {
	f := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain -c PATH URL --origin ORIGIN",
		Short: "Show which listener, route and CORS policy answer a browser's fetch(), and what it gets",
		Long: `Explain answers "which of my policies won?" without any network. It plays
the browser's fetch() from ORIGIN like check, but instead of sending each
request it asks corsgate's data plane, loaded with the configuration at PATH,
what it would do: the listener, the routes tried in precedence order, the
route, the CORS policy with its file:line and precedence chain, the engine's
decision, and the exact status and headers corsgate writes, or that it
forwards to a backend and which CORS headers it adds to the backend's
response. The browser's verdict for those responses follows, from the same
rules as check. A forwarded request is judged on a placeholder 200 response
from the backend with no headers of its own.

The URL's port chooses the listener (80 or 443 when it has none); use
--listener when a load balancer in front maps ports.

Exit status: 0 allowed, 1 blocked, 2 could not run (bad flags, a
configuration with errors, no listener for the port).`,
		Example: `  corsgate explain -c gateway/ http://127.0.0.1:8080/pets/1 --origin https://example.com -X PUT \
      --content-type application/json --credentials include
  corsgate explain -c gateway/ https://api.example.com/items --origin https://app.example.com --listener 8443 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.configs, "config", "c", nil, "config file or directory of *.yaml (repeatable; required)")
	fl.StringVar(&f.origin, "origin", "", "origin of the calling page, as the browser sends it (https://app.example) or null (required)")
	fl.StringVarP(&f.method, "method", "X", "", "request method (default GET, or POST with --data)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "request header 'Name: value' set by the script (repeatable)")
	fl.StringVar(&f.credentials, "credentials", "same-origin", "fetch() credentials mode: omit, same-origin or include")
	fl.StringVar(&f.contentType, "content-type", "", "Content-Type of the request (a string body defaults to text/plain;charset=UTF-8)")
	fl.StringVar(&f.data, "data", "", "request body, sent as a string")
	fl.StringVar(&f.browser, "browser", "chromium", "whose rules to apply: chromium, firefox or fetch-spec")
	fl.IntVar(&f.listener, "listener", 0, "port of the corsgate listener that receives the request (default: the URL's port)")
	fl.BoolVar(&f.json, "json", false, "print the explanation as JSON")
	_ = cmd.MarkFlagRequired("origin")
	return cmd
}

// explainExchange is one request the browser sends and the gateway's
// answer to it.
type explainExchange struct {
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

type explainReport struct {
	Config    explainConfig     `json:"config"`
	Exchanges []explainExchange `json:"exchanges"`
	Result    *fetch.Result     `json:"result"`
}

type explainConfig struct {
	Paths    []string `json:"paths"`
	Warnings []string `json:"warnings,omitempty"`
}

func runExplain(cmd *cobra.Command, f *explainFlags, rawURL string) error {
	if len(f.configs) == 0 {
		return fmt.Errorf("give at least one -c PATH")
	}
	o, err := f.options(rawURL, cmd.Flags().Changed("data"))
	if err != nil {
		return err
	}
	snap, warnings, err := loadForExplain(f.configs)
	if err != nil {
		return err
	}
	port, err := explainPort(snap, rawURL, f.listener)
	if err != nil {
		return err
	}
	rep := &explainReport{Config: explainConfig{Paths: f.configs, Warnings: warnings}}
	res, err := fetch.Run(fetchRequest(&o), o.Browser, func(out fetch.Outgoing) (fetch.Response, error) {
		x, resp, err := explainOne(snap, port, out)
		rep.Exchanges = append(rep.Exchanges, x)
		return resp, err
	})
	if err != nil {
		return err
	}
	rep.Result = res
	if f.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, warn := range warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "config warning: %s\n", warn)
		}
		writeExplanation(cmd.OutOrStdout(), rep)
	}
	if res.Verdict != fetch.Allowed {
		return exitError{1}
	}
	return nil
}

// loadForExplain loads and translates the configuration as run does; a
// configuration with errors is refused, as run refuses it.
func loadForExplain(paths []string) (*ir.Snapshot, []string, error) {
	res, problems := config.Load(paths)
	snap, tp := config.Translate(res, config.Options{})
	problems = append(problems, tp...)
	problems.Sort()
	if errs := problems.Errors(); len(errs) > 0 {
		return nil, nil, fmt.Errorf("the configuration has errors, so corsgate run would refuse it (corsgate lint explains each):\n%s", errs.Error())
	}
	var warnings []string
	for _, p := range problems.Warnings() {
		warnings = append(warnings, p.Error())
	}
	return snap, warnings, nil
}

// explainPort is the listener port for rawURL: --listener, else the URL's
// port, else the scheme's default. It must exist in snap.
func explainPort(snap *ir.Snapshot, rawURL string, override int) (int, error) {
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
	var have []string
	for _, l := range snap.Listeners {
		if l.Port == port {
			return port, nil
		}
		have = append(have, fmt.Sprintf("%d (%s)", l.Port, l.Protocol))
	}
	if len(have) == 0 {
		return 0, fmt.Errorf("the configuration has no listener; add a Gateway with a listener")
	}
	return 0, fmt.Errorf("no listener on port %d; the configuration listens on %s: put that port in the URL or pass --listener PORT",
		port, strings.Join(have, ", "))
}

// fetchRequest is the fetch() call the flags describe (as check builds it).
func fetchRequest(o *probe.Options) fetch.Request {
	h := o.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if o.ContentType != "" {
		h.Set("Content-Type", o.ContentType)
	}
	m := o.Method
	if m == "" && o.HasData {
		m = http.MethodPost
	}
	return fetch.Request{URL: o.URL, Origin: o.Origin, Method: m, Header: h, Body: o.HasData, Credentials: o.Credentials}
}

// explainOne asks the data plane about one request the browser sends and
// builds the response the browser gets.
func explainOne(snap *ir.Snapshot, port int, out fetch.Outgoing) (explainExchange, fetch.Response, error) {
	x := explainExchange{Kind: out.Kind, Method: out.Method, URL: out.URL, Header: out.Header}
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
