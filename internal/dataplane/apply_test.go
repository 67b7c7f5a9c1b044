package dataplane

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/testutil"
)

// blockingBackend answers "NAME" once release is closed; started receives
// one value per request that reached it.
func blockingBackend(t *testing.T, name string) (b *testBackend, started chan struct{}, release chan struct{}) {
	started = make(chan struct{}, 16)
	release = make(chan struct{})
	b = newTestBackend(t, name, func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Second):
		}
		_, _ = io.WriteString(w, name)
	})
	return b, started, release
}

// getAsync sends GET url in the background; the result arrives on the
// returned channel.
func getAsync(c *http.Client, url string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		res, err := c.Get(url)
		if err != nil {
			ch <- result{status: -1, body: err.Error()}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			ch <- result{status: -1, body: err.Error()}
			return
		}
		ch <- result{status: res.StatusCode, header: res.Header, body: string(body)}
	}()
	return ch
}

func TestApplySwapsSnapshotInFlightFinishesOnOld(t *testing.T) {
	oldB, started, release := blockingBackend(t, "old")
	newB := newTestBackend(t, "new", nil)
	first := simpleSnapshot(oldB.irBackend(), nil)
	g := startGateway(t, first, Options{})
	c := newClient(t)
	url := baseURL(t, g, 1) + "/"

	inflight := getAsync(c, url)
	testutil.Recv(t, started, "the slow request to reach the old backend")

	second := simpleSnapshot(newB.irBackend(), nil)
	second.Generation = 2
	if err := g.Apply(second); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if g.Current() != second {
		t.Error("Current() is not the applied snapshot")
	}
	if res := do(t, c, "GET", url, nil); res.status != 200 || res.body != "new" {
		t.Errorf("after Apply: %d %q, want 200 \"new\"", res.status, res.body)
	}
	close(release)
	if res := testutil.Recv(t, inflight, "the in-flight request"); res.status != 200 || res.body != "old" {
		t.Errorf("in-flight request: %d %q, want 200 \"old\" (the snapshot it started on)", res.status, res.body)
	}
	if oldB.hits.Load() != 1 || newB.hits.Load() != 1 {
		t.Errorf("hits old=%d new=%d, want 1 and 1", oldB.hits.Load(), newB.hits.Load())
	}
}

func TestApplyOpensAndClosesListeners(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	route := func() *ir.Route { return newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1)) }
	g := startGateway(t, newSnapshot(1, httpListener(1, vhost("", route()))), Options{})
	c := newClient(t)
	addr1 := g.Addr(1)

	// Keep port 1, add port 2.
	if err := g.Apply(newSnapshot(2, httpListener(1, vhost("", route())), httpListener(2, vhost("", route())))); err != nil {
		t.Fatal(err)
	}
	if g.Addr(1) != addr1 {
		t.Errorf("kept listener rebound: %s -> %s", addr1, g.Addr(1))
	}
	for _, port := range []int{1, 2} {
		if res := do(t, c, "GET", baseURL(t, g, port)+"/", nil); res.status != 200 {
			t.Errorf("port %d: status %d", port, res.status)
		}
	}

	// Drop port 1.
	if err := g.Apply(newSnapshot(3, httpListener(2, vhost("", route())))); err != nil {
		t.Fatal(err)
	}
	if g.Addr(1) != "" {
		t.Error("removed listener still reported")
	}
	if conn, err := net.DialTimeout("tcp", addr1, time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("removed listener %s still accepts connections", addr1)
	}
	if res := do(t, c, "GET", baseURL(t, g, 2)+"/", nil); res.status != 200 {
		t.Errorf("port 2 after removing port 1: status %d", res.status)
	}
}

func TestApplyBindErrorKeepsPrevious(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	first := simpleSnapshot(b.irBackend(), nil)
	g := startGateway(t, first, Options{})

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := httpListener(2, vhost("", newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1))))
	taken.Address = busy.Addr().String()
	fresh := httpListener(3, vhost("", newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1))))
	second := newSnapshot(2, httpListener(1, vhost("")), fresh, taken)

	err = g.Apply(second)
	if err == nil || !strings.Contains(err.Error(), "port 2") {
		t.Fatalf("Apply error = %v, want a bind error for port 2", err)
	}
	if g.Current() != first {
		t.Error("failed Apply changed the active snapshot")
	}
	if g.Addr(2) != "" || g.Addr(3) != "" {
		t.Error("failed Apply left new listeners bound")
	}
	if res := do(t, newClient(t), "GET", baseURL(t, g, 1)+"/", nil); res.status != 200 || res.body != "b" {
		t.Errorf("previous snapshot no longer served: %d %q", res.status, res.body)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	b, started, release := blockingBackend(t, "b")
	g := New(Options{Logger: quietLogger()})
	if err := g.Apply(simpleSnapshot(b.irBackend(), nil)); err != nil {
		t.Fatal(err)
	}
	addr := g.Addr(1)
	inflight := getAsync(newClient(t), "http://"+addr+"/")
	testutil.Recv(t, started, "the request to reach the backend")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- g.Shutdown(ctx) }()

	// Shutdown must wait for the request.
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) before the in-flight request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if res := testutil.Recv(t, inflight, "the in-flight request"); res.status != 200 || res.body != "b" {
		t.Errorf("in-flight request: %d %q, want 200 \"b\"", res.status, res.body)
	}
	if err := testutil.Recv(t, done, "Shutdown"); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = conn.Close()
		t.Error("listener still accepts after Shutdown")
	}
	if err := g.Apply(simpleSnapshot(b.irBackend(), nil)); err == nil {
		t.Error("Apply after Shutdown succeeded")
	}
}

