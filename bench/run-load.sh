#!/usr/bin/env bash
# Gateway load benchmark: corsgate, nginx and Caddy in front of the same small
# Go upstream, all on 127.0.0.1, with the same CORS policy (issue 8, part 2):
#
#   allow https://app.example.com only, echoing it; methods GET, POST, PUT;
#   headers Authorization, Content-Type; expose X-Request-Id; max-age 600;
#   credentials; Vary: Origin; OPTIONS preflights answered locally (204,
#   denied ones 403 without Access-Control-* headers).
#
# It checks with four requests that every peer answers alike, then runs wrk
# in interleaved rounds (the peers' order rotates every round): a preflight
# answered at the gateway, a proxied GET from the allowed origin, and the
# upstream directly. Per run it records req/s, p50/p99, the CPU seconds of
# the serving process(es) per 10k requests (/proc/PID/stat utime+stime) and
# VmHWM; bench/load/report turns that into the tables of
# docs/performance.md, written to bench/results/load-<date>.md.
#
#   bench/run-load.sh               the benchmark (ROUNDS=3 DURATION=10)
#   bench/run-load.sh profile       CPU and allocation profiles of corsgate's
#                                   data plane under the same load (gwprof)
#
# Before/after in the same run: setting any of CORSGATE_B_BIN (a corsgate
# binary, e.g. built from another commit), CORSGATE_B_ENV ("GOGC=400") or
# CORSGATE_B_ARGS ("--upstream-timeout=-1s") adds a fourth peer, corsgate-b,
# measured in the same interleaved rounds and compared with corsgate.
#
# Every loop is bounded in count and time; every process started here is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

MODE=${1:-bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}     # seconds per wrk run
CONNS=${CONNS:-64}           # wrk connections
THREADS=${THREADS:-1}        # wrk threads (2 cores: leave one to the gateway)
WARMUP=${WARMUP:-2}          # seconds per peer and scenario before round 1
ORIGIN=https://app.example.com
EVIL=https://evil.example.net
PATH_=/api/items

[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "ROUNDS must be 1..20" >&2; exit 2; }
[ "$DURATION" -ge 1 ] && [ "$DURATION" -le 30 ] || { echo "DURATION must be 1..30 s" >&2; exit 2; }

stamp=$(date -u +%Y-%m-%dT%H%MZ)
tmp=$(mktemp -d /tmp/corsgate-load.XXXXXX)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v caddy >/dev/null || need+=(caddy)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
if [ "$MODE" = bench ] && [ ${#need[@]} -gt 0 ]; then
	echo "== installing ${need[*]} (Debian packages)"
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== building corsgate, the upstream and the report tool"
# Other engineers edit the tree while benchmarks run: a build that fails is
# retried a few times. CORSGATE_BIN=path uses a prebuilt binary instead.
if [ -n "${CORSGATE_BIN:-}" ]; then
	cp "$CORSGATE_BIN" "$tmp/corsgate"
else
	for try in 1 2 3 4 5 6; do
		(cd .. && go build -o "$tmp/corsgate" ./cmd/corsgate) && break
		[ "$try" -lt 6 ] || { echo "corsgate does not build; set CORSGATE_BIN" >&2; exit 1; }
		echo "build failed (try $try/6); retrying in 20 s" >&2
		sleep 20
	done
fi
go build -o "$tmp/upstream" ./load/upstream
go build -o "$tmp/report" ./load/report
[ "$MODE" = profile ] && go build -o "$tmp/gwprof" ./load/gwprof

# --- processes -------------------------------------------------------------------
# free_port picks a TCP port that no socket uses, below the kernel's
# ephemeral range (so no outgoing connection takes it meanwhile) and not
# handed out before in this run (bounded tries); it sets the variable named $1.
taken=" "
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 12000))
		case "$taken" in *" $p "*) continue ;; esac
		if ! ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then
			taken="$taken$p "
			printf -v "$1" '%s' "$p"
			return
		fi
	done
	echo "no free port found" >&2
	return 1
}

