package kube

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/testutil"
)

// TestNoDropsDuringChanges: while routes and policies change under it, a
// route that stays configured answers every request (bounded load: two
// workers, at most 10 s and 5,000 requests each).
func TestNoDropsDuringChanges(t *testing.T) {
	ctx := needCluster(t)
	port := testutil.FreePort(t)
	be := startBackend(t, "steady")
	apply(t, ctx, render(t, gatewayYAML, gwData{"steady", port}))
	apply(t, ctx, render(t, serviceYAML, svcData{Name: "steady", NS: "default", Port: be.port, Ready: true}))
	apply(t, ctx, render(t, routeYAML, routeData{Name: "steady", NS: "default", Gateway: "steady-gw", Path: "/steady", Service: "steady"}))
	r := startReplica(t, "a", "steady", 0)
	url := r.url("http", port, "/steady")
	eventually(t, 10*time.Second, func() error {
		return expectCORS("GET", url, "https://app.example.com", 200, "https://app.example.com")
	})

	var (
		stop     atomic.Bool
		sent     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(10 * time.Second)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000 && !stop.Load() && time.Now().Before(deadline); i++ {
				sent.Add(1)
				if err := expectCORS("GET", url, "https://app.example.com", 200, "https://app.example.com"); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	for i := range 10 {
		extra := apply(t, ctx, render(t, routeYAML, routeData{Name: fmt.Sprintf("churn-%d", i), NS: "default",
			Gateway: "steady-gw", Path: fmt.Sprintf("/churn%d", i), Service: "steady"}))
		pol := apply(t, ctx, render(t, policyYAML, policyData{fmt.Sprintf("churn-%d", i), "Gateway", "steady-gw",
			fmt.Sprintf("https://churn%d.example.com", i)}))
		time.Sleep(150 * time.Millisecond)
		remove(t, ctx, extra)
		remove(t, ctx, pol)
	}
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed while the configuration changed; first: %v", n, sent.Load(), firstErr.Load())
	}
	if sent.Load() < 100 {
		t.Fatalf("only %d requests were sent; the load loop did not run", sent.Load())
	}
	t.Logf("%d requests, 0 failed, during 10 route and 10 policy changes", sent.Load())
}
