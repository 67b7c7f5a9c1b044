package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// scenariosFile holds every browser scenario; see docs/browser-tests.md.
const scenariosFile = "testdata/scenarios.yaml"

// scenario is one named row of testdata/scenarios.yaml: a page on one
// origin makes one fetch() to corsgate and the browser's verdict is checked.
type scenario struct {
	// Name is the subtest name: run it alone with
	// go test ./test/e2e -run 'TestBrowser/NAME'.
	Name string `yaml:"name"`
	// About says in a sentence what the scenario proves.
	About string `yaml:"about"`
	// Page is the origin of the page that calls fetch, without a port
	// (http://app.test); the suite adds the page server's port.
	Page string `yaml:"page"`
	// Fetch is the request the page makes.
	Fetch fetchSpec `yaml:"fetch"`
	// Expect is what the browser must do with it.
	Expect expectation `yaml:"expect"`
	// Then repeats the same fetch from the same page, each time after a
	// pause, with its own expectation (the preflight cache scenarios).
	Then []repeat `yaml:"then"`
}

// fetchSpec is the fetch() call the page makes.
type fetchSpec struct {
	// URL is written without a port; the suite adds the gateway's HTTP or
	// HTTPS port by scheme. Only the path selects the gateway route.
	URL         string            `yaml:"url"`
	Method      string            `yaml:"method"`  // default GET
	Headers     map[string]string `yaml:"headers"` // request headers set by the script
	ContentType string            `yaml:"contentType"`
	Body        string            `yaml:"body"`
	// Credentials is the fetch credentials mode: omit, same-origin (the
	// fetch default) or include.
	Credentials string `yaml:"credentials"`
}

// expectation is the browser verdict a scenario expects.
type expectation struct {
	// Allowed: the fetch promise resolved (false: it rejected with a
	// TypeError because of CORS or the network).
	Allowed bool `yaml:"allowed"`
	// Status the page reads when allowed.
	Status int `yaml:"status"`
	// Preflight: DevTools saw the browser send an OPTIONS preflight.
	Preflight bool `yaml:"preflight"`
	// Readable and Unreadable list response header names (any case) that
	// the script must, or must not, see in response.headers.
	Readable   []string `yaml:"readable"`
	Unreadable []string `yaml:"unreadable"`
	// Redirected: response.redirected is true (a followed redirect).
	Redirected bool `yaml:"redirected"`
	// CORSError is DevTools' corsErrorStatus.corsError for a blocked fetch,
	// for example MissingAllowOriginHeader. Required when not allowed.
	CORSError string `yaml:"corsError"`
	// Console is a substring of the console's CORS error for a blocked
	// fetch. Required when not allowed.
	Console string `yaml:"console"`
}

// repeat is a later run of a scenario's fetch.
type repeat struct {
	After  time.Duration `yaml:"after"`
	Expect expectation   `yaml:"expect"`
}

var (
	nameRE        = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	credentialsOK = []string{"", "omit", "same-origin", "include"}
)

// loadScenarios reads and checks the scenario file strictly: unknown fields,
// duplicate names and incomplete expectations are errors.
func loadScenarios(path string) ([]scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var list []scenario
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: want one YAML document holding a list of scenarios", path)
	}
	var errs []error
	seen := map[string]bool{}
	for i, sc := range list {
		if seen[sc.Name] {
			errs = append(errs, fmt.Errorf("%s: scenario %d: duplicate name %q", path, i, sc.Name))
		}
		seen[sc.Name] = true
		if err := sc.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: scenario %d %q: %w", path, i, sc.Name, err))
		}
	}
	return list, errors.Join(errs...)
}

func (sc *scenario) validate() error {
	var errs []error
	if !nameRE.MatchString(sc.Name) {
		errs = append(errs, fmt.Errorf("name must be lowercase words joined by '-'"))
	}
	if sc.About == "" {
		errs = append(errs, fmt.Errorf("about: say what the scenario proves"))
	}
	if err := checkPortless(sc.Page, false); err != nil {
		errs = append(errs, fmt.Errorf("page: %w", err))
	}
	if err := checkPortless(sc.Fetch.URL, true); err != nil {
		errs = append(errs, fmt.Errorf("fetch.url: %w", err))
	}
	if !slices.Contains(credentialsOK, sc.Fetch.Credentials) {
		errs = append(errs, fmt.Errorf("fetch.credentials: %q is not omit, same-origin or include", sc.Fetch.Credentials))
	}
	errs = append(errs, sc.Expect.validate("expect"))
	for i, r := range sc.Then {
		errs = append(errs, r.Expect.validate("then["+strconv.Itoa(i)+"].expect"))
		if r.After < 0 || r.After > 5*time.Second {
			errs = append(errs, fmt.Errorf("then[%d].after: %v is outside 0s..5s (the suite has a time budget)", i, r.After))
		}
	}
	return errors.Join(errs...)
}