# wait_port waits (at most 10 s) until 127.0.0.1:$1 accepts connections.
wait_port() {
	for _ in $(seq 1 100); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
		sleep 0.1
	done
	echo "nothing answers on 127.0.0.1:$1; the logs:" >&2
	find "$tmp" -name '*.log' -exec tail -n 20 {} + >&2 || true
	return 1
}

"$tmp/upstream" -addr 127.0.0.1:0 >"$tmp/upstream.addr" 2>"$tmp/upstream.log" &
pids+=($!)
up_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/upstream.addr" ] && break; sleep 0.1; done
UP=$(cut -d: -f2 "$tmp/upstream.addr")
wait_port "$UP"

free_port CG
cat >"$tmp/corsgate.yaml" <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bench}
spec:
  gatewayClassName: corsgate
  listeners:
  - {name: http, port: $CG, protocol: HTTP}
---
apiVersion: corsgate.dev/v1alpha1
kind: Backend
metadata: {name: upstream}
spec:
  endpoints:
  - ip: {address: 127.0.0.1, port: $UP}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: bench}]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    filters:
    - type: CORS
      cors:
        allowOrigins: [$ORIGIN]
        allowMethods: [GET, POST, PUT]
        allowHeaders: [Authorization, Content-Type]
        exposeHeaders: [X-Request-Id]
        allowCredentials: true
        maxAge: 600
    backendRefs:
    - {group: corsgate.dev, kind: Backend, name: upstream}
EOF

# --- profile mode -------------------------------------------------------------------
cat >"$tmp/preflight.lua" <<EOF
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "$ORIGIN"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type"
EOF
cat >"$tmp/get.lua" <<EOF
wrk.method = "GET"
wrk.headers["Origin"] = "$ORIGIN"
EOF

if [ "$MODE" = profile ]; then
	out=results/profile-$stamp
	mkdir -p "$out"
	"$tmp/gwprof" -c "$tmp/corsgate.yaml" -pprof 127.0.0.1:0 >"$tmp/gwprof.addr" 2>"$tmp/gwprof.log" &
	pids+=($!)
	for _ in $(seq 1 100); do [ -s "$tmp/gwprof.addr" ] && break; sleep 0.1; done
	PP=$(cat "$tmp/gwprof.addr")
	wait_port "$CG"
	curl -s -o "$out/allocs-0.pprof" "http://$PP/debug/pprof/allocs"
	for sc in preflight get; do
		echo "== profiling corsgate under wrk: $sc (${DURATION}s)"
		timeout $((DURATION + 15)) wrk -t"$THREADS" -c"$CONNS" -d"$((DURATION + 1))s" -s "$tmp/$sc.lua" "http://127.0.0.1:$CG$PATH_" >"$out/wrk-$sc.txt" &
		wrk_pid=$!
		pids+=($wrk_pid)
		sleep 0.5
		curl -s --max-time $((DURATION + 10)) -o "$out/cpu-$sc.pprof" "http://$PP/debug/pprof/profile?seconds=$((DURATION - 1))"
		wait "$wrk_pid" || true
		curl -s -o "$out/allocs-$sc.pprof" "http://$PP/debug/pprof/allocs"
	done
	{
		for sc in preflight get; do
			echo "### CPU, $sc"; go tool pprof -top -nodecount=40 "$tmp/gwprof" "$out/cpu-$sc.pprof" 2>/dev/null
		done
		echo "### allocations (alloc_space), preflight run"
		go tool pprof -top -nodecount=25 -sample_index=alloc_space -base "$out/allocs-0.pprof" "$tmp/gwprof" "$out/allocs-preflight.pprof" 2>/dev/null
		echo "### allocations (alloc_space), GET run"
		go tool pprof -top -nodecount=25 -sample_index=alloc_space -base "$out/allocs-preflight.pprof" "$tmp/gwprof" "$out/allocs-get.pprof" 2>/dev/null
		echo "### allocations (alloc_objects), GET run"
		go tool pprof -top -nodecount=25 -sample_index=alloc_objects -base "$out/allocs-preflight.pprof" "$tmp/gwprof" "$out/allocs-get.pprof" 2>/dev/null
	} >"$out/summary.txt"
	echo "profiles and summary: bench/$out/ (go tool pprof -http=: bench/$out/cpu-get.pprof)"
	exit 0
