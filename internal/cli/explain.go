package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/explain"
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

type explainReport struct {
	Config    explainConfig      `json:"config"`
	Exchanges []explain.Exchange `json:"exchanges"`
	Result    *fetch.Result      `json:"result"`
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
	port, err := explain.Port(snap, rawURL, f.listener)
	var nl *explain.NoListenerError
	if errors.As(err, &nl) && len(nl.Have) > 0 {
		return fmt.Errorf("%w or pass --listener PORT", err)
	}
	if err != nil {
		return err
	}
	x, err := explain.Fetch(snap, port, fetchRequest(&o), o.Browser)
	if err != nil {
		return err
	}
	res := x.Result
	rep := &explainReport{Config: explainConfig{Paths: f.configs, Warnings: warnings}, Exchanges: x.Exchanges, Result: res}
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
