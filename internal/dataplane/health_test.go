package dataplane

import (
	"net"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
)

// closedEndpoint returns an endpoint on a loopback port nothing listens on.
func closedEndpoint(t *testing.T) ir.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return ir.Endpoint{Network: "tcp", Address: addr, Host: addr}
}

func TestPassiveHealthSkipsEndpointThatFailsToConnect(t *testing.T) {
	live := newTestBackend(t, "live", nil)
	dead := closedEndpoint(t)
	be := irBackend("pair", dead, live.endpoint())
	m := metrics.New()
	g := startGateway(t, simpleSnapshot(be, nil), Options{Metrics: m, EndpointBackoff: time.Minute})
	c := newClient(t)
	url := baseURL(t, g, 1) + "/"
	statuses := map[int]int{}
	for range 20 {
		statuses[do(t, c, "GET", url, nil).status]++
	}
	// Round robin sends the first or second request to the dead endpoint;
	// after that one 502 it is skipped.
	if statuses[502] != 1 || statuses[200] != 19 {
		t.Errorf("statuses %v, want one 502 then only 200s", statuses)
	}
	if got := sampleValue(t, m, metrics.UpstreamBackoffsTotal, map[string]string{"backend": "test/pair"}); got != 1 {
		t.Errorf("%s = %v, want 1", metrics.UpstreamBackoffsTotal, got)
	}
}

func TestPassiveHealthSingleOrAllDownStillTried(t *testing.T) {
	single := irBackend("single", closedEndpoint(t))
	both := irBackend("both", closedEndpoint(t), closedEndpoint(t))
	snap := newSnapshot(1, httpListener(1, vhost("",
		newRoute("single", prefixMatch("/single"), weighted(single, 1)),
		newRoute("both", prefixMatch("/both"), weighted(both, 1)))))
	g := startGateway(t, snap, Options{EndpointBackoff: time.Minute})
	c := newClient(t)
	for _, path := range []string{"/single", "/both"} {
		for i := range 4 {
			// Never 503: with no alternative the endpoint is tried again.
			if res := do(t, c, "GET", baseURL(t, g, 1)+path, nil); res.status != 502 {
				t.Errorf("GET %s #%d: %d, want 502", path, i, res.status)
			}
		}
	}
}

func TestEndpointBackoffDoublesAndResets(t *testing.T) {
	b := &backendState{id: "b", targets: []target{{host: "a"}, {host: "b"}}, health: make([]endpointHealth, 2), backoff: 10 * time.Millisecond}
	log := quietLogger()
	for want := range []time.Duration{10, 20, 40} {
		before := time.Now()
		b.connectFailed(0, log)
		d := time.Duration(b.health[0].downUntil.Load() - before.UnixNano())
		exp := 10 * time.Millisecond << want
		if d < exp || d > exp+time.Second {
			t.Errorf("failure %d: back-off %v, want about %v", want+1, d, exp)
		}
	}
	for range 10 {
		if i, _ := b.pick(); i != 1 {
			t.Fatalf("picked endpoint %d while 0 backs off", i)
		}
	}
	b.exchanged(0, log)
	if b.health[0].downUntil.Load() != 0 || b.health[0].fails.Load() != 0 {
		t.Error("a completed exchange did not end the back-off")
	}
	for range 30 {
		b.connectFailed(1, log)
	}
	if d := time.Until(time.Unix(0, b.health[1].downUntil.Load())); d > b.backoff*maxBackoffFactor {
		t.Errorf("back-off %v exceeds the cap %v", d, b.backoff*maxBackoffFactor)
	}
}