fi

# --- the three gateways --------------------------------------------------------------
"$tmp/corsgate" run -c "$tmp/corsgate.yaml" --admin-addr "" --access-log=false --watch=false \
	--log-level warn >"$tmp/corsgate.log" 2>&1 &
pids+=($!)
cg_pid=$!

free_port NG
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    keepalive_requests 1000000;

    upstream backend {
        server 127.0.0.1:$UP;
        keepalive 64;
    }
    map \$http_origin \$cors_class { "" ""; "$ORIGIN" ok; default no; }
    map "\$request_method:\$cors_class:\$http_access_control_request_method" \$cors_preflight {
        default "";
        "~^OPTIONS:ok:." allowed;
        "~^OPTIONS:no:." denied;
    }
    map \$cors_class \$cors_acao { ok \$http_origin; default ""; }
    map \$cors_class \$cors_acac { ok true; default ""; }
    map \$cors_class \$cors_aceh { ok X-Request-Id; default ""; }

    server {
        listen 127.0.0.1:$NG;
        location / {
            if (\$cors_preflight = allowed) {
                add_header Access-Control-Allow-Origin \$http_origin always;
                add_header Access-Control-Allow-Credentials true always;
                add_header Access-Control-Allow-Methods "GET, POST, PUT" always;
                add_header Access-Control-Allow-Headers "Authorization, Content-Type" always;
                add_header Access-Control-Expose-Headers X-Request-Id always;
                add_header Access-Control-Max-Age 600 always;
                add_header Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" always;
                return 204;
            }
            if (\$cors_preflight = denied) {
                add_header Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" always;
                return 403;
            }
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Host \$host;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_hide_header Access-Control-Allow-Origin;
            proxy_hide_header Access-Control-Allow-Credentials;
            proxy_hide_header Access-Control-Expose-Headers;
            add_header Access-Control-Allow-Origin \$cors_acao always;
            add_header Access-Control-Allow-Credentials \$cors_acac always;
            add_header Access-Control-Expose-Headers \$cors_aceh always;
            add_header Vary Origin always;
        }
    }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx/logs/stdout.log" 2>&1 &
pids+=($!)
ng_pid=$!

free_port CD
mkdir -p "$tmp/caddy"
cat >"$tmp/caddy/Caddyfile" <<EOF
{
	admin off
	auto_https off
}
http://127.0.0.1:$CD {
	bind 127.0.0.1
	@preflight_allowed {
		method OPTIONS
		header Origin $ORIGIN
		header Access-Control-Request-Method *
	}
	@preflight_denied {
		method OPTIONS
		header Origin *
		header Access-Control-Request-Method *
		not header Origin $ORIGIN
	}
	handle @preflight_allowed {
		header {
			Access-Control-Allow-Origin "{http.request.header.Origin}"
			Access-Control-Allow-Credentials true
			Access-Control-Allow-Methods "GET, POST, PUT"
			Access-Control-Allow-Headers "Authorization, Content-Type"
			Access-Control-Expose-Headers X-Request-Id
			Access-Control-Max-Age 600
			Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
		}
		respond 204
	}
	handle @preflight_denied {
		header Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
		respond 403
	}
	handle {
		@allowed header Origin $ORIGIN
		header @allowed {
			Access-Control-Allow-Origin "{http.request.header.Origin}"
			Access-Control-Allow-Credentials true
			Access-Control-Expose-Headers X-Request-Id
		}
		header Vary Origin
		reverse_proxy 127.0.0.1:$UP {
			header_down -Access-Control-Allow-Origin
			header_down -Access-Control-Allow-Credentials
			header_down -Access-Control-Expose-Headers
		}
	}
}
EOF
HOME="$tmp/caddy" XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy" \
	caddy run --config "$tmp/caddy/Caddyfile" --adapter caddyfile >"$tmp/caddy/caddy.log" 2>&1 &
