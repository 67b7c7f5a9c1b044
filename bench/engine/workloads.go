package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	jub0bs "github.com/jub0bs/cors"
	rscors "github.com/rs/cors"

	"github.com/corsgate/corsgate/internal/policy"
)

// Config is one CORS policy, written once and translated to each peer's
// configuration type, so that the three are configured identically.
type Config struct {
	Origins     []string
	Methods     []string
	Headers     []string
	Expose      []string
	MaxAge      int
	Credentials bool
}

// Base is the policy of the load benchmark: one exact origin,
// echoed, with credentials.
func Base() Config {
	return Config{
		Origins:     []string{"https://app.example.com"},
		Methods:     []string{"GET", "POST", "PUT"},
		Headers:     []string{"Authorization", "Content-Type"},
		Expose:      []string{"X-Request-Id"},
		MaxAge:      600,
		Credentials: true,
	}
}

// MaxExactOrigins is the largest allowOrigins list corsgate compiles (the
// Gateway API limit, policy.maxListLen). The issue asks for a policy of 100
// exact origins; corsgate refuses that, so every peer gets 64.
const MaxExactOrigins = 64

// ManyOrigins returns n exact origins; the request uses ManyOriginsPick.
func ManyOrigins(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "https://app" + strconv.Itoa(i) + ".example.com"
	}
	return out
}

// ManyOriginsPick is the origin the 64-origin workload requests: one from
// the middle of the list, neither the best nor the worst case for a
// linear scan.
var ManyOriginsPick = "https://app" + strconv.Itoa(MaxExactOrigins/2) + ".example.com"

// Workload is one benchmark case: a policy and a request.
type Workload struct {
	Name   string
	Config Config
	Method string
	Header http.Header
	// WantAllowed says whether the origin is allowed; Verify checks that
	// every peer agrees.
	WantAllowed bool
}

// HostileACRH is 16 KiB of commas and spaces.
var HostileACRH = strings.Repeat(", ", 8<<10)

// Workloads returns the eight workloads of the issue, in order.
func Workloads() []Workload {
	base := Base()
	many := Base()
	many.Origins = ManyOrigins(MaxExactOrigins)
	wild := Base()
	wild.Origins = []string{"https://*.example.com", "https://*.example.org"}
	star := Base()
	star.Headers = []string{"*"}
	pre := func(origin, acrh string) http.Header {
		h := http.Header{
			"Origin":                        {origin},
			"Access-Control-Request-Method": {"PUT"},
		}
		if acrh != "" {
			h["Access-Control-Request-Headers"] = []string{acrh}
		}
		return h
	}
	return []Workload{
		{"1-preflight", base, "OPTIONS", pre("https://app.example.com", "authorization"), true},
		{"2-get-allowed", base, "GET", http.Header{"Origin": {"https://app.example.com"}}, true},
		{"3-get-denied", base, "GET", http.Header{"Origin": {"https://evil.example.net"}}, false},
		{"4-preflight-64-origins", many, "OPTIONS", pre(ManyOriginsPick, "authorization"), true},
		{"5-preflight-wildcard", wild, "OPTIONS", pre("https://tenant42.example.com", "authorization"), true},
		{"6-preflight-hostile-acrh", base, "OPTIONS", pre("https://app.example.com", HostileACRH), false},
		{"7-no-origin", base, "GET", http.Header{}, false},
		{"8-preflight-star-headers", star, "OPTIONS",
			pre("https://app.example.com", "authorization,content-type,x-api-key,x-request-id,x-trace-id"), true},
	}
}

// Request builds the workload's request. Benchmarks reuse it.
func (w Workload) Request() *http.Request {
	r := httptest.NewRequest(w.Method, "http://api.example.com/api/items", nil)
	r.Header = w.Header.Clone()
	return r
}

// Noop is the handler every peer wraps.
var Noop = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})

// Peers lists the peers in the order tables show them; corsgate first.
var Peers = []string{"corsgate", "rscors", "jub0bs"}

// Handler returns peer's middleware configured with c around next.
func Handler(peer string, c Config, next http.Handler) (http.Handler, error) {
	switch peer {
	case "corsgate":
		p, _, err := policy.Compile(policy.Spec{
			AllowOrigins:     c.Origins,
			AllowMethods:     c.Methods,
			AllowHeaders:     c.Headers,
			ExposeHeaders:    c.Expose,
			AllowCredentials: c.Credentials,
			MaxAge:           int32(c.MaxAge),
		})
		if err != nil {
			return nil, err
		}
		return &Gate{Policy: p, Next: next}, nil
	case "rscors":
		return rscors.New(rscors.Options{
			AllowedOrigins:   c.Origins,
			AllowedMethods:   c.Methods,
			AllowedHeaders:   c.Headers,
			ExposedHeaders:   c.Expose,
			MaxAge:           c.MaxAge,
			AllowCredentials: c.Credentials,
		}).Handler(next), nil
	case "jub0bs":
		m, err := jub0bs.NewMiddleware(jub0bs.Config{
			Origins:         c.Origins,
			Methods:         c.Methods,
			RequestHeaders:  c.Headers,
			ResponseHeaders: c.Expose,
			MaxAgeInSeconds: c.MaxAge,
			Credentialed:    c.Credentials,
		})
		if err != nil {
			return nil, err
		}
		return m.Wrap(next), nil
	}
	return nil, fmt.Errorf("unknown peer %q; use one of %v", peer, Peers)
}

// Discard is a ResponseWriter that keeps only the header map and status,
// so benchmarks count the middleware's allocations, not a recorder's.
type Discard struct {
	H      http.Header
	Status int
}

// NewDiscard returns a Discard with an empty header map.
func NewDiscard() *Discard { return &Discard{H: make(http.Header, 16)} }

// Reset clears the header map and status for the next request.
func (d *Discard) Reset() { clear(d.H); d.Status = 0 }

// Header returns the response header map.
func (d *Discard) Header() http.Header { return d.H }

// Write discards b.
func (d *Discard) Write(b []byte) (int, error) {
	if d.Status == 0 {
		d.Status = http.StatusOK
	}
	return len(b), nil
}

// WriteString discards s without converting it, as net/http's own
// ResponseWriter does (it implements io.StringWriter).
func (d *Discard) WriteString(s string) (int, error) {
	_, _ = d.Write(nil)
	return len(s), nil
}

// WriteHeader records the status.
func (d *Discard) WriteHeader(code int) {
	if d.Status == 0 {
		d.Status = code
	}
}

var _ http.ResponseWriter = (*Discard)(nil)
