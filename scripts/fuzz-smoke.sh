#!/usr/bin/env bash
# Runs every Fuzz* target for a short time (default 10s each) on top of the
# seed corpus that `go test` already replays. Bounded: each target stops by itself.
set -euo pipefail
t=${1:-10s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  pkg=./$(dirname "${f#./}")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r fn; do
    echo "fuzz $pkg $fn ($t)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "$pkg"
  done
done