pids+=($!)
cd_pid=$!

wait_port "$CG"
wait_port "$NG"
wait_port "$CD"

declare -A PORT=([corsgate]=$CG [nginx]=$NG [caddy]=$CD [upstream]=$UP)
declare -A PID=([corsgate]=$cg_pid [nginx]=$ng_pid [caddy]=$cd_pid [upstream]=$up_pid)
peers=(corsgate nginx caddy)

if [ -n "${CORSGATE_B_BIN:-}${CORSGATE_B_ENV:-}${CORSGATE_B_ARGS:-}" ]; then
	free_port CGB
	sed "s/port: $CG,/port: $CGB,/" "$tmp/corsgate.yaml" >"$tmp/corsgate-b.yaml"
	cp "${CORSGATE_B_BIN:-$tmp/corsgate}" "$tmp/corsgate-b"
	# shellcheck disable=SC2086 # word splitting of the variant's env and flags is intended
	env ${CORSGATE_B_ENV:-} "$tmp/corsgate-b" run -c "$tmp/corsgate-b.yaml" --admin-addr "" --access-log=false \
		--watch=false --log-level warn ${CORSGATE_B_ARGS:-} >"$tmp/corsgate-b.log" 2>&1 &
	pids+=($!)
	PID[corsgate-b]=$!
	PORT[corsgate-b]=$CGB
	peers+=(corsgate-b)
	wait_port "$CGB"
fi

# --- same answers before timing --------------------------------------------------
# answer prints the status and the CORS-relevant response headers of one
# request, normalised (lower-case names, sorted).
answer() { # port method origin
	local extra=()
	[ "$2" = OPTIONS ] && extra=(-H "Access-Control-Request-Method: PUT" -H "Access-Control-Request-Headers: content-type")
	curl -s -o /dev/null -D - --max-time 5 -X "$2" -H "Origin: $3" "${extra[@]}" "http://127.0.0.1:$1$PATH_" |
		tr -d '\r' | awk 'NR==1 {print "status " $2; next}
			{ i = index($0, ":"); if (!i) next; n = tolower(substr($0, 1, i-1)); v = substr($0, i+2)
			  if (n ~ /^access-control-/ || n == "vary") print n ": " v }' | sort
}
echo "== checking that corsgate, nginx and Caddy answer alike"
mismatch=0
for req in "OPTIONS $ORIGIN allowed-preflight" "OPTIONS $EVIL denied-preflight" "GET $ORIGIN allowed-GET" "GET $EVIL denied-GET"; do
	set -- $req
	want=$(answer "$CG" "$1" "$2")
	for peer in "${peers[@]:1}"; do
		got=$(answer "${PORT[$peer]}" "$1" "$2")
		if [ "$got" != "$want" ]; then
			echo "!! $3: $peer differs from corsgate"
			diff <(echo "$want") <(echo "$got") | sed 's/^/   /' || true
			mismatch=1
		fi
	done
	echo "-- $3 (all ${#peers[@]} peers):"
	echo "$want" | sed 's/^/   /'
done
[ "$mismatch" -eq 0 ] || { echo "peers answer differently; fix the configs before timing" >&2; exit 1; }

# --- measurement ------------------------------------------------------------------
TCK=$(getconf CLK_TCK)
# procs prints the pid and its children (nginx workers).
procs() { echo "$1"; pgrep -P "$1" || true; }
cpu_ticks() {
	local t=0 p v
	for p in $(procs "$1"); do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
hwm_kib() {
	local t=0 p v
	for p in $(procs "$1"); do
		v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
# to_ms converts a wrk latency ("812.00us", "1.20ms", "1.01s") to ms.
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
		printf "%.3f", n }'
}

