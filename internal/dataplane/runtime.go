package dataplane

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
)

// runtime is one snapshot plus everything the data plane derives from it
// once, so that requests never parse or allocate configuration.
type runtime struct {
	snap      *ir.Snapshot
	listeners map[int]*listenerState // by ir.Listener.Port
	backends  map[*ir.Backend]*backendState
}

// listenerState is a listener of the snapshot with its parsed certificates
// and the request counters of its routes, resolved once per Apply.
type listenerState struct {
	l     *ir.Listener
	https bool
	certs []certEntry
	label string // metrics listener label

	stats   map[*ir.Route]*metrics.RouteRequests // nil without metrics
	noRoute *metrics.RouteRequests               // refused or unrouted requests
}

// newListenerState resolves the request counters of l's routes.
func (g *Gateway) newListenerState(l *ir.Listener) *listenerState {
	ls := &listenerState{l: l, https: l.Protocol == ir.ProtocolHTTPS, label: metrics.ListenerLabel(l.Port)}
	if g.metrics == nil {
		return ls
	}
	ls.noRoute = g.metrics.RouteRequests(ls.label, metrics.RouteNone)
	ls.stats = make(map[*ir.Route]*metrics.RouteRequests)
	for _, vh := range l.Hosts {
		for _, r := range vh.Routes {
			if r != nil && ls.stats[r] == nil {
				ls.stats[r] = g.metrics.RouteRequests(ls.label, r.ID)
			}
		}
	}
	return ls
}

// routeStats returns the counters for route (nil: the unrouted ones).
func (ls *listenerState) routeStats(route *ir.Route) *metrics.RouteRequests {
	if ls == nil {
		return nil
	}
	if route == nil {
		return ls.noRoute
	}
	return ls.stats[route]
}

// certEntry is one parsed certificate and the SNI hostname it serves.
type certEntry struct {
	hostname string // exact, "*.suffix" or "" for any
	cert     *tls.Certificate
}

// buildRuntime derives a runtime from snap. It reuses the backend states of
// g whose key is unchanged and returns the new ones in fresh, which the
// caller commits (or closes when Apply fails). It reads g.backends and must
// be called with g.mu held.
func (g *Gateway) buildRuntime(snap *ir.Snapshot) (rt *runtime, fresh map[string]*backendState, err error) {
	rt = &runtime{
		snap:      snap,
		listeners: make(map[int]*listenerState, len(snap.Listeners)),
		backends:  make(map[*ir.Backend]*backendState, len(snap.Backends)),
	}
	var errs []error
	for _, l := range snap.Listeners {
		if l == nil {
			continue
		}
		if _, dup := rt.listeners[l.Port]; dup {
			errs = append(errs, fmt.Errorf("dataplane: two listeners for port %d; merge them into one ir.Listener", l.Port))
			continue
		}
		ls := g.newListenerState(l)
		if ls.https {
			certs, err := parseCertificates(l)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ls.certs = certs
		}
		rt.listeners[l.Port] = ls
	}

	fresh, err = g.addBackends(rt, snap)
	return rt, fresh, errors.Join(append(errs, err)...)
}

// addBackends fills rt.backends for every backend snap uses, reusing g's
// states whose key is unchanged; it returns the states it created.
func (g *Gateway) addBackends(rt *runtime, snap *ir.Snapshot) (map[string]*backendState, error) {
	fresh := make(map[string]*backendState)
	var errs []error
	add := func(b *ir.Backend) {
		if b == nil || rt.backends[b] != nil {
			return
		}
		key := backendKey(b)
		st := g.backends[key]
		if st == nil {
			st = fresh[key]
		}
		if st == nil {
			var err error
			if st, err = newBackendState(key, b, g.opts); err != nil {
				errs = append(errs, err)
				return
			}
			fresh[key] = st
		}
		rt.backends[b] = st
	}
	for _, b := range snap.Backends {
		add(b)
	}
	// Routes should only reference snap.Backends; accept strays anyway.
	for _, l := range snap.Listeners {
		for _, vh := range hostsOf(l) {
			for _, r := range vh.Routes {
				for _, wb := range r.Backends {
					if wb != nil {
						add(wb.Backend)
					}
				}
			}
		}
	}
	return fresh, errors.Join(errs...)
}

func hostsOf(l *ir.Listener) []*ir.VirtualHost {
	if l == nil {
		return nil
	}
	return l.Hosts
}

// parseCertificates parses the PEM pairs of an HTTPS listener.
func parseCertificates(l *ir.Listener) ([]certEntry, error) {
	if len(l.Certificates) == 0 {
		return nil, fmt.Errorf("dataplane: HTTPS listener on port %d has no certificate; give the Gateway listener a certificateRef", l.Port)
	}
	out := make([]certEntry, 0, len(l.Certificates))
	for _, c := range l.Certificates {
		pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("dataplane: listener port %d: certificate %q for host %q: %w; provide a PEM certificate chain and its matching private key",
				l.Port, c.Source, c.Hostname, err)
		}
		out = append(out, certEntry{hostname: c.Hostname, cert: &pair})
	}
	return out, nil
}

// retireBackends commits the fresh backend states and closes the idle
// connections of those the active runtime no longer uses. Requests still in
// flight on a retired transport finish normally. Call with g.mu held.
func (g *Gateway) retireBackends(rt *runtime, fresh map[string]*backendState) {
	for k, st := range fresh {
		g.backends[k] = st
	}
	used := make(map[string]bool, len(rt.backends))
	for _, st := range rt.backends {
		used[st.key] = true
	}
	for k, st := range g.backends {
		if !used[k] {
			st.closeIdle()
			delete(g.backends, k)
		}
	}
}

// retainMetrics drops the series of routes and backends rt no longer has.
// Call with g.mu held, after rt became active.
func (g *Gateway) retainMetrics(rt *runtime) {
	if g.metrics == nil {
		return
	}
	routes := make(map[[2]string]bool)
	for _, ls := range rt.listeners {
		routes[[2]string{ls.label, metrics.RouteNone}] = true
		for r := range ls.stats {
			routes[[2]string{ls.label, r.ID}] = true
		}
	}
	g.metrics.RetainRoutes(func(listener, route string) bool { return routes[[2]string{listener, route}] })
	backends := make(map[string]bool, len(rt.backends))
	for b := range rt.backends {
		backends[b.ID] = true
	}
	g.metrics.RetainBackends(func(id string) bool { return backends[id] })
}

// closeBackends closes the idle connections of every state in m.
func closeBackends(m map[string]*backendState) {
	for _, st := range m {
		st.closeIdle()
	}
}
