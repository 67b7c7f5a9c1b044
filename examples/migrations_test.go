package examples

// Migration examples, run end to end: each test copies an example
// directory, moves its ports to free loopback ports, starts real loopback
// backends, runs `corsgate run -c DIR` in-process and asserts complete
// responses: status, every CORS header (present with its value, or
// absent), Vary and the body.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/internal/testutil"
	"github.com/corsgate/corsgate/internal/testutil/inproc"
)

// migCopy copies example's YAML files into a temp dir, replacing each
// whole number key of ports by its value.
func migCopy(t *testing.T, example string, ports map[int]int) string {
	t.Helper()
	return testutil.CopyWithPorts(t, example, testutil.YAMLFiles(t, example, "."), ports)
}

// migCase is one request and the complete response it must get. In want,
// "" means the header must be absent.
type migCase struct {
	name   string
	method string
	path   string
	origin string
	acrm   string // Access-Control-Request-Method, for preflights
	acrh   string // Access-Control-Request-Headers
	status int
	want   map[string]string
	body   string // substring of the body
}

// CORS response headers every case checks: unset in want means absent.
var migCORSHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
}

func migCheck(t *testing.T, base string, client *http.Client, cases []migCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, base+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{"Origin": c.origin, "Access-Control-Request-Method": c.acrm, "Access-Control-Request-Headers": c.acrh} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d; body %q", resp.StatusCode, c.status, body)
			}
			for _, h := range migCORSHeaders {
				if _, set := c.want[h]; !set {
					c.want[h] = ""
				}
			}
			for h, v := range c.want {
				if got := strings.Join(resp.Header.Values(h), ", "); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
			if !strings.Contains(string(body), c.body) {
				t.Errorf("body %q lacks %q", body, c.body)
			}
		})
	}
}

const (
	migPreflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	migDenied        = "not allowed"
)

// TestMigrationFSMPipy serves examples/fsm-pipy: the cors-policy
// PluginConfigs with exact, prefix and regex origins, maxAge 24h and 1m30s.
func TestMigrationFSMPipy(t *testing.T) {
	gw := testutil.FreePort(t)
	dir := migCopy(t, "fsm-pipy", map[int]int{8080: gw, 9080: testutil.NamedBackend(t, "pipy-ok"), 9081: testutil.NamedBackend(t, "httpbin")})
	stderr := inproc.Run(t, dir)
	for _, w := range []string{
		`spec.config.allowOrigins[2].regex: FSM (pipy) tests "http://b.*.com" anywhere in the origin and so lets in http://b.com.evil.example`,
		`spec.allowOrigins[0].prefix: "http://www.test.com": this prefix also admits "http://www.test.com.evil.net"`,
	} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("startup output lacks %q:\n%s", w, stderr)
		}
	}
	pipyPreflight := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods": "POST, GET, PATCH, DELETE", "Access-Control-Allow-Headers": "X-Foo-Bar-1",
			"Access-Control-Expose-Headers": "Content-Encoding, Kuma-Revision",
			"Access-Control-Max-Age":        "86400", "Vary": migPreflightVary,
		}
	}
	denied := func() map[string]string { return map[string]string{"Vary": migPreflightVary} }
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), http.DefaultClient, []migCase{
		{"exact origin preflight, maxAge 24h", "OPTIONS", "/pipy-ok/items", "http://www.aaa.com", "PATCH", "x-foo-bar-1", 204, pipyPreflight("http://www.aaa.com"), ""},
		{"prefix origin preflight", "OPTIONS", "/pipy-ok/items", "http://www.test.com:8443", "DELETE", "", 204, pipyPreflight("http://www.test.com:8443"), ""},
		// The literal prefix keeps FSM's meaning (and corsgate warned).
		{"prefix admits a longer host as in FSM", "OPTIONS", "/pipy-ok/items", "http://www.test.com.cn", "DELETE", "", 204, pipyPreflight("http://www.test.com.cn"), ""},
		{"regex origin preflight", "OPTIONS", "/pipy-ok/items", "http://bob.com", "POST", "", 204, pipyPreflight("http://bob.com"), ""},
		{"regex look-alike denied", "OPTIONS", "/pipy-ok/items", "http://b.com.evil.example", "POST", "", 403, denied(), migDenied},
		{"actual request", "GET", "/pipy-ok/items", "http://www.aaa.com", "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": "http://www.aaa.com", "Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers": "Content-Encoding, Kuma-Revision", "Vary": "Origin", "Content-Type": "application/json",
		}, `"service":"pipy-ok"`},
		{"maxAge 1m30s sends 90", "OPTIONS", "/httpbin/anything", "http://www.aaa.com", "PUT", "", 204, map[string]string{
			"Access-Control-Allow-Origin": "http://www.aaa.com", "Access-Control-Allow-Methods": "GET, PUT",
			"Access-Control-Max-Age": "90", "Vary": migPreflightVary,
		}, ""},
		{"other service, other policy", "OPTIONS", "/httpbin/anything", "http://www.test.com", "PUT", "", 403, denied(), migDenied},
	})
}

