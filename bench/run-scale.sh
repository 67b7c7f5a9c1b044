#!/usr/bin/env bash
# Scale benchmark: configs of 10, 1,000 and 10,000 routes (hostnames x path
# prefixes) and 10 / 10,000 allowed origins; translate+compile time,
# snapshot memory, and per-request routing+CORS cost through
# dataplane.Gateway, with its growth from 10 to 10,000 (issue 8, part 3).
#
#   COUNT=10 REQTIME=500ms bench/run-scale.sh
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

COUNT=${COUNT:-10}
REQTIME=${REQTIME:-500ms}
TRANSLATE_COUNT=${TRANSLATE_COUNT:-5}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
mkdir -p results
raw=results/scale-$stamp.txt
md=results/scale-$stamp.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/scale.test" ./scale
go build -o "$tmp/benchtab" ./cmd/benchtab
{
	echo "# Scale benchmark, $stamp"
	echo
	machine_info
	echo "- Translate: -benchtime 3x, -count $TRANSLATE_COUNT; Request: -benchtime $REQTIME, -count $COUNT (sub-benchmarks interleaved by -count)"
} >"$md"
cat "$md"
limit=$(timeout 120 "$tmp/scale.test" -test.run '^TestPolicyOriginLimit$' -test.v -test.count 1 | grep 'is refused' | sed 's/^ *scale_test.go:[0-9]*: //')
echo "- $limit" | tee -a "$md"
(cd "$tmp" && timeout 600 ./scale.test -test.run '^$' -test.bench '^BenchmarkTranslate$' -test.benchtime 3x -test.count "$TRANSLATE_COUNT") | tee "$raw"
(cd "$tmp" && timeout 900 ./scale.test -test.run '^$' -test.bench '^BenchmarkRequest$' -test.benchtime "$REQTIME" -test.count "$COUNT") | grep '^Benchmark' | tee -a "$raw"
{
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	"$tmp/benchtab" scale "$raw"
} >>"$md"
echo
sed -n '/^- load average at end/,$p' "$md"
echo "raw results: bench/$raw; table: bench/$md"
