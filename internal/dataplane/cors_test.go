package dataplane

import (
	"net"
	"net/http"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

const (
	appOrigin  = "https://app.example.com"
	evilOrigin = "https://evil.example.net"
)

var (
	// strictSpec is the policy most CORS tests use.
	strictSpec = policy.Spec{
		AllowOrigins:        []string{appOrigin},
		AllowMethods:        []string{"GET", "PUT"},
		AllowHeaders:        []string{"X-Token"},
		ExposeHeaders:       []string{"X-Trace"},
		AllowCredentials:    true,
		MaxAge:              600,
		AllowPrivateNetwork: true,
	}
	preflightVary = []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
	// strictVary is the preflight Vary of strictSpec, which allows private
	// network access and so also varies on that request header.
	strictVary = append(preflightVary[:3:3], "Access-Control-Request-Private-Network")
	// actualAllowed is what an allowed actual request gets with strictSpec.
	actualAllowed = map[string]string{
		policy.HeaderAllowOrigin:      appOrigin,
		policy.HeaderAllowCredentials: "true",
		policy.HeaderExposeHeaders:    "X-Trace",
	}
)

// upstreamMischief answers by path, the way badly behaved upstreams do.
func upstreamMischief(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch path.Base(r.URL.Path) {
	case "vary-ae":
		h.Set("Vary", "Accept-Encoding")
	case "vary-origin":
		h.Set("Vary", "origin")
	case "vary-star":
		h.Set("Vary", "*")
	case "acao-star":
		h.Set("Access-Control-Allow-Origin", "*")
		h.Add("Access-Control-Allow-Origin", "https://upstream.test")
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "X-Upstream")
		h.Set("Access-Control-Allow-Methods", "DELETE")
		h.Set("Access-Control-Max-Age", "86400")
	}
	_, _ = w.Write([]byte("ok"))
}

type preflightCase struct {
	name        string
	hdr         map[string]string
	status      int
	cors        map[string]string
	vary        []string
	body        string
	wantForward bool
}

// preflightCases are the OPTIONS requests TestCORSPreflight sends to a route
// with strictSpec.
var preflightCases = []preflightCase{
	{
		name:   "allowed",
		hdr:    map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-token"},
		status: 204,
		cors: map[string]string{
			policy.HeaderAllowOrigin:      appOrigin,
			policy.HeaderAllowCredentials: "true",
			policy.HeaderAllowMethods:     "GET, PUT",
			policy.HeaderAllowHeaders:     "X-Token",
			policy.HeaderExposeHeaders:    "X-Trace",
			policy.HeaderMaxAge:           "600",
		},
		vary: strictVary,
	},
	{
		name: "allowed with private network access",
		hdr: map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Private-Network": "true"},
		status: 204,
		cors: map[string]string{
			policy.HeaderAllowOrigin:         appOrigin,
			policy.HeaderAllowCredentials:    "true",
			policy.HeaderAllowMethods:        "GET, PUT",
			policy.HeaderAllowHeaders:        "X-Token",
			policy.HeaderExposeHeaders:       "X-Trace",
			policy.HeaderMaxAge:              "600",
			policy.HeaderAllowPrivateNetwork: "true",
		},
		vary: strictVary,
	},
	{
		name:   "origin not allowed",
		hdr:    map[string]string{"Origin": evilOrigin, "Access-Control-Request-Method": "PUT"},
		status: 403,
		vary:   strictVary,
		body:   "CORS preflight denied: origin not allowed by the CORS policy\n",
	},
	{
		name:   "malformed origin",
		hdr:    map[string]string{"Origin": "https://exa mple.com", "Access-Control-Request-Method": "PUT"},
		status: 403,
		vary:   strictVary,
		body:   "CORS preflight denied: " + policy.ReasonInvalidOrigin.String() + "\n",
	},
	{
		name:        "OPTIONS without Access-Control-Request-Method is forwarded",
		hdr:         map[string]string{"Origin": appOrigin},
		status:      200,
		cors:        actualAllowed,
		vary:        []string{"Origin"},
		body:        "ok",
		wantForward: true,
	},
}

