// Command benchtab prints the ratio tables of docs/performance.md from
// `go test -bench` output.
//
//	benchtab engine FILE   corsgate vs rs/cors and jub0bs/cors, per workload
//	benchtab scale FILE    translate time, snapshot memory, per-request cost
//	                       and its growth from 10 to 10,000 routes/origins
//
// The n-th result of a benchmark name in FILE belongs to round n. Rounds
// are interleaved (bench/run-engine.sh runs one process per peer per round
// in rotating order; -count repeats every sub-benchmark in turn), so a
// ratio is computed inside each round and the table shows the median of
// those per-round ratios with their range: the machine's drift between
// rounds cancels out.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is one benchmark line: its name without the -GOMAXPROCS suffix and
// its metrics by unit.
type result struct {
	name  string
	round int
	m     map[string]float64
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) ([]result, error) {
	var out []result
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 4 || !strings.HasPrefix(fs[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(fs[0], "Benchmark"), "")
		res := result{name: name, m: map[string]float64{}}
		for i := 2; i+1 < len(fs); i += 2 {
			v, err := strconv.ParseFloat(fs[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", fs[0], fs[i])
			}
			res.m[fs[i+1]] = v
		}
		seen[name]++
		res.round = seen[name]
		out = append(out, res)
	}
	return out, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// series returns unit's values of name by round.
func series(rs []result, name, unit string) map[int]float64 {
	out := map[int]float64{}
	for _, r := range rs {
		if v, ok := r.m[unit]; ok && r.name == name {
			out[r.round] = v
		}
	}
	return out
}

func values(m map[int]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// ratios returns num/den per round, for rounds both have.
func ratios(num, den map[int]float64) []float64 {
	var out []float64
	for r, d := range den {
		if n, ok := num[r]; ok && d > 0 {
			out = append(out, n/d)
		}
	}
	return out
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "engine" && os.Args[1] != "scale") {
		fmt.Fprintln(os.Stderr, "usage: benchtab engine|scale FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtab:", err)
		os.Exit(1)
	}
	rs, err := parse(f)
	f.Close()
	if err != nil || len(rs) == 0 {
		fmt.Fprintln(os.Stderr, "benchtab: no benchmark results in", os.Args[2], err)
		os.Exit(1)
	}
	if os.Args[1] == "engine" {
		engine(os.Stdout, rs)
	} else {
		scale(os.Stdout, rs)
	}
}

func engine(w io.Writer, rs []result) {
	var workloads []string
	for _, r := range rs {
		wl, _, ok := strings.Cut(strings.TrimPrefix(r.name, "Engine/w="), "/peer=")
		if ok && !slices.Contains(workloads, wl) {
			workloads = append(workloads, wl)
		}
	}
	slices.Sort(workloads)
	key := func(wl, peer string) string { return "Engine/w=" + wl + "/peer=" + peer }
	fmt.Fprintln(w, "| workload | corsgate ns/op | rs/cors ns/op | jub0bs/cors ns/op | allocs/op (corsgate / rs / jub0bs) | faster peer ÷ corsgate, median [min–max] | ≥ 1.5× | 0 allocs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|:---:|:---:|")
	speedMet, allocMet, rounds := 0, 0, 0
	for _, wl := range workloads {
		cg := series(rs, key(wl, "corsgate"), "ns/op")
		rsc := series(rs, key(wl, "rscors"), "ns/op")
		jb := series(rs, key(wl, "jub0bs"), "ns/op")
		best := map[int]float64{}
		for r, v := range rsc {
			if u, ok := jb[r]; ok {
				best[r] = min(u, v)
			}
		}
		rounds = max(rounds, len(best))
		rat := ratios(best, cg)
		allocs := func(peer string) float64 { return median(values(series(rs, key(wl, peer), "allocs/op"))) }
		a := allocs("corsgate")
		speed := median(rat)
		okSpeed, okAlloc := speed >= 1.5, a == 0
		if okSpeed {
			speedMet++
		}
		if okAlloc {
			allocMet++
		}
		lo, hi := 0.0, 0.0
		if len(rat) > 0 {
			lo, hi = slices.Min(rat), slices.Max(rat)
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %.0f / %.0f / %.0f | %.2f× [%.2f–%.2f] | %s | %s |\n",
			wl, median(values(cg)), median(values(rsc)), median(values(jb)),
			a, allocs("rscors"), allocs("jub0bs"), speed, lo, hi, yes(okSpeed), yes(okAlloc))
	}
	fmt.Fprintf(w, "\nns/op: median over %d interleaved rounds. Ratio > 1: corsgate is faster than the faster of the two peers in that round.\n", rounds)
	fmt.Fprintf(w, "Targets: 1.5× on %d of %d workloads; 0 allocs/op on %d of %d.\n", speedMet, len(workloads), allocMet, len(workloads))
}

func yes(b bool) string {
	if b {
		return "met"
	}
	return "**missed**"
}

func scale(w io.Writer, rs []result) {
	var cases []string
	for _, r := range rs {
		for _, p := range []string{"Translate/", "Request/"} {
			if c, ok := strings.CutPrefix(r.name, p); ok && !slices.Contains(cases, c) {
				cases = append(cases, c)
			}
		}
	}
	med := func(name, unit string) float64 { return median(values(series(rs, name, unit))) }
	fmt.Fprintln(w, "| config | YAML MiB | translate+compile ms | snapshot MiB | Apply adds MiB | request ns/op | request allocs/op |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, c := range cases {
		t, q := "Translate/"+c, "Request/"+c
		fmt.Fprintf(w, "| %s | %.2f | %.1f | %.2f | %.2f | %.0f | %.0f |\n", c,
			med(t, "yaml-B")/(1<<20), med(t, "ns/op")/1e6, med(t, "snapshot-B")/(1<<20), med(t, "runtime-B")/(1<<20),
			med(q, "ns/op"), med(q, "allocs/op"))
	}
	growth := func(from, to string) (float64, float64, float64) {
		rat := ratios(series(rs, "Request/"+to, "ns/op"), series(rs, "Request/"+from, "ns/op"))
		if len(rat) == 0 {
			return 0, 0, 0
		}
		return median(rat), slices.Min(rat), slices.Max(rat)
	}
	fmt.Fprintln(w, "\n| growth of the per-request cost | median [min–max] of per-round ratios | target ≤ 1.3× |")
	fmt.Fprintln(w, "|---|---:|:---:|")
	for _, g := range []struct{ label, from, to string }{
		{"routes 10 → 10,000 (10 origins)", "routes=10/origins=10/per-policy=10", "routes=10000/origins=10/per-policy=10"},
		{"routes 10 → 1,000 (10 origins)", "routes=10/origins=10/per-policy=10", "routes=1000/origins=10/per-policy=10"},
		{"origins in the config 10 → 10,000 (10,000 routes)", "routes=10000/origins=10/per-policy=10", "routes=10000/origins=10000/per-policy=10"},
		{"origins per policy 10 → 64, the most a policy may list (10 routes)", "routes=10/origins=10/per-policy=10", "routes=10/origins=64/per-policy=64"},
	} {
		m, lo, hi := growth(g.from, g.to)
		if m == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %.2f× [%.2f–%.2f] | %s |\n", g.label, m, lo, hi, yes(m <= 1.3))
	}
	fmt.Fprintln(w, "\n| translate+compile of 10,000 routes | median ms | target < 1,000 ms |")
	fmt.Fprintln(w, "|---|---:|:---:|")
	for _, c := range cases {
		if strings.HasPrefix(c, "routes=10000/") {
			ms := med("Translate/"+c, "ns/op") / 1e6
			fmt.Fprintf(w, "| %s | %.0f | %s |\n", c, ms, yes(ms < 1000))
		}
	}
}
