package demo

import (
	"testing"

	"github.com/corsgate/corsgate/internal/config"
)

// TestDefaultConfigTranslates: the embedded config is valid, has no
// warnings, and routes /pets on the demo port through the CORS policy the
// README documents.
func TestDefaultConfigTranslates(t *testing.T) {
	res, problems := config.LoadBytes([]config.NamedBytes{{Name: DefaultConfigName, Data: DefaultConfig(8080, 12345)}})
	if len(problems) > 0 {
		t.Fatalf("decode problems:\n%v", problems)
	}
	snap, problems := config.Translate(res, config.Options{})
	if len(problems) > 0 {
		t.Fatalf("translate problems:\n%v", problems)
	}
	if len(snap.Listeners) != 1 || snap.Listeners[0].Address != "127.0.0.1:8080" {
		t.Fatalf("listeners = %+v, want one on 127.0.0.1:8080", snap.Listeners)
	}
	routes := snap.Listeners[0].Hosts[0].Routes
	if len(routes) != 1 || routes[0].CORS == nil {
		t.Fatalf("want one route with CORS, got %+v", routes)
	}
	spec := routes[0].CORS.Spec
	if len(spec.AllowOrigins) != 1 || spec.AllowOrigins[0] != "https://example.com" || !spec.AllowCredentials || spec.MaxAge != 600 {
		t.Errorf("CORS spec = %+v", spec)
	}
	if got := routes[0].Backends[0].Backend.Endpoints[0].Address; got != "127.0.0.1:12345" {
		t.Errorf("petstore endpoint = %q, want 127.0.0.1:12345", got)
	}
}