func TestCORSPreflight(t *testing.T) {
	b := newTestBackend(t, "b", upstreamMischief)
	g := startGateway(t, simpleSnapshot(b.irBackend(), compileCORS(t, strictSpec)), Options{})
	c := newClient(t)
	for _, tt := range preflightCases {
		t.Run(tt.name, func(t *testing.T) {
			before := b.hits.Load()
			res := do(t, c, "OPTIONS", baseURL(t, g, 1)+"/api", tt.hdr)
			if res.status != tt.status || res.body != tt.body {
				t.Errorf("got %d %q, want %d %q", res.status, res.body, tt.status, tt.body)
			}
			checkCORSHeaders(t, res.header, tt.cors)
			checkVary(t, res.header, tt.vary...)
			if tt.status == 403 {
				if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q, want text/plain", ct)
				}
			}
			if reached := b.hits.Load() > before; reached != tt.wantForward {
				t.Errorf("backend reached = %v, want %v", reached, tt.wantForward)
			}
		})
	}
}

func TestCORSActualRequests(t *testing.T) {
	b := newTestBackend(t, "b", upstreamMischief)
	g := startGateway(t, simpleSnapshot(b.irBackend(), compileCORS(t, strictSpec)), Options{})
	c := newClient(t)

	tests := []struct {
		name   string
		path   string
		origin string
		cors   map[string]string
		vary   []string
	}{
		{"allowed, upstream Vary merged", "/vary-ae", appOrigin, actualAllowed, []string{"Accept-Encoding", "Origin"}},
		{"allowed, upstream already varies on origin", "/vary-origin", appOrigin, actualAllowed, []string{"Origin"}},
		{"allowed, upstream Vary star kept", "/vary-star", appOrigin, actualAllowed, []string{"*"}},
		{"allowed, upstream CORS headers replaced", "/acao-star", appOrigin, actualAllowed, []string{"Origin"}},
		{"disallowed origin forwarded without CORS", "/plain", evilOrigin, nil, []string{"Origin"}},
		{"disallowed origin, upstream CORS headers stripped", "/acao-star", evilOrigin, nil, []string{"Origin"}},
		{"disallowed origin, upstream Vary merged", "/vary-ae", evilOrigin, nil, []string{"Accept-Encoding", "Origin"}},
		{"no Origin still varies", "/plain", "", nil, []string{"Origin"}},
		{"malformed origin", "/plain", "https://app.example.com/x y", nil, []string{"Origin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.hits.Load()
			hdr := map[string]string{}
			if tt.origin != "" {
				hdr["Origin"] = tt.origin
			}
			res := do(t, c, "GET", baseURL(t, g, 1)+tt.path, hdr)
			if res.status != 200 || res.body != "ok" {
				t.Errorf("got %d %q, want 200 \"ok\"", res.status, res.body)
			}
			checkCORSHeaders(t, res.header, tt.cors)
			checkVary(t, res.header, tt.vary...)
			if b.hits.Load() != before+1 {
				t.Error("backend not reached")
			}
		})
	}
}

