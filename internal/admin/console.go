package admin

// The web console: three server-rendered pages (html/template, so every
// configuration value, origin, hostname and path is escaped) and two JSON
// endpoints, all read-only and without any network access of their own.
//
//	GET /                the overview: listeners, routes, effective CORS
//	                     policies with their sources, lint findings, reloads
//	GET /playground      explain a fetch() (query: url, origin, method,
//	                     headers, body, credentials, browser)
//	GET /traffic         denied CORS requests of the last minutes
//	GET /api/explain     the playground's explanation as JSON
//	GET /api/traffic     the traffic panel as JSON
//	GET /static/...      the stylesheet and the one script (embedded)
//
// The pages work without JavaScript; the script only adds the playground's
// "send from this browser" button. Pages carry a Content-Security-Policy
// that allows scripts and styles from the console itself and nothing
// inline, so a value that slipped through escaping still could not run.

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/corsgate/corsgate/internal/lint"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// consolePolicy is the pages' Content-Security-Policy. connect-src is open
// because the playground's live request goes to the gateway, another
// origin, by design.
const consolePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src *; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// trafficTop bounds the traffic rows a page or /api/traffic shows.
const trafficTop = 50

type console struct {
	h     *handler
	pages map[string]*template.Template
	// lint runs the linter on the configuration files; nil: no findings.
	lint    func() *lint.Report
	traffic *Traffic

	lintMu  sync.Mutex
	lintKey uint64 // Status().Attempts when lintRep was made
	lintRep *lint.Report
}

// pageNames are the templates/NAME.html pages, each rendered inside
// templates/layout.html.
var pageNames = []string{"overview", "playground", "traffic"}

func newConsole(h *handler, o Options) *console {
	c := &console{h: h, lint: o.Lint, traffic: o.Traffic, pages: map[string]*template.Template{}}
	base := template.Must(template.New("layout.html").Funcs(template.FuncMap{
		"utc":  formatTime,
		"join": strings.Join,
		"inc":  func(i int) int { return i + 1 },
		"list": func(v ...string) []string { return v },
	}).ParseFS(templateFS, "templates/layout.html", "templates/policy.html"))
	for _, name := range pageNames {
		c.pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return c
}

func (c *console) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", c.overview)
	mux.HandleFunc("GET /playground", c.playground)
	mux.HandleFunc("GET /traffic", c.trafficPage)
	mux.HandleFunc("GET /api/explain", c.apiExplain)
	mux.HandleFunc("GET /api/traffic", c.apiTraffic)
	static, _ := fs.Sub(staticFS, "static") // a constant path: cannot fail
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
}

// chrome is what the layout needs on every page.
type chrome struct {
	Title string
	Page  string // "overview", "playground" or "traffic": the current nav entry
	// Generation is the configuration being served (0: none loaded).
	Generation uint64
	Now        time.Time
}

func (c *console) chrome(page, title string) chrome {
	ch := chrome{Title: title, Page: page, Now: time.Now().UTC()}
	if s := c.h.snapshot(); s != nil {
		ch.Generation = s.Generation
	}
	return ch
}

// render executes page with data into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (c *console) render(w http.ResponseWriter, status int, page string, data any) {
	var b bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&b, "layout.html", data); err != nil {
		c.h.log.Error("console: render page", slog.String("page", page), slog.Any("error", err))
		text(w, http.StatusInternalServerError, "internal error: the console page could not be rendered; see the log")
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", consolePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// lintReport runs the linter once per load attempt (the files may have
// changed in between) and caches the report.
func (c *console) lintReport() *lint.Report {
	if c.lint == nil {
		return nil
	}
	var key uint64
	if c.h.status != nil {
		key = c.h.status.Status().Attempts
	}
	c.lintMu.Lock()
	defer c.lintMu.Unlock()
	if c.lintRep == nil || key != c.lintKey || key == 0 {
		c.lintRep, c.lintKey = c.lint(), key
	}
	return c.lintRep
}

type trafficPage struct {
	chrome
	Enabled bool
	TrafficSummary
	// Max is the largest per-minute count, for the meters.
	Max uint64
	// Actual counts the denied requests that were not preflights.
	Actual uint64
	// RowLimit is how many pairs one minute itemises.
	RowLimit int
	// Explain maps a row index to its playground link ("" when the route
	// is gone).
	Explain []string
}

func (c *console) trafficPage(w http.ResponseWriter, _ *http.Request) {
	p := trafficPage{chrome: c.chrome("traffic", "Denied CORS requests"), Enabled: c.traffic != nil, RowLimit: maxTrafficRows}
	if c.traffic != nil {
		p.TrafficSummary = c.traffic.Summary(trafficTop)
		p.Actual = p.Requests - p.Preflights
		for _, m := range p.PerMinute {
			p.Max = max(p.Max, m.Requests)
		}
		links := routeLinks(c.h.snapshot())
		for _, r := range p.Rows {
			p.Explain = append(p.Explain, links.forOrigin(r.Route, r.Origin))
		}
	}
	c.render(w, http.StatusOK, "traffic", p)
}

func (c *console) apiTraffic(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if c.traffic == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "denied requests are not recorded by this process"})
		return
	}
	writeJSON(w, http.StatusOK, c.traffic.Summary(trafficTop))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