func (e *expectation) validate(field string) error {
	switch {
	case e.Allowed && e.Status == 0:
		return fmt.Errorf("%s.status: required when allowed", field)
	case e.Allowed && (e.CORSError != "" || e.Console != ""):
		return fmt.Errorf("%s: corsError and console are for blocked fetches only", field)
	case !e.Allowed && (e.CORSError == "" || e.Console == ""):
		return fmt.Errorf("%s: a blocked fetch needs corsError and console", field)
	case !e.Allowed && (e.Status != 0 || len(e.Readable) > 0 || e.Redirected):
		return fmt.Errorf("%s: a blocked fetch has no status, headers or redirect to read", field)
	}
	return nil
}

// checkPortless accepts scheme://host, plus a path when withPath is set.
// Ports are chosen at run time, so the data file never has one.
func checkPortless(raw string, withPath bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be http or https", raw)
	case u.Host == "" || u.Port() != "":
		return fmt.Errorf("%q: want a host without a port (the suite adds it)", raw)
	case !withPath && (u.Path != "" || u.RawQuery != ""):
		return fmt.Errorf("%q: an origin has no path", raw)
	case withPath && u.Path == "":
		return fmt.Errorf("%q: want a path (it selects the gateway route)", raw)
	}
	return nil
}

// withPort returns raw with port added to its host.
func withPort(raw string, port int) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err) // checked by loadScenarios
	}
	u.Host = u.Hostname() + ":" + strconv.Itoa(port)
	return u.String()
}

// TestScenarioChecks proves that loadScenarios refuses the mistakes a new
// row is likely to have, so a bad row fails loudly instead of testing
// nothing. It needs no browser.
func TestScenarioChecks(t *testing.T) {
	const good = `
- name: ok
  about: fine
  page: http://app.test
  fetch: {url: http://api.test/basic/x}
  expect: {allowed: true, status: 200}
`
	tests := []struct {
		name, yaml, want string
	}{
		{"valid", good, ""},
		{"unknown field", `[{name: a, about: x, page: "http://app.test", fetch: {url: "http://api.test/x"}, expect: {allowed: true, status: 200, preflite: true}}]`, "preflite"},
		{"duplicate name", good + good, `duplicate name "ok"`},
		{"bad name", `[{name: "Simple GET", about: x, page: "http://app.test", fetch: {url: "http://api.test/x"}, expect: {allowed: true, status: 200}}]`, "lowercase"},
		{"port in page", `[{name: a, about: x, page: "http://app.test:8080", fetch: {url: "http://api.test/x"}, expect: {allowed: true, status: 200}}]`, "without a port"},
		{"no path", `[{name: a, about: x, page: "http://app.test", fetch: {url: "http://api.test"}, expect: {allowed: true, status: 200}}]`, "want a path"},
		{"blocked without console", `[{name: a, about: x, page: "http://app.test", fetch: {url: "http://api.test/x"}, expect: {allowed: false, corsError: MissingAllowOriginHeader}}]`, "needs corsError and console"},
		{"allowed without status", `[{name: a, about: x, page: "http://app.test", fetch: {url: "http://api.test/x"}, expect: {allowed: true}}]`, "status: required"},
		{"bad credentials", `[{name: a, about: x, page: "http://app.test", fetch: {url: "http://api.test/x", credentials: yes}, expect: {allowed: true, status: 200}}]`, "credentials"},
		{"long wait", `[{name: a, about: x, page: "http://app.test", fetch: {url: "http://api.test/x"}, expect: {allowed: true, status: 200}, then: [{after: 1m, expect: {allowed: true, status: 200}}]}]`, "outside 0s..5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadScenarios(path)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := loadScenarios(scenariosFile); err != nil {
		t.Errorf("the suite's own scenario file: %v", err)
	}
}