func TestCORSPolicyPrecedenceAndFilters(t *testing.T) {
	b := newTestBackend(t, "b", upstreamMischief)
	ruleSpec := policy.Spec{AllowOrigins: []string{"https://rule.test"}}
	refSpec := policy.Spec{AllowOrigins: []string{"https://ref.test"}}

	withRef := newRoute("with-ref", prefixMatch("/ref"), weighted(b.irBackend(), 1))
	withRef.CORS = compileCORS(t, ruleSpec)
	withRef.Backends[0].CORS = compileCORS(t, refSpec)
	// A header filter that tries to open CORS up must not get past the gateway.
	filtered := newRoute("filtered", prefixMatch("/filtered"), weighted(b.irBackend(), 1))
	filtered.CORS = compileCORS(t, ruleSpec)
	filtered.ResponseHeaders = &ir.HeaderModifier{Set: []ir.HeaderValue{
		{Name: "Access-Control-Allow-Origin", Value: "*"}, {Name: "Access-Control-Allow-Credentials", Value: "true"}}}
	plain := newRoute("plain", prefixMatch("/"), weighted(b.irBackend(), 1))
	static := newRoute("static", prefixMatch("/static"), weighted(b.irBackend(), 1))
	static.CORS = compileCORS(t, policy.Spec{AllowOrigins: []string{"*"}})
	g := startGateway(t, newSnapshot(1, httpListener(1, vhost("", withRef, filtered, static, plain))), Options{})
	c := newClient(t)

	tests := []struct {
		name, method, path, origin string
		acrm                       string
		status                     int
		cors                       map[string]string
		vary                       []string
		forwarded                  bool
		rawACAO                    []string // when set: the exact ACAO lines, checked apart
	}{
		{"backendRef policy wins", "GET", "/ref", "https://ref.test", "", 200,
			map[string]string{policy.HeaderAllowOrigin: "https://ref.test"}, []string{"Origin"}, true, nil},
		{"rule policy not used", "GET", "/ref", "https://rule.test", "", 200, nil, []string{"Origin"}, true, nil},
		{"backendRef policy answers preflight", "OPTIONS", "/ref", "https://ref.test", "GET", 204,
			map[string]string{policy.HeaderAllowOrigin: "https://ref.test", policy.HeaderMaxAge: "5"}, preflightVary, false, nil},
		{"filter cannot inject for a disallowed origin", "GET", "/filtered", evilOrigin, "", 200, nil, []string{"Origin"}, true, nil},
		{"filter cannot override an allowed origin", "GET", "/filtered", "https://rule.test", "", 200,
			map[string]string{policy.HeaderAllowOrigin: "https://rule.test"}, []string{"Origin"}, true, nil},
		{"no policy: preflight forwarded untouched", "OPTIONS", "/acao-star", appOrigin, "GET", 200,
			map[string]string{
				policy.HeaderAllowCredentials: "true",
				policy.HeaderExposeHeaders:    "X-Upstream",
				policy.HeaderAllowMethods:     "DELETE",
				policy.HeaderMaxAge:           "86400",
			}, nil, true, []string{"*", "https://upstream.test"}},
		{"static star policy needs no Vary", "GET", "/static", "", "", 200,
			map[string]string{policy.HeaderAllowOrigin: "*"}, nil, true, nil},
		{"static star policy replaces the upstream's", "GET", "/static/acao-star", appOrigin, "", 200,
			map[string]string{policy.HeaderAllowOrigin: "*"}, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.hits.Load()
			hdr := map[string]string{"Origin": tt.origin}
			if tt.acrm != "" {
				hdr["Access-Control-Request-Method"] = tt.acrm
			}
			res := do(t, c, tt.method, baseURL(t, g, 1)+tt.path, hdr)
			if res.status != tt.status {
				t.Errorf("status %d, want %d", res.status, tt.status)
			}
			if tt.rawACAO != nil {
				if got := res.header.Values(policy.HeaderAllowOrigin); !slices.Equal(got, tt.rawACAO) {
					t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.rawACAO)
				}
				res.header.Del(policy.HeaderAllowOrigin)
			}
			checkCORSHeaders(t, res.header, tt.cors)
			checkVary(t, res.header, tt.vary...)
			if reached := b.hits.Load() > before; reached != tt.forwarded {
				t.Errorf("backend reached = %v, want %v", reached, tt.forwarded)
			}
		})
	}
}

