package dataplane

import (
	"net/http/httptest"
	"testing"

	"github.com/corsgate/corsgate/internal/ir"
)

// TestHostIndexAgreesWithScan: the indexed lookup visits the same hosts in
// the same order as scanning Listener.Hosts, for every request host.
func TestHostIndexAgreesWithScan(t *testing.T) {
	route := func(id, path string) *ir.Route { return newRoute(id, prefixMatch(path)) }
	hosts := []*ir.VirtualHost{
		vhost("api.example.com", route("exact-api", "/api")),
		vhost("example.com", route("exact-bare", "/")),
		vhost("*.b.example.com", route("wild-long", "/")),
		vhost("*.example.com", route("wild-short", "/"), route("wild-short-api", "/api")),
		vhost("", route("any", "/other")),
	}
	scan := httpListener(1, hosts...)
	indexed := httpListener(1, hosts...)
	indexed.Index = ir.NewHostIndex(hosts)
	for _, host := range []string{
		"api.example.com", "example.com", "x.example.com", "a.b.example.com", "b.example.com",
		"x.y.b.example.com", "badexample.com", "a..example.com", ".example.com", "example.com.evil.net",
		"other.test", "", "com",
	} {
		for _, path := range []string{"/", "/api", "/other"} {
			r := httptest.NewRequest("GET", path, nil)
			got, want := findRoute(indexed, host, r), findRoute(scan, host, r)
			if got != want {
				t.Errorf("host %q path %q: indexed %v, scan %v", host, path, id(got), id(want))
			}
		}
	}
}

func id(r *ir.Route) string {
	if r == nil {
		return "<nil>"
	}
	return r.ID
}
