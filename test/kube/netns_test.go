package kube

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The API server refuses EndpointSlice addresses in 127.0.0.0/8, so the
// backends run in a network namespace this test process creates, reached
// from the host over a veth pair on a /30 of 198.18.0.0/15 (the range
// reserved for benchmarks, RFC 2544) that no host interface uses: traffic
// stays inside this machine and the EndpointSlices hold an address the API
// server accepts.
const backendEnv = "CORSGATE_KUBE_BACKEND" // set: this process is a backend named by the value

var (
	netnsName   string
	hostAddr    string
	backendAddr = os.Getenv(backendEnv + "_ADDR") // the backend processes learn it from the parent
)

// pickSubnet returns the first 198.18.N.0/30 no local interface is on.
func pickSubnet() (host, peer string, err error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", "", err
	}
	for n := 77; n < 77+200; n++ {
		_, sub, _ := net.ParseCIDR(fmt.Sprintf("198.18.%d.0/30", n%256))
		used := false
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (sub.Contains(ipn.IP) || ipn.Contains(sub.IP)) {
				used = true
			}
		}
		if !used {
			return fmt.Sprintf("198.18.%d.1", n%256), fmt.Sprintf("198.18.%d.2", n%256), nil
		}
	}
	return "", "", fmt.Errorf("no free /30 in 198.18.0.0/16 for the test network namespace")
}

// setupNetns creates the namespace and the veth pair; the returned
// function removes both.
func setupNetns() (func(), error) {
	id := strconv.Itoa(os.Getpid() % 100000)
	netnsName = "corsgate-kube-" + id
	host, peer := "cgk"+id+"h", "cgk"+id+"n"
	var err error
	if hostAddr, backendAddr, err = pickSubnet(); err != nil {
		return nil, err
	}
	steps := [][]string{
		{"netns", "add", netnsName},
		{"link", "add", host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", netnsName},
		{"addr", "add", hostAddr + "/30", "dev", host},
		{"link", "set", host, "up"},
		{"netns", "exec", netnsName, "ip", "addr", "add", backendAddr + "/30", "dev", peer},
		{"netns", "exec", netnsName, "ip", "link", "set", peer, "up"},
		{"netns", "exec", netnsName, "ip", "link", "set", "lo", "up"},
	}
	cleanup := func() {
		_ = exec.Command("ip", "link", "del", host).Run()
		_ = exec.Command("ip", "netns", "del", netnsName).Run()
	}
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			cleanup()
			return nil, fmt.Errorf("ip %s: %v: %s (the kube tests need root or CAP_NET_ADMIN and iproute2 to create a network namespace)",
				strings.Join(s, " "), err, out)
		}
	}
	return cleanup, nil
}

// serveBackend is the body of a backend process: it listens on
// backendAddr, prints its port and serves until killed.
func serveBackend(name string) {
	ln, err := net.Listen("tcp", backendAddr+":0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", name)
		fmt.Fprintf(w, `{"backend":%q,"path":%q}`, name, r.URL.Path)
	}), ReadHeaderTimeout: 5 * time.Second}
	_ = srv.Serve(ln)
	os.Exit(0)
}

// backend is one HTTP server process inside the namespace, standing for
// a Pod.
type backend struct{ port int }

func startBackend(t *testing.T, name string) *backend {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", netnsName, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), backendEnv+"="+name, backendEnv+"_ADDR="+backendAddr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("backend %s did not start: %v", name, err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("backend %s printed %q", name, line)
	}
	return &backend{port: port}
}
