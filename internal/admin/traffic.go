package admin

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/corsgate/corsgate/internal/dataplane"
)

// Bounds of [Traffic]. Whatever clients send, it holds at most
// TrafficMinutes × maxTrafficRows rows, each with an origin of at most
// maxTrafficOrigin bytes: well under 2 MiB.
const (
	// TrafficMinutes is how far back the traffic panel looks.
	TrafficMinutes = 15
	// maxTrafficRows bounds the distinct (listener, route, origin) rows of
	// one minute; requests beyond it are counted, not itemised.
	maxTrafficRows = 200
	// maxTrafficOrigin bounds a recorded origin (longer ones are cut).
	maxTrafficOrigin = 256
	// maxTrafficReasons bounds the reasons kept per row (the engine has four).
	maxTrafficReasons = 4
)

// Traffic records the CORS requests the gateway denied over the last
// [TrafficMinutes] minutes, in per-minute buckets, for the console's
// traffic panel. Feed it with [Traffic.Record] as
// dataplane.Options.OnDeniedCORS. It is safe for concurrent use.
type Traffic struct {
	now func() time.Time // for tests; time.Now

	mu      sync.Mutex
	buckets [TrafficMinutes]trafficBucket
}

type trafficKey struct{ listener, route, origin string }

type trafficCount struct {
	requests, preflights uint64
	reasons              []string
	last                 time.Time
}

// trafficBucket is one minute: buckets[minute % TrafficMinutes].
type trafficBucket struct {
	minute     int64 // Unix time / 60 of the minute held; 0: never used
	requests   uint64
	preflights uint64
	untracked  uint64 // requests not itemised: rows was full
	rows       map[trafficKey]*trafficCount
}

// NewTraffic returns an empty Traffic.
func NewTraffic() *Traffic { return &Traffic{now: time.Now} }

// Record counts one denied request. It copies at most maxTrafficOrigin
// bytes of the origin and never grows beyond the documented bounds.
func (t *Traffic) Record(d dataplane.DeniedCORS) {
	now := t.now()
	minute := now.Unix() / 60
	t.mu.Lock()
	defer t.mu.Unlock()
	b := &t.buckets[minute%TrafficMinutes]
	if b.minute != minute {
		b.minute, b.requests, b.preflights, b.untracked = minute, 0, 0, 0
		clear(b.rows)
	}
	b.requests++
	if d.Preflight {
		b.preflights++
	}
	k := trafficKey{listener: d.Listener, route: d.Route, origin: clipOrigin(d.Origin)}
	c := b.rows[k]
	if c == nil {
		if len(b.rows) >= maxTrafficRows {
			b.untracked++
			return
		}
		if b.rows == nil {
			b.rows = make(map[trafficKey]*trafficCount)
		}
		// Own copies: the request's header strings must not stay alive.
		k = trafficKey{strings.Clone(k.listener), strings.Clone(k.route), strings.Clone(k.origin)}
		c = &trafficCount{}
		b.rows[k] = c
	}
	c.requests++
	if d.Preflight {
		c.preflights++
	}
	c.last = now
	if !slices.Contains(c.reasons, d.Reason) && len(c.reasons) < maxTrafficReasons {
		c.reasons = append(c.reasons, strings.Clone(d.Reason))
	}
}

func clipOrigin(s string) string {
	if len(s) <= maxTrafficOrigin {
		return s
	}
	return s[:maxTrafficOrigin] + "…"
}

// TrafficSummary is the traffic panel's content (GET /api/traffic).
type TrafficSummary struct {
	// Minutes is the window, and Since its start (Until is now).
	Minutes int       `json:"minutes"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	// Requests counts the denied requests in the window, Preflights those
	// of them that were preflights.
	Requests   uint64 `json:"requests"`
	Preflights uint64 `json:"preflights"`
	// Untracked counts requests in Requests that are in no row: a minute
	// had more distinct (route, origin) pairs than the panel keeps.
	Untracked uint64 `json:"untracked"`
	// PerMinute holds one entry per minute of the window, oldest first.
	PerMinute []TrafficMinute `json:"perMinute"`
	// Rows are the (listener, route, origin) pairs with the most denied
	// requests, most first; MoreRows counts the pairs left out.
	Rows     []TrafficRow `json:"rows"`
	MoreRows int          `json:"moreRows"`
}

// TrafficMinute is one minute's count.
type TrafficMinute struct {
	Start    time.Time `json:"start"`
	Requests uint64    `json:"requests"`
}

// TrafficRow is one (listener, route, origin) pair.
type TrafficRow struct {
	Listener string `json:"listener"`
	// Route is the route ID, or "none" when no route matched.
	Route string `json:"route"`
	// Origin is the Origin header as sent (cut at 256 bytes).
	Origin     string    `json:"origin"`
	Requests   uint64    `json:"requests"`
	Preflights uint64    `json:"preflights"`
	Reasons    []string  `json:"reasons"`
	LastSeen   time.Time `json:"lastSeen"`
}

// Summary returns the window up to now, with at most top rows.
func (t *Traffic) Summary(top int) TrafficSummary {
	now := t.now()
	cur := now.Unix() / 60
	first := cur - TrafficMinutes + 1
	s := TrafficSummary{Minutes: TrafficMinutes, Since: time.Unix(first*60, 0).UTC(), Until: now.UTC(),
		PerMinute: make([]TrafficMinute, TrafficMinutes), Rows: []TrafficRow{}}
	merged := map[trafficKey]*TrafficRow{}
	t.mu.Lock()
	for i := range s.PerMinute {
		m := first + int64(i)
		s.PerMinute[i].Start = time.Unix(m*60, 0).UTC()
		b := &t.buckets[m%TrafficMinutes]
		if b.minute != m {
			continue
		}
		s.PerMinute[i].Requests = b.requests
		s.Requests += b.requests
		s.Preflights += b.preflights
		s.Untracked += b.untracked
		for k, c := range b.rows {
			r := merged[k]
			if r == nil {
				r = &TrafficRow{Listener: k.listener, Route: k.route, Origin: k.origin}
				merged[k] = r
			}
			r.Requests += c.requests
			r.Preflights += c.preflights
			if c.last.After(r.LastSeen) {
				r.LastSeen = c.last.UTC()
			}
			for _, reason := range c.reasons {
				if !slices.Contains(r.Reasons, reason) {
					r.Reasons = append(r.Reasons, reason)
				}
			}
		}
	}
	t.mu.Unlock()
	for _, r := range merged {
		slices.Sort(r.Reasons)
		s.Rows = append(s.Rows, *r)
	}
	slices.SortFunc(s.Rows, func(a, b TrafficRow) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route),
			cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Listener, b.Listener))
	})
	if top >= 0 && len(s.Rows) > top {
		s.MoreRows = len(s.Rows) - top
		s.Rows = s.Rows[:top]
	}
	return s
}
