package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/probe"
)

type checkFlags struct {
	origin      string
	method      string
	headers     []string
	credentials string
	contentType string
	data        string
	browser     string
	insecure    bool
	cacert      string
	timeout     time.Duration
	json        bool
	verbose     bool
}

func newCheckCmd(_ *globalFlags) *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check URL --origin ORIGIN",
		Short: "Tell whether a browser's fetch() from ORIGIN may read URL, and why",
		Long: `Check acts exactly as a browser's fetch() called by a page at ORIGIN,
against any server: it sends the CORS preflight when the browser would, then
the request, follows redirects the browser's way, and applies the Fetch
standard's checks to every response. It prints each step, a verdict, and for
a blocked request the browser's console message and the fix.

Exit status: 0 allowed, 1 blocked, 2 could not run (bad flags, DNS, TLS,
connection, timeout).`,
		Example: `  corsgate check https://api.example.com/items --origin https://app.example.com
  corsgate check https://api.example.com/items/1 --origin https://app.example.com \
      -X PUT --content-type application/json --data '{"name":"x"}' --credentials include
  corsgate check https://api.example.com/me --origin https://app.example.com \
      -H 'Authorization: Bearer t' --browser firefox --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.origin, "origin", "", "origin of the calling page, as the browser sends it (https://app.example) or null (required)")
	fl.StringVarP(&f.method, "method", "X", "", "request method (default GET, or POST with --data)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "request header 'Name: value' set by the script (repeatable)")
	fl.StringVar(&f.credentials, "credentials", "same-origin", "fetch() credentials mode: omit, same-origin or include")
	fl.StringVar(&f.contentType, "content-type", "", "Content-Type of the request (a string body defaults to text/plain;charset=UTF-8)")
	fl.StringVar(&f.data, "data", "", "request body, sent as a string")
	fl.StringVar(&f.browser, "browser", "chromium", "whose rules to apply: chromium, firefox or fetch-spec")
	fl.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fl.StringVar(&f.cacert, "cacert", "", "PEM file of the CA certificates to trust for HTTPS targets")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "limit for the whole check, every request included")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also print the raw requests and responses (to stderr; in the JSON with --json)")
	_ = cmd.MarkFlagRequired("origin")
	return cmd
}

func runCheck(cmd *cobra.Command, f *checkFlags, url string) error {
	o, err := f.options(url, cmd.Flags().Changed("data"))
	if err != nil {
		return err
	}
	rep, err := probe.Check(cmd.Context(), o)
	if err != nil {
		return err
	}
	if f.json {
		if !f.verbose {
			rep.Exchanges = nil
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		if f.verbose {
			writeExchanges(cmd.ErrOrStderr(), rep.Exchanges)
		}
		writeResult(cmd.OutOrStdout(), rep.Result)
	}
	if rep.Result.Verdict != fetch.Allowed {
		return exitError{1}
	}
	return nil
}

// options turns the flags into a probe description; hasData tells an
// empty --data from none.
func (f *checkFlags) options(url string, hasData bool) (probe.Options, error) {
	o := probe.Options{
		URL: url, Origin: f.origin, Method: f.method, ContentType: f.contentType,
		Data: []byte(f.data), HasData: hasData, Insecure: f.insecure, CACert: f.cacert,
		Timeout: f.timeout, Header: http.Header{},
	}
	for _, h := range f.headers {
		name, value, err := probe.ParseHeader(h)
		if err != nil {
			return o, fmt.Errorf("-H: %w", err)
		}
		o.Header.Add(name, value)
	}
	var err error
	if o.Credentials, err = fetch.ParseCredentials(f.credentials); err != nil {
		return o, fmt.Errorf("--credentials: %w", err)
	}
	if o.Browser, err = fetch.ParseBrowser(f.browser); err != nil {
		return o, fmt.Errorf("--browser: %w", err)
	}
	return o, nil
}

// writeResult prints the steps grouped by request, then the verdict.
func writeResult(w io.Writer, r *fetch.Result) {
	for _, s := range r.Steps {
		switch s.Check {
		case fetch.CheckSent:
			fmt.Fprintf(w, "\n[%d] %s %s\n", s.Request, s.Kind, s.Text)
			writeHeader(w, "      > ", s.Header)
		case fetch.CheckReceived:
			fmt.Fprintf(w, "    received %s\n", s.Text)
			writeHeader(w, "      < ", s.Header)
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

// writeVerdict prints the one-line verdict and, for BLOCKED, the browser's
// console message and the fix; check and explain end their output with it.
func writeVerdict(w io.Writer, r *fetch.Result) {
	if r.Verdict == fetch.Allowed {
		fmt.Fprintf(w, "ALLOWED: fetch() resolves and the script can read the %d response from %s\n", r.Status, r.FinalURL)
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "warning: %s\n", warn)
		}
		return
	}
	fmt.Fprintf(w, "BLOCKED: fetch() rejects with a TypeError; %s:\n", consoleName(r.Browser))
	fmt.Fprintf(w, "  %s\n", r.Failure.Message)
	fmt.Fprintf(w, "fix: %s\n", r.Failure.Fix)
}

func consoleName(b fetch.Browser) string {
	switch b {
	case fetch.Chromium:
		return "Chromium's console says"
	case fetch.Firefox:
		return "Firefox's console says"
	}
	return "in the Fetch standard's terms"
}

func writeHeader(w io.Writer, prefix string, h http.Header) {
	for _, k := range probe.SortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s%s: %s\n", prefix, k, v)
		}
	}
}

// writeExchanges prints the raw requests and responses, curl -v style.
func writeExchanges(w io.Writer, xs []probe.Exchange) {
	for i, x := range xs {
		fmt.Fprintf(w, "* [%d] %s %s\n", i+1, x.Kind, x.URL)
		fmt.Fprintf(w, "> %s\n", x.Request.Line)
		writeHeader(w, "> ", x.Request.Header)
		if x.Request.BodyBytes > 0 {
			fmt.Fprintf(w, "> (%d-byte body)\n", x.Request.BodyBytes)
		}
		fmt.Fprintf(w, "< %s\n", x.Response.Line)
		writeHeader(w, "< ", x.Response.Header)
		fmt.Fprintf(w, "< (%d-byte body)\n", x.Response.BodyBytes)
	}
	if len(xs) > 0 {
		fmt.Fprintln(w, strings.Repeat("-", 8))
	}
}
