// Command report turns the measurements bench/run-load.sh collects (one
// TSV line per wrk run) into the markdown tables of docs/performance.md:
// per scenario and peer the medians across rounds, and each peer's ratio
// to nginx as the median of the per-round ratios (peers of one round ran
// back to back, so their ratio cancels most of the machine's drift).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// run is one wrk run of one peer on one scenario.
type run struct {
	round    int
	scenario string
	peer     string
	rps      float64
	p50, p99 float64 // milliseconds
	cpu      float64 // CPU seconds per 10k requests of the serving process(es)
	hwmKiB   float64
	bad      int // non-2xx responses plus socket errors
}

func main() {
	in := flag.String("in", "", "TSV written by run-load.sh")
	flag.Parse()
	runs, err := read(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	write(os.Stdout, runs)
}

func read(name string) ([]run, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []run
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) == 0 || fs[0] == "round" || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if len(fs) != 9 {
			return nil, fmt.Errorf("%s:%d: want 9 tab-separated fields, got %d", name, line, len(fs))
		}
		num := func(i int) float64 {
			v, perr := strconv.ParseFloat(fs[i], 64)
			if perr != nil && err == nil {
				err = fmt.Errorf("%s:%d: field %d %q: %v", name, line, i+1, fs[i], perr)
			}
			return v
		}
		r := run{round: int(num(0)), scenario: fs[1], peer: fs[2], rps: num(3), p50: num(4), p99: num(5),
			cpu: num(6), hwmKiB: num(7), bad: int(num(8))}
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

var scenarios = []struct{ key, title string }{
	{"preflight", "Preflight answered at the gateway (OPTIONS, allowed origin, 204)"},
	{"get", "Proxied GET from an allowed origin (200 from the upstream)"},
	{"upstream", "The upstream directly (GET, no gateway): the ceiling"},
}

var peers = []string{"corsgate", "corsgate-b", "nginx", "caddy", "upstream"}

// pick returns the runs of scenario s and peer p.
func pick(runs []run, s, p string) []run {
	var out []run
	for _, r := range runs {
		if r.scenario == s && r.peer == p {
			out = append(out, r)
		}
	}
	return out
}

func field(rs []run, f func(run) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// ratio returns the median over rounds of f(peer)/f(base) within a round.
func ratio(runs []run, s, peer, base string, f func(run) float64) (float64, bool) {
	byRound := map[int]float64{}
	for _, r := range pick(runs, s, base) {
		byRound[r.round] = f(r)
	}
	var rs []float64
	for _, r := range pick(runs, s, peer) {
		if b, ok := byRound[r.round]; ok && b > 0 {
			rs = append(rs, f(r)/b)
		}
	}
	return median(rs), len(rs) > 0
}

var (
	rps = func(r run) float64 { return r.rps }
	p50 = func(r run) float64 { return r.p50 }
	p99 = func(r run) float64 { return r.p99 }
	cpu = func(r run) float64 { return r.cpu }
	hwm = func(r run) float64 { return r.hwmKiB }
)

func write(w io.Writer, runs []run) {
	rounds := 0
	for _, r := range runs {
		rounds = max(rounds, r.round)
	}
	for _, sc := range scenarios {
		fmt.Fprintf(w, "\n### %s\n\n", sc.title)
		fmt.Fprintln(w, "| peer | req/s | p50 ms | p99 ms | CPU s / 10k req | peak RSS MiB | req/s ÷ nginx | p99 ÷ nginx | CPU ÷ nginx | bad responses |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, p := range peers {
			rs := pick(runs, sc.key, p)
			if len(rs) == 0 {
				continue
			}
			bad := 0
			for _, r := range rs {
				bad += r.bad
			}
			cell := func(f func(run) float64) string {
				if v, ok := ratio(runs, sc.key, p, "nginx", f); ok && p != "nginx" {
					return fmt.Sprintf("%.2f×", v)
				}
				return "—"
			}
			fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %.3f | %.1f | %s | %s | %s | %d |\n", p,
				median(field(rs, rps)), median(field(rs, p50)), median(field(rs, p99)),
				median(field(rs, cpu)), slices.Max(field(rs, hwm))/1024,
				cell(rps), cell(p99), cell(cpu), bad)
		}
	}
	fmt.Fprintf(w, "\nMedians over %d interleaved rounds; ratios are medians of the per-round ratios. "+
		"CPU is utime+stime of the serving process(es) (nginx: master and workers) per 10,000 requests; "+
		"peak RSS is VmHWM (nginx: summed over its processes).\n", rounds)

	fmt.Fprintln(w, "\n### Targets (issue 8, part 2)")
	fmt.Fprintln(w, "\n| target | measured (median of per-round ratios) | result |")
	fmt.Fprintln(w, "|---|---:|---|")
	type target struct {
		name, s, peer, base string
		f                   func(run) float64
		limit               float64
		atMost              bool
	}
	for _, t := range []target{
		{"gateway CPU per preflight ≤ 1.5× nginx", "preflight", "corsgate", "nginx", cpu, 1.5, true},
		{"gateway CPU per proxied GET ≤ 2× nginx", "get", "corsgate", "nginx", cpu, 2, true},
		{"preflight req/s ≥ 2× Caddy", "preflight", "corsgate", "caddy", rps, 2, false},
		{"proxied GET req/s ≥ 2× Caddy", "get", "corsgate", "caddy", rps, 2, false},
		{"preflight p99 (64 connections) ≤ 1.5× nginx", "preflight", "corsgate", "nginx", p99, 1.5, true},
		{"proxied GET p99 (64 connections) ≤ 1.5× nginx", "get", "corsgate", "nginx", p99, 1.5, true},
	} {
		v, ok := ratio(runs, t.s, t.peer, t.base, t.f)
		if !ok {
			fmt.Fprintf(w, "| %s | — | not measured |\n", t.name)
			continue
		}
		met := v <= t.limit
		if !t.atMost {
			met = v >= t.limit
		}
		res := "**missed**"
		if met {
			res = "met"
		}
		fmt.Fprintf(w, "| %s | %.2f× | %s |\n", t.name, v, res)
	}

	if len(pick(runs, "preflight", "corsgate-b")) > 0 {
		fmt.Fprintln(w, "\n### corsgate-b ÷ corsgate (before/after, same rounds)")
		fmt.Fprintln(w, "\n| scenario | CPU per request | req/s | p50 | p99 |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, s := range []string{"preflight", "get"} {
			cell := func(f func(run) float64) string {
				v, _ := ratio(runs, s, "corsgate-b", "corsgate", f)
				return fmt.Sprintf("%.2f×", v)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", s, cell(cpu), cell(rps), cell(p50), cell(p99))
		}
	}

	fmt.Fprint(w, "\n<details><summary>Every run</summary>\n\n")
	fmt.Fprintln(w, "| round | scenario | peer | req/s | p50 ms | p99 ms | CPU s / 10k | VmHWM MiB | bad |")
	fmt.Fprintln(w, "|---:|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		fmt.Fprintf(w, "| %d | %s | %s | %.0f | %.2f | %.2f | %.3f | %.1f | %d |\n",
			r.round, r.scenario, r.peer, r.rps, r.p50, r.p99, r.cpu, r.hwmKiB/1024, r.bad)
	}
	fmt.Fprintln(w, "\n</details>")
}
