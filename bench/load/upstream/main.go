// Command upstream is the small, fast HTTP backend of the load benchmark:
// every request gets 200 with a 16-byte JSON body and an X-Request-Id
// header, so the gateways' costs dominate.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

var (
	body        = []byte(`{"ok":true,"n":1}`)
	contentType = []string{"application/json"}
	requestID   = []string{"bench-0001"}
	length      = []string{fmt.Sprint(len(body))}
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("upstream: %s is not a loopback address; the benchmark stays on 127.0.0.1", host)
	}
	fmt.Fprintln(os.Stdout, ln.Addr().String())
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h["Content-Type"] = contentType
			h["Content-Length"] = length
			h["X-Request-Id"] = requestID
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Fatal(srv.Serve(ln))
}