// TestCORSOnGatewayErrors: errors the gateway makes itself stay readable by
// allowed origins and vary on Origin for everyone.
func TestCORSOnGatewayErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	_ = ln.Close()
	slow := newTestBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	cors := compileCORS(t, strictSpec)
	mk := func(id, path string, wbs ...*ir.WeightedBackend) *ir.Route {
		r := newRoute(id, prefixMatch(path), wbs...)
		r.CORS = cors
		return r
	}
	invalid := mk("invalid", "/invalid")
	invalid.Invalid = "backendRef test/gone not found: create it or fix the reference"
	snap := newSnapshot(1, httpListener(1, vhost("",
		mk("closed", "/closed", weighted(irBackend("closed", ir.Endpoint{Network: "tcp", Address: closedAddr, Host: closedAddr}), 1)),
		mk("empty", "/empty", weighted(irBackend("empty"), 1)),
		mk("slow", "/slow", weighted(slow.irBackend(), 1)),
		invalid,
	)))
	g := startGateway(t, snap, Options{UpstreamResponseHeaderTimeout: 200 * time.Millisecond})
	c := newClient(t)

	statuses := map[string]int{"/closed": 502, "/empty": 503, "/slow": 504, "/invalid": 500}
	for path, status := range statuses {
		for _, origin := range []string{appOrigin, evilOrigin} {
			res := do(t, c, "GET", baseURL(t, g, 1)+path, map[string]string{"Origin": origin})
			if res.status != status || res.body == "" {
				t.Errorf("%s from %s: %d %q, want %d with a text body", path, origin, res.status, res.body, status)
			}
			want := map[string]string(nil)
			if origin == appOrigin {
				want = actualAllowed
			}
			checkCORSHeaders(t, res.header, want)
			checkVary(t, res.header, "Origin")
		}
		// A preflight is answered even when the backend is down.
		res := do(t, c, "OPTIONS", baseURL(t, g, 1)+path, map[string]string{
			"Origin": appOrigin, "Access-Control-Request-Method": "PUT"})
		if res.status != 204 {
			t.Errorf("preflight %s: status %d, want 204", path, res.status)
		}
	}
}

// TestCORSPreflightRoutedByRequestMethod: a rule that matches only PUT
// still answers the preflight for that PUT, rather than a 404 or the
// catch-all backend.
func TestCORSPreflightRoutedByRequestMethod(t *testing.T) {
	putB := newTestBackend(t, "put", nil)
	catchB := newTestBackend(t, "catch", nil)
	put := newRoute("put", ir.Match{PathType: ir.PathPrefix, Path: "/items", Method: "PUT"}, weighted(putB.irBackend(), 1))
	put.CORS = compileCORS(t, policy.Spec{AllowOrigins: []string{appOrigin}, AllowMethods: []string{"PUT"}})
	putOnly := newRoute("put-only", ir.Match{PathType: ir.PathPrefix, Path: "/only", Method: "PUT"}, weighted(putB.irBackend(), 1))
	putOnly.CORS = put.CORS
	snap := newSnapshot(1,
		httpListener(1, vhost("", put, newRoute("catch", prefixMatch("/"), weighted(catchB.irBackend(), 1)))),
		httpListener(2, vhost("", putOnly)))
	g := startGateway(t, snap, Options{})
	c := newClient(t)

	tests := []struct {
		name      string
		port      int
		path      string
		acrm      string
		status    int
		acao      string
		reachedBy *testBackend
	}{
		{"preflight for PUT answered by the PUT rule", 1, "/items", "PUT", 204, appOrigin, nil},
		{"preflight for DELETE goes to the catch-all", 1, "/items", "DELETE", 200, "", catchB},
		{"preflight for PUT where OPTIONS has no route", 2, "/only", "PUT", 204, appOrigin, nil},
		{"preflight for GET where no route matches", 2, "/only", "GET", 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := putB.hits.Load() + catchB.hits.Load()
			var catchBefore int64
			if tt.reachedBy != nil {
				catchBefore = tt.reachedBy.hits.Load()
			}
			res := do(t, c, "OPTIONS", baseURL(t, g, tt.port)+tt.path, map[string]string{
				"Origin": appOrigin, "Access-Control-Request-Method": tt.acrm})
			if res.status != tt.status || res.header.Get(policy.HeaderAllowOrigin) != tt.acao {
				t.Errorf("got %d ACAO %q, want %d %q", res.status, res.header.Get(policy.HeaderAllowOrigin), tt.status, tt.acao)
			}
			after := putB.hits.Load() + catchB.hits.Load()
			switch {
			case tt.reachedBy == nil && after != before:
				t.Error("a backend was reached; the preflight must be answered by the gateway")
			case tt.reachedBy != nil && tt.reachedBy.hits.Load() != catchBefore+1:
				t.Errorf("backend %s not reached", tt.reachedBy.name)
			}
		})
	}
}
