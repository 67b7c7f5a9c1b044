package engine

import (
	"net/http"
	"testing"
)

// BenchmarkEngine runs every workload on every peer. Sub-benchmark names
// are w=WORKLOAD/peer=PEER, so one peer is selected with
// -bench 'Engine/w=.*/peer=corsgate$' and benchstat can put peers in columns
// with -col /peer. `make bench-engine` runs one process per peer per round,
// rotating the order.
func BenchmarkEngine(b *testing.B) {
	for _, wl := range Workloads() {
		b.Run("w="+wl.Name, func(b *testing.B) {
			for _, peer := range Peers {
				b.Run("peer="+peer, func(b *testing.B) {
					h, err := Handler(peer, wl.Config, Noop)
					if err != nil {
						b.Fatal(err)
					}
					req := wl.Request()
					w := NewDiscard()
					b.ReportAllocs()
					for b.Loop() {
						w.Reset()
						h.ServeHTTP(w, req)
					}
					if w.Status == 0 && wl.Method == http.MethodOptions {
						b.Fatalf("%s: preflight not answered", peer)
					}
				})
			}
		})
	}
}

// TestPeersAgree checks, before anything is timed, that the three peers
// give the same CORS answer to every workload: the same
// Access-Control-Allow-Origin (allowed or not), a preflight answered
// without reaching the handler, and Vary: Origin on actual requests. Status
// codes of failed preflights differ by design (rs/cors answers 204 without
// CORS headers, the others 403) and are only logged.
func TestPeersAgree(t *testing.T) {
	for _, wl := range Workloads() {
		for _, peer := range Peers {
			reached := false
			next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })
			h, err := Handler(peer, wl.Config, next)
			if err != nil {
				t.Fatalf("%s/%s: %v", wl.Name, peer, err)
			}
			w := NewDiscard()
			h.ServeHTTP(w, wl.Request())
			acao := w.H.Get("Access-Control-Allow-Origin")
			t.Logf("%-26s %-9s status=%3d ACAO=%q ACAH=%.60q Vary=%q", wl.Name, peer, w.Status, acao,
				w.H.Get("Access-Control-Allow-Headers"), w.H.Values("Vary"))
			if allowed := acao != ""; allowed != wl.WantAllowed {
				t.Errorf("%s/%s: allowed = %v, want %v (ACAO %q)", wl.Name, peer, allowed, wl.WantAllowed, acao)
			}
			if allowed := acao != ""; allowed && acao != wl.Header.Get("Origin") {
				t.Errorf("%s/%s: ACAO %q does not echo the origin", wl.Name, peer, acao)
			}
			preflight := wl.Method == http.MethodOptions
			if preflight && reached {
				t.Errorf("%s/%s: preflight reached the handler", wl.Name, peer)
			}
			if !preflight && !reached {
				t.Errorf("%s/%s: actual request did not reach the handler", wl.Name, peer)
			}
			if !preflight && w.H.Get("Vary") != "Origin" {
				t.Errorf("%s/%s: Vary %q, want Origin", wl.Name, peer, w.H.Values("Vary"))
			}
			if wl.Name == "8-preflight-star-headers" && w.H.Get("Access-Control-Allow-Headers") == "" {
				t.Errorf("%s/%s: requested headers not echoed", wl.Name, peer)
			}
		}
	}
}