func TestRemovedListenerDrainsInFlight(t *testing.T) {
	b, started, release := blockingBackend(t, "b")
	route := func() *ir.Route { return newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1)) }
	g := startGateway(t, newSnapshot(1, httpListener(1, vhost("", route()))), Options{})
	inflight := getAsync(newClient(t), baseURL(t, g, 1)+"/")
	testutil.Recv(t, started, "the request to reach the backend")
	if err := g.Apply(newSnapshot(2, httpListener(2, vhost("", route())))); err != nil {
		t.Fatal(err)
	}
	close(release)
	if res := testutil.Recv(t, inflight, "the in-flight request"); res.status != 200 || res.body != "b" {
		t.Errorf("request on the removed listener: %d %q, want 200 \"b\"", res.status, res.body)
	}
}

func TestApplyReusesUnchangedBackendTransports(t *testing.T) {
	a := newTestBackend(t, "a", nil)
	g := startGateway(t, simpleSnapshot(a.irBackend(), nil), Options{})
	before := g.active.Load().backends
	var stA *backendState
	for _, st := range before {
		stA = st
	}

	// Same backend config in a new snapshot (new pointers): same transport.
	if err := g.Apply(simpleSnapshot(a.irBackend(), nil)); err != nil {
		t.Fatal(err)
	}
	for _, st := range g.active.Load().backends {
		if st != stA {
			t.Error("unchanged backend got a new transport")
		}
	}
	// A changed endpoint list: a new transport, and the old one is dropped.
	changed := irBackend("a", a.endpoint(), ir.Endpoint{Network: "tcp", Address: "127.0.0.1:1", Host: "127.0.0.1:1"})
	if err := g.Apply(simpleSnapshot(changed, nil)); err != nil {
		t.Fatal(err)
	}
	for _, st := range g.active.Load().backends {
		if st == stA {
			t.Error("changed backend kept its old transport")
		}
	}
	g.mu.Lock()
	n := len(g.backends)
	g.mu.Unlock()
	if n != 1 {
		t.Errorf("gateway keeps %d backend transports, want 1", n)
	}
}

func TestListenerProtocolChangeKeepsSocket(t *testing.T) {
	ca := newTestCA(t)
	b := newTestBackend(t, "b", nil)
	route := func() *ir.Route { return newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1)) }
	g := startGateway(t, newSnapshot(1, httpListener(1, vhost("", route()))), Options{})
	addr := g.Addr(1)
	if res := do(t, newClient(t), "GET", "http://"+addr+"/", nil); res.status != 200 {
		t.Fatalf("HTTP: status %d", res.status)
	}
	l := httpListener(1, vhost("", route()))
	l.Protocol = ir.ProtocolHTTPS
	l.Certificates = []*ir.Certificate{ca.certificate(t, "a.test")}
	if err := g.Apply(newSnapshot(2, l)); err != nil {
		t.Fatal(err)
	}
	if g.Addr(1) != addr {
		t.Errorf("listener rebound on a protocol change: %s -> %s", addr, g.Addr(1))
	}
	res, err := tlsClient(t, ca, addr).Get("https://a.test/")
	if err != nil {
		t.Fatalf("HTTPS after the change: %v", err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("HTTPS after the change: status %d", res.StatusCode)
	}
}

func TestHandlerForAndServeHTTPWithHTTPTest(t *testing.T) {
	b := newTestBackend(t, "b", nil)
	g := startGateway(t, newSnapshot(1), Options{}) // no listeners
	if err := g.Apply(simpleSnapshot(b.irBackend(), nil)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.HandlerFor(1))
	defer srv.Close()
	if res := do(t, newClient(t), "GET", srv.URL+"/", nil); res.status != 200 || res.body != "b" {
		t.Errorf("HandlerFor(1): %d %q", res.status, res.body)
	}

	// ServeHTTP takes the port from the local address: make the snapshot's
	// port equal the httptest server's.
	plain := httptest.NewUnstartedServer(g)
	plain.Start()
	defer plain.Close()
	_, portStr, _ := net.SplitHostPort(plain.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	l := httpListener(port, vhost("", newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1))))
	if err := g.Apply(newSnapshot(2, l)); err != nil {
		t.Fatal(err)
	}
	if res := do(t, newClient(t), "GET", plain.URL+"/", nil); res.status != 200 || res.body != "b" {
		t.Errorf("ServeHTTP: %d %q", res.status, res.body)
	}
}

// TestShutdownDeadlineClosesConnections: when Shutdown's context ends first,
// requests still running (here on a listener an Apply removed) are cut off
// and Shutdown reports the deadline.
func TestShutdownDeadlineClosesConnections(t *testing.T) {
	b, started, release := blockingBackend(t, "b")
	defer close(release)
	route := func() *ir.Route { return newRoute("r", prefixMatch("/"), weighted(b.irBackend(), 1)) }
	g := New(Options{Logger: quietLogger()})
	if err := g.Apply(newSnapshot(1, httpListener(1, vhost("", route())))); err != nil {
		t.Fatal(err)
	}
	inflight := getAsync(newClient(t), "http://"+g.Addr(1)+"/")
	testutil.Recv(t, started, "the request to reach the backend")
	if err := g.Apply(newSnapshot(2, httpListener(2, vhost("", route())))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := g.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context deadline", err)
	}
	if res := testutil.Recv(t, inflight, "the cut-off request"); res.status != -1 {
		t.Errorf("request survived Shutdown's deadline: %d %q", res.status, res.body)
	}
}
