package dataplane

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// testBackend is a real upstream on 127.0.0.1 that records what reached it.
// Unless a handler is given it answers 200 with "X-Backend: NAME" and body
// NAME.
type testBackend struct {
	*httptest.Server
	name string
	hits atomic.Int64

	mu   sync.Mutex
	last *http.Request // clone of the last request, body not kept
}

func newTestBackend(t *testing.T, name string, h http.HandlerFunc) *testBackend {
	t.Helper()
	b := &testBackend{name: name}
	b.Server = httptest.NewServer(b.wrap(h))
	t.Cleanup(b.Close)
	return b
}

func (b *testBackend) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		b.mu.Lock()
		b.last = r.Clone(context.Background())
		b.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("X-Backend", b.name)
		_, _ = io.WriteString(w, b.name)
	}
}

func (b *testBackend) lastRequest(t *testing.T) *http.Request {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		t.Fatalf("backend %s was never reached", b.name)
	}
	return b.last
}

func (b *testBackend) endpoint() ir.Endpoint {
	addr := b.Listener.Addr().String()
	return ir.Endpoint{Network: "tcp", Address: addr, Host: addr}
}

// irBackend returns a Backend with ID "test/NAME" and the given endpoints.
func irBackend(name string, eps ...ir.Endpoint) *ir.Backend {
	return &ir.Backend{ID: "test/" + name, Source: "test", Endpoints: eps}
}

func (b *testBackend) irBackend() *ir.Backend { return irBackend(b.name, b.endpoint()) }

func weighted(b *ir.Backend, weight int) *ir.WeightedBackend {
	return &ir.WeightedBackend{Backend: b, BackendID: b.ID, Weight: weight}
}

// newRoute returns a route; TotalWeight is computed from wbs.
func newRoute(id string, m ir.Match, wbs ...*ir.WeightedBackend) *ir.Route {
	r := &ir.Route{ID: id, Namespace: "test", Name: id, Source: "test", Match: m, Backends: wbs}
	for _, wb := range wbs {
		if wb.Weight > 0 {
			r.TotalWeight += wb.Weight
		}
	}
	return r
}

func prefixMatch(p string) ir.Match { return ir.Match{PathType: ir.PathPrefix, Path: p} }

func vhost(name string, routes ...*ir.Route) *ir.VirtualHost {
	return &ir.VirtualHost{Hostname: name, Routes: routes}
}

// httpListener is an HTTP listener on a free 127.0.0.1 port; port is only
// the snapshot's key for it.
func httpListener(port int, hosts ...*ir.VirtualHost) *ir.Listener {
	return &ir.Listener{
		Names:    []string{"test/gw/http"},
		Address:  "127.0.0.1:0",
		Port:     port,
		Protocol: ir.ProtocolHTTP,
		Hosts:    hosts,
	}
}

// newSnapshot collects the backends the routes reference.
func newSnapshot(gen uint64, ls ...*ir.Listener) *ir.Snapshot {
	s := &ir.Snapshot{Generation: gen, CreatedAt: time.Unix(1700000000, 0).UTC(), Listeners: ls}
	seen := map[*ir.Backend]bool{}
	for _, l := range ls {
		for _, vh := range l.Hosts {
			for _, r := range vh.Routes {
				for _, wb := range r.Backends {
					if wb.Backend != nil && !seen[wb.Backend] {
						seen[wb.Backend] = true
						s.Backends = append(s.Backends, wb.Backend)
					}
				}
			}
		}
	}
	sort.Slice(s.Backends, func(i, j int) bool { return s.Backends[i].ID < s.Backends[j].ID })
	return s
}

// simpleSnapshot is one listener (port 1), catch-all host, one route "/"
// to b.
func simpleSnapshot(b *ir.Backend, cors *ir.CORS) *ir.Snapshot {
	r := newRoute("r", prefixMatch("/"), weighted(b, 1))
	r.CORS = cors
	return newSnapshot(1, httpListener(1, vhost("", r)))
}

func compileCORS(t testing.TB, s policy.Spec) *ir.CORS {
	t.Helper()
	p, warns, err := policy.Compile(s)
	if err != nil {
		t.Fatalf("policy.Compile(%+v): %v", s, err)
	}
	c := &ir.CORS{Policy: p, Spec: p.Spec(), Source: "test"}
	for _, w := range warns {
		c.Warnings = append(c.Warnings, w.String())
	}
	return c
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startGateway applies snap to a new gateway and shuts it down at cleanup.
func startGateway(t *testing.T, snap *ir.Snapshot, opts Options) *Gateway {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	g := New(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	if err := g.Apply(snap); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return g
}

func baseURL(t *testing.T, g *Gateway, port int) string {
	t.Helper()
	addr := g.Addr(port)
	if addr == "" {
		t.Fatalf("no listener for port %d", port)
	}
	return "http://" + addr
}

func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{Proxy: nil, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// result is a complete response: status, headers, whole body.
type result struct {
	status int
	header http.Header
	body   string
}

// do sends a request with the given headers ("Host" sets r.Host) and reads
// the whole response.
func do(t *testing.T, c *http.Client, method, url string, hdr map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return result{status: res.StatusCode, header: res.Header, body: string(body)}
}

// listHeaders are compared as sets of tokens (order and spacing free).
var listHeaders = map[string]bool{
	policy.HeaderAllowMethods:  true,
	policy.HeaderAllowHeaders:  true,
	policy.HeaderExposeHeaders: true,
}

// checkCORSHeaders asserts that every Access-Control-* response header is
// exactly as in want (one line each) and that the others are absent.
func checkCORSHeaders(t *testing.T, got http.Header, want map[string]string) {
	t.Helper()
	for _, name := range policy.ResponseHeaderNames {
		w, ok := want[name]
		g := got.Values(name)
		switch {
		case !ok && len(g) > 0:
			t.Errorf("%s = %q, want absent", name, g)
		case ok && len(g) != 1:
			t.Errorf("%s = %q, want exactly one line %q", name, g, w)
		case ok && listHeaders[name]:
			if a, b := tokenSet(g[0]), tokenSet(w); !slices.Equal(a, b) {
				t.Errorf("%s = %q, want the tokens of %q", name, g[0], w)
			}
		case ok && g[0] != w:
			t.Errorf("%s = %q, want %q", name, g[0], w)
		}
	}
}

// checkVary asserts the Vary tokens (all lines, case-insensitive, any order)
// are exactly want, each once.
func checkVary(t *testing.T, got http.Header, want ...string) {
	t.Helper()
	var toks []string
	for _, line := range got.Values("Vary") {
		toks = append(toks, tokenList(line)...)
	}
	sort.Strings(toks)
	w := make([]string, 0, len(want))
	for _, v := range want {
		w = append(w, strings.ToLower(v))
	}
	sort.Strings(w)
	if !slices.Equal(toks, w) {
		t.Errorf("Vary = %q, want the tokens %q each once", got.Values("Vary"), want)
	}
}

func tokenList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

func tokenSet(s string) []string {
	l := tokenList(s)
	sort.Strings(l)
	return slices.Compact(l)
}
