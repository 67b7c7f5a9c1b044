package demo

import (
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"text/template"
	"time"
)

//go:embed default.yaml
var defaultYAML string

// DefaultConfigName is the file name problems in the embedded config cite.
const DefaultConfigName = "<embedded default>"

// DefaultConfig renders the embedded configuration for a gateway listening
// on listenPort and a petstore on petstorePort.
func DefaultConfig(listenPort, petstorePort int) []byte {
	t := template.Must(template.New("default").Parse(defaultYAML))
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]int{"ListenPort": listenPort, "PetstorePort": petstorePort}); err != nil {
		panic(fmt.Sprintf("demo: embedded config template: %v", err)) // the template is a constant
	}
	return b.Bytes()
}

// Server is the running demo backend.
type Server struct {
	Port int
	srv  *http.Server
}

// StartPetstore serves the petstore on an ephemeral loopback port.
func StartPetstore() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start demo petstore: %w", err)
	}
	srv := &http.Server{Handler: NewPetstore(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Server{Port: ln.Addr().(*net.TCPAddr).Port, srv: srv}, nil
}

// Close stops the demo backend.
func (s *Server) Close() error { return s.srv.Close() }

// CurlCommands returns the three ready-to-paste commands the startup log
// prints for the default config on addr (host:port).
func CurlCommands(addr string) []string {
	u := "http://" + addr + "/pets"
	return []string{
		fmt.Sprintf("curl -si -X OPTIONS %s -H 'Origin: https://example.com' -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'", u),
		fmt.Sprintf("curl -si -X OPTIONS %s -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: PUT'", u),
		fmt.Sprintf("curl -si %s -H 'Origin: https://example.com'", u),
	}
}