results=$tmp/results.tsv
printf 'round\tscenario\tpeer\trps\tp50_ms\tp99_ms\tcpu_s_per_10k\tvmhwm_kib\tbad\n' >"$results"

# measure ROUND SCENARIO PEER SECONDS: one wrk run; appends a TSV line
# unless ROUND is 0 (warm-up).
measure() {
	local round=$1 sc=$2 peer=$3 secs=$4 script=$tmp/$2.lua
	[ "$sc" = upstream ] && script=$tmp/get.lua
	local pid=${PID[$peer]} before after out
	before=$(cpu_ticks "$pid")
	out=$(timeout $((secs + 20)) wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency -s "$script" \
		"http://127.0.0.1:${PORT[$peer]}$PATH_" 2>&1) || { echo "wrk failed: $out" >&2; return 1; }
	after=$(cpu_ticks "$pid")
	[ "$round" -eq 0 ] && return 0
	local n rps p50 p99 bad cpu
	n=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
	p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
	bad=$(echo "$out" | awk '/Non-2xx/ {b += $NF} /Socket errors/ {gsub(",", ""); b += $4 + $6 + $8 + $10} END {print b + 0}')
	cpu=$(awk -v d=$((after - before)) -v t="$TCK" -v n="$n" 'BEGIN {printf "%.4f", (n > 0) ? d / t / n * 10000 : 0}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$sc" "$peer" "$rps" "$p50" "$p99" "$cpu" "$(hwm_kib "$pid")" "$bad" >>"$results"
	printf '   round %d %-9s %-8s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU %.3f s/10k  bad %s\n' \
		"$round" "$sc" "$peer" "$rps" "$p50" "$p99" "$cpu" "$bad" >&2
}

md=results/load-$stamp.md
mkdir -p results
{
	echo "# Gateway load benchmark, $stamp"
	echo
	machine_info
	echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //'), Caddy $(caddy version 2>/dev/null | cut -d' ' -f1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), corsgate from this tree"
	echo "- wrk -t$THREADS -c$CONNS, ${DURATION}s per run, $ROUNDS interleaved rounds (peers' order rotating, reversed every other round), ${WARMUP}s warm-up per peer and scenario"
	echo "- corsgate run --access-log=false --log-level warn (metrics on); nginx worker_processes auto, access_log off; Caddy without access log"
	[ -z "${CGB:-}" ] || echo "- corsgate-b: ${CORSGATE_B_BIN:-same binary}${CORSGATE_B_ENV:+, env $CORSGATE_B_ENV}${CORSGATE_B_ARGS:+, flags $CORSGATE_B_ARGS}"
} >"$tmp/head.md"
cat "$tmp/head.md"

echo "== warm-up"
for peer in "${peers[@]}"; do
	measure 0 preflight "$peer" "$WARMUP"
	measure 0 get "$peer" "$WARMUP"
done
measure 0 upstream upstream "$WARMUP"

n=${#peers[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	echo "== round $r/$ROUNDS"
	for sc in preflight get; do
		for ((i = 0; i < n; i++)); do
			# Rotate the start every round and reverse the direction every
			# other round, so no peer always runs right after the same one.
			k=$(((r + i) % n))
			[ $((r % 2)) -eq 0 ] && k=$(((r - i + 2 * n) % n))
			measure "$r" "$sc" "${peers[$k]}" "$DURATION"
		done
	done
	measure "$r" upstream upstream "$DURATION"
done

{
	cat "$tmp/head.md"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	"$tmp/report" -in "$results"
} >"$md"
cp "$results" "results/load-$stamp.tsv"
echo
sed -n '/^- load average at end/,$p' "$md" | sed '/<details>/,$d'
echo "table: bench/$md; raw: bench/results/load-$stamp.tsv"
