#!/usr/bin/env bash
# Engine micro-benchmarks: corsgate's CORS engine (as an http.Handler, the
# way internal/dataplane calls it) against rs/cors and jub0bs/cors on the
# eight workloads of issue 8. One process per peer per round, the peers'
# order rotating every round, so that drift on a shared machine hits all
# three alike; benchtab then reports per-round ratios.
#
#   COUNT=10 BENCHTIME=500ms bench/run-engine.sh
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-500ms}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
mkdir -p results
raw=results/engine-$stamp.txt
md=results/engine-$stamp.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/engine.test" ./engine
go build -o "$tmp/benchtab" ./cmd/benchtab
echo "== checking that the three peers give the same CORS answers"
timeout 60 "$tmp/engine.test" -test.run '^TestPeersAgree$' -test.count 1

{
	echo "# Engine micro-benchmarks, $stamp"
	echo
	machine_info
	echo "- $COUNT rounds × 3 peers, -benchtime $BENCHTIME each, peers' order rotating per round"
} >"$md"
cat "$md"

peers=(corsgate rscors jub0bs)
for ((r = 0; r < COUNT; r++)); do
	for ((i = 0; i < ${#peers[@]}; i++)); do
		p=${peers[$(((r + i) % ${#peers[@]}))]}
		echo "== round $((r + 1))/$COUNT: $p" >&2
		# Keep the goos/goarch/pkg/cpu header once, for benchstat.
		timeout 300 "$tmp/engine.test" -test.run '^$' -test.bench "^BenchmarkEngine\$/^w=/^peer=$p\$" \
			-test.benchtime "$BENCHTIME" -test.count 1 |
			if [ -s "$raw" ]; then grep '^Benchmark' || true; else grep -v '^PASS\|^ok' || true; fi >>"$raw"
	done
done

{
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	"$tmp/benchtab" engine "$raw"
	echo
	echo '<details><summary>benchstat -col /peer -row /w (corsgate is the base column)</summary>'
	echo
	echo '```'
	go tool benchstat -col /peer -row /w "$raw"
	echo '```'
	echo
	echo '</details>'
} >>"$md"
echo
sed -n '/^- load average at end/,$p' "$md"
echo
echo "raw results: bench/$raw; table: bench/$md"
