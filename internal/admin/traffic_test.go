package admin

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/dataplane"
)

// fakeClock is a settable time source.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestTraffic() (*Traffic, *fakeClock) {
	clk := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)}
	t := NewTraffic()
	t.now = clk.Now
	return t, clk
}

func denied(route, origin string, preflight bool) dataplane.DeniedCORS {
	return dataplane.DeniedCORS{Listener: "8080", Route: route, Origin: origin, Preflight: preflight, Reason: "origin_not_allowed"}
}

func TestTrafficSummary(t *testing.T) {
	tr, clk := newTestTraffic()
	for range 3 {
		tr.Record(denied("ns/a/0/0", "https://evil.example", false))
	}
	tr.Record(denied("ns/a/0/0", "https://evil.example", true))
	clk.Add(2 * time.Minute)
	tr.Record(denied("ns/b/0/0", "https://app.example", true))
	tr.Record(dataplane.DeniedCORS{Listener: "8080", Route: "ns/a/0/0", Origin: "https://evil.example", Preflight: true, Reason: "invalid_request_method"})

	s := tr.Summary(10)
	if s.Requests != 6 || s.Preflights != 3 || s.Untracked != 0 || len(s.Rows) != 2 || s.MoreRows != 0 {
		t.Fatalf("summary = %+v", s)
	}
	a := s.Rows[0]
	if a.Route != "ns/a/0/0" || a.Origin != "https://evil.example" || a.Requests != 5 || a.Preflights != 2 ||
		strings.Join(a.Reasons, ",") != "invalid_request_method,origin_not_allowed" || !a.LastSeen.Equal(clk.Now()) {
		t.Errorf("first row = %+v", a)
	}
	if len(s.PerMinute) != TrafficMinutes {
		t.Fatalf("%d minutes, want %d", len(s.PerMinute), TrafficMinutes)
	}
	last, twoAgo := s.PerMinute[TrafficMinutes-1], s.PerMinute[TrafficMinutes-3]
	if last.Requests != 2 || twoAgo.Requests != 4 || !last.Start.Equal(time.Date(2026, 3, 1, 12, 2, 0, 0, time.UTC)) {
		t.Errorf("per minute: last %+v, two ago %+v", last, twoAgo)
	}
	if top := tr.Summary(1); len(top.Rows) != 1 || top.MoreRows != 1 || top.Rows[0].Route != "ns/a/0/0" {
		t.Errorf("top 1 = %+v", top)
	}

	// Minutes fall out of the window, and a reused bucket starts empty.
	clk.Add(TrafficMinutes * time.Minute)
	if s := tr.Summary(10); s.Requests != 0 || len(s.Rows) != 0 {
		t.Errorf("after the window: %+v", s)
	}
	tr.Record(denied("ns/c/0/0", "https://x.example", false))
	if s := tr.Summary(10); s.Requests != 1 || len(s.Rows) != 1 || s.Rows[0].Route != "ns/c/0/0" {
		t.Errorf("after reuse: %+v", s)
	}
}

// A client can send any Origin: the ring stays bounded.
func TestTrafficIsBounded(t *testing.T) {
	tr, clk := newTestTraffic()
	long := "https://" + strings.Repeat("a", 10000) + ".example"
	tr.Record(denied("r", long, false))
	if o := tr.Summary(1).Rows[0].Origin; len(o) > maxTrafficOrigin+len("…") {
		t.Errorf("origin kept with %d bytes", len(o))
	}
	for m := range TrafficMinutes + 3 {
		for i := range maxTrafficRows + 50 {
			tr.Record(denied("r", "https://h"+strconv.Itoa(m)+"-"+strconv.Itoa(i)+".example", false))
		}
		clk.Add(time.Minute)
	}
	tr.mu.Lock()
	for i := range tr.buckets {
		if n := len(tr.buckets[i].rows); n > maxTrafficRows {
			t.Errorf("bucket %d holds %d rows, more than %d", i, n, maxTrafficRows)
		}
	}
	tr.mu.Unlock()
	clk.Add(-time.Minute) // back into the last minute recorded
	s := tr.Summary(-1)
	if want := uint64(TrafficMinutes * (maxTrafficRows + 50)); s.Requests != want || s.Untracked != TrafficMinutes*50 {
		t.Errorf("requests %d (want %d), untracked %d (want %d)", s.Requests, want, s.Untracked, TrafficMinutes*50)
	}
	if len(s.Rows) != TrafficMinutes*maxTrafficRows {
		t.Errorf("%d rows, want %d", len(s.Rows), TrafficMinutes*maxTrafficRows)
	}
}

func TestTrafficConcurrent(t *testing.T) {
	tr := NewTraffic()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				tr.Record(denied("r"+strconv.Itoa(g), "https://o"+strconv.Itoa(i%7)+".example", i%2 == 0))
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = tr.Summary(5)
		}
	})
	wg.Wait()
	if s := tr.Summary(-1); s.Requests != 2000 || len(s.Rows) != 28 {
		t.Errorf("requests %d, rows %d; want 2000 and 28", s.Requests, len(s.Rows))
	}
}