// TestMigrationIstioASM serves examples/istio-asm: the bookinfo details
// VirtualService with a corsPolicy for a frontend on another port.
func TestMigrationIstioASM(t *testing.T) {
	gw := testutil.FreePort(t)
	front := testutil.Serve(t, http.FileServer(http.Dir("istio-asm/frontend")), nil)
	dir := migCopy(t, "istio-asm", map[int]int{8080: gw, 8081: front, 9080: testutil.NamedBackend(t, "details"), 9081: testutil.NamedBackend(t, "productpage")})
	inproc.Run(t, dir)
	origin := "http://localhost:" + strconv.Itoa(front)
	resp, err := http.Get(origin + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "/details/0") {
		t.Errorf("the frontend page does not call /details/0:\n%s", page)
	}
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), http.DefaultClient, []migCase{
		{"frontend preflight", "OPTIONS", "/details/0", origin, "POST", "x-custom-header", 204, map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET, POST",
			"Access-Control-Allow-Headers": "X-Custom-Header", "Access-Control-Expose-Headers": "X-Request-Id",
			"Access-Control-Max-Age": "86400", "Vary": migPreflightVary,
		}, ""},
		{"frontend GET", "GET", "/details/0", origin, "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "X-Request-Id", "Vary": "Origin",
		}, `"service":"details"`},
		{"other port denied", "OPTIONS", "/details/0", "http://localhost:9999", "POST", "", 403, map[string]string{"Vary": migPreflightVary}, migDenied},
		{"productpage has no CORS policy", "GET", "/productpage", origin, "", "", 200, map[string]string{}, `"service":"productpage"`},
	})
}

// TestMigrationKubeAPIServer serves examples/kube-apiserver in front of an
// HTTPS stand-in API server whose certificate a CA made here signs. The
// stand-in answers CORS the way kube-apiserver does (regex matched
// anywhere in the origin); corsgate's own answer must win.
func TestMigrationKubeAPIServer(t *testing.T) {
	ca := testutil.NewCA(t, "test cluster CA")
	api := testutil.KubeAPIServer(t, ca.ServerTLS(t, "127.0.0.1"))
	gw := testutil.FreePort(t)
	dir := migCopy(t, "kube-apiserver", map[int]int{8001: gw, 6443: api})
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-root-ca.crt, namespace: kube-system}\ndata:\n  ca.crt: " + strconv.Quote(string(ca.PEM)) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "ca.yaml"), []byte(cm), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := inproc.Run(t, dir)
	if w := `kube-apiserver matches "https://dashboard\\.example\\.com" anywhere in the origin and so lets in https://dashboard.example.com.evil.example; corsgate matches the whole origin and refuses it`; !strings.Contains(stderr.String(), w) {
		t.Errorf("startup output lacks %q:\n%s", w, stderr)
	}
	allowed := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods":  "POST, GET, OPTIONS, PUT, DELETE, PATCH",
			"Access-Control-Allow-Headers":  "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, X-Requested-With, If-Modified-Since",
			"Access-Control-Expose-Headers": "Date", "Access-Control-Max-Age": "5", "Vary": migPreflightVary,
		}
	}
	denied := map[string]string{"Vary": migPreflightVary}
	const dash, lookalike = "https://dashboard.example.com", "https://dashboard.example.com.evil.example"
	migCheck(t, "http://127.0.0.1:"+strconv.Itoa(gw), http.DefaultClient, []migCase{
		{"dashboard preflight (unanchored pattern)", "OPTIONS", "/api/v1/namespaces/default/pods", dash, "DELETE", "authorization", 204, allowed(dash), ""},
		{"dashboard GET over HTTPS upstream", "GET", "/api", dash, "", "", 200, map[string]string{
			"Access-Control-Allow-Origin": dash, "Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": "Date",
		}, `"tls":true`},
		{"look-alike preflight denied", "OPTIONS", "/api", lookalike, "DELETE", "", 403, denied, migDenied},
		{"look-alike GET: upstream's CORS headers removed", "GET", "/api", lookalike, "", "", 200, map[string]string{}, `"kind":"APIVersions"`},
		{"anchored pattern", "OPTIONS", "/api", "http://localhost:8000", "GET", "", 204, allowed("http://localhost:8000"), ""},
		{"anchored pattern, other port", "OPTIONS", "/api", "http://localhost:8080", "GET", "", 403, denied, migDenied},
		{"documented idiom, any scheme and port", "OPTIONS", "/api", "http://127.0.0.1:3000", "PUT", "", 204, allowed("http://127.0.0.1:3000"), ""},
		{"documented idiom, look-alike", "OPTIONS", "/api", "https://127.0.0.1.evil.example", "PUT", "", 403, denied, migDenied},
	})
}
