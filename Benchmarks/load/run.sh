#!/usr/bin/env bash
# uma-pep load benchmark, side by side with the nginx anchors (issue 6; docs/benchmarks.md).
#
# Starts, under a temporary directory and on 127.0.0.1 only:
#   upstream        nginx origin: / -> "ok\n", /4k (4096 bytes), /64k (65536 bytes)
#   nginx-plain     nginx keep-alive reverse proxy (1 worker); nginx-plain-2w (2 workers)
#   nginx-lua       nginx + Lua PEP anchor (cached token check, what Kong does on gluu-uma-pep's hot path)
#   dev-as          `uma-pep dev-as` (oxd API + /_dev/tokens + /_dev/calls)
#   uma-pep         `uma-pep serve`, 1 worker; uma-pep-2w with 2 workers (the workers-2 scenario)
#   uma-pep-nolog   the same as uma-pep with --no-access-log (the cached-grant-nolog scenario: the access log's cost)
#   dev-as-jwt      `uma-pep dev-as --rpt-as-jwt` (RPTs are RS256 JWTs) and uma-pep-jwt, 1 worker, in front of it
#                   (the cached-grant-jwt and first-sight-jwt scenarios: local JWT verification, issue 13)
# nginx-plain, nginx-lua and uma-pep also listen with TLS on a second port (targets nginx-plain-tls,
# nginx-lua-tls, uma-pep-tls: the cached-grant-tls scenario), with one throwaway ECDSA P-256 certificate made by
# the openssl CLI; TLS 1.2 + 1.3 on both, wrk negotiates TLS 1.3, connections are kept alive.
# then runs tools/harness.py: mints RPTs, warms the caches, checks every target, runs each scenario for every
# target in alternation (wrk), and writes Benchmarks/results/<date>-<host>.{json,md,png}.
# Every process is stopped by the EXIT trap, by its recorded PID.
#
# Usage: Benchmarks/load/run.sh            (or `make bench` from the repository root)
# Environment knobs (defaults):
#   LAYOUT=colo       colo: wrk cpu1, proxies + upstream + AS cpu0 | split: wrk + upstream + AS cpu1, proxies cpu0
#                     | none: no pinning. 2-worker targets get cpus 0,1 when pinned.
#   DUR=10 WARM=2     seconds per measured run / unrecorded warm-up before it
#   ROUNDS=3          rounds of A B C alternation (medians are reported)
#   CONNS="64"        wrk connections (e.g. "64 256"); THREADS=1 wrk threads
#   TOKENS=10000      RPTs for many-tokens; BURST=500 new RPTs for cold-burst, each sent BURST_DUP=2 times at once
#                     (at most limits.max_pending_authorization_calls, 512 by default: more new tokens at once get 503)
#                     (TOKENS=100000 needs CACHE_ENTRIES=200000 to stay cached; Benchmarks/load/memory.sh)
#   SCENARIOS="..."   subset of: cached-grant cached-grant-tls many-tokens ticket cold-burst passthrough body-4k
#                     body-64k workers-2 cached-grant-jwt first-sight-jwt cached-grant-nolog;
#                     opt-in (not in the default set): token-flood
#   token-flood       FLOOD_TOKENS=20000 random tokens at FLOOD_CONNS=256 connections against its own uma-pep
#                     (uma-pep-flood, 1 worker, limits.max_pending_authorization_calls FLOOD_BUDGET=64), while a
#                     parallel wrk (CONNS, DUR) measures the cached grant on the same process; reports AS calls
#                     (the dev AS's /_dev/calls), 503s, and the cached-grant req/s during vs without the flood;
#                     FLOOD_MISS_RATE=N also sets limits.cache_misses_per_ip_per_second: N there (default 0, off);
#                     FLOOD_PER_TURN=N sets its limits.uncached_requests_per_turn (default: uma-pep's, 8; 0 = off),
#                     FLOOD_NICE=N its limits.control_plane_nice (default: uma-pep's, 10; 0 = off),
#                     FLOOD_PER_SECOND=N its limits.uncached_requests_per_second (default: uma-pep's, 250; 0 = off)
#   CACHE_ENTRIES=100000  uma-pep's cache.max_entries (per cache; the default of uma-pep itself)
#   QUICK=1           smoke check: DUR=2 WARM=1 ROUNDS=1 TOKENS=1000 BURST=200 (results get a -quick suffix)
#   BASE_PORT=19100   first port tried (the next free ones in BASE_PORT..BASE_PORT+400 are used)
#   RESULTS_DIR=Benchmarks/results   NO_INSTALL=1 (skip scripts/install-deps --bench)   NO_BUILD=1 (skip build)
#   BIN=<path>        the uma-pep binary to run (default: the release build, built unless NO_BUILD=1)
#   KEEP=1            keep the run directory (logs, raw wrk outputs)   STRICT=1 (exit 1 on unexpected statuses)
#   ACCESS_LOG=on     uma-pep's access log as users get it (off: --no-access-log; the nginx anchors log nothing)
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
  DUR=${DUR:-2}; WARM=${WARM:-1}; ROUNDS=${ROUNDS:-1}; TOKENS=${TOKENS:-1000}; BURST=${BURST:-200}
fi
LAYOUT=${LAYOUT:-colo}; DUR=${DUR:-10}; WARM=${WARM:-2}; ROUNDS=${ROUNDS:-3}; CONNS=${CONNS:-64}
THREADS=${THREADS:-1}; TOKENS=${TOKENS:-10000}; BURST=${BURST:-500}; BURST_DUP=${BURST_DUP:-2}
FLOOD_TOKENS=${FLOOD_TOKENS:-20000}; FLOOD_CONNS=${FLOOD_CONNS:-256}; FLOOD_BUDGET=${FLOOD_BUDGET:-64}
FLOOD_MISS_RATE=${FLOOD_MISS_RATE:-0}; FLOOD_PER_TURN=${FLOOD_PER_TURN:-}; FLOOD_NICE=${FLOOD_NICE:-}
FLOOD_PER_SECOND=${FLOOD_PER_SECOND:-}
SCENARIOS=${SCENARIOS:-}; BASE_PORT=${BASE_PORT:-19100}; RESULTS_DIR=${RESULTS_DIR:-$ROOT/Benchmarks/results}
RELEASE_FLAGS=${RELEASE_FLAGS:--c release -Xswiftc -Ounchecked}
# uma-pep runs as users get it: access log on (to its log file in the run directory). ACCESS_LOG=off: --no-access-log.
ACCESS_LOG=${ACCESS_LOG:-on}; ACCESS_LOG_FLAG=""; [ "$ACCESS_LOG" = off ] && ACCESS_LOG_FLAG=--no-access-log
DUR=${DUR%s}; WARM=${WARM%s}
case "$LAYOUT" in
  colo)  CPU_WRK=1; CPU_PROXY=0; CPU_UP=0; CPU_PROXY2=0,1 ;;
  split) CPU_WRK=1; CPU_PROXY=0; CPU_UP=1; CPU_PROXY2=0,1 ;;
  none)  CPU_WRK=;  CPU_PROXY=;  CPU_UP=;  CPU_PROXY2= ;;
  *) echo "unknown LAYOUT $LAYOUT (colo | split | none)" >&2; exit 2 ;;
esac
if [ "$(nproc)" -lt 2 ] && [ "$LAYOUT" != none ]; then
  echo "only $(nproc) CPU: using LAYOUT=none" >&2; LAYOUT=none; CPU_WRK=; CPU_PROXY=; CPU_UP=; CPU_PROXY2=
fi

# ---- tools and the release binary ----
[ -n "${NO_INSTALL:-}" ] || "$ROOT/scripts/install-deps" --bench
# shellcheck source=lib.sh
source "$HERE/lib.sh"   # start-up, wait and cleanup helpers shared by these scripts
require_tools nginx wrk curl taskset python3 gnuplot openssl
resolve_bin

# cold-burst opens BURST × BURST_DUP connections at once: raise the soft descriptor limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- run directory, processes, cleanup ----
start_run_dir bench
mkdir -p "$RUN_DIR/tmp" "$RUN_DIR/html" "$RUN_DIR/conf"
chmod 755 "$RUN_DIR" "$RUN_DIR/html"   # nginx workers run as nobody
head -c 4095 /dev/zero | tr '\0' a > "$RUN_DIR/html/4k"; echo >> "$RUN_DIR/html/4k"
head -c 65535 /dev/zero | tr '\0' b > "$RUN_DIR/html/64k"; echo >> "$RUN_DIR/html/64k"

pinpfx() { if [ -n "$1" ]; then echo "taskset -c $1"; fi; }  # $! must be the server's own PID: exec form

# Free ports: the next ones in BASE_PORT..BASE_PORT+400 that nothing listens on and that bind.
mapfile -t PORTS < <(free_ports "$BASE_PORT" 19)
UP_PORT=${PORTS[0]}; PX_PORT=${PORTS[1]}; PX2_PORT=${PORTS[2]}; LUA_PORT=${PORTS[3]}; AS_PORT=${PORTS[4]}
UMA_PORT=${PORTS[5]}; UMA_ADMIN=${PORTS[6]}; UMA2_PORT=${PORTS[7]}; UMA2_ADMIN=${PORTS[8]}
PX_TLS_PORT=${PORTS[9]}; LUA_TLS_PORT=${PORTS[10]}; UMA_TLS_PORT=${PORTS[11]}
FLOOD_PORT=${PORTS[12]}; FLOOD_ADMIN=${PORTS[13]}
AS_JWT_PORT=${PORTS[14]}; UMA_JWT_PORT=${PORTS[15]}; UMA_JWT_ADMIN=${PORTS[16]}
NOLOG_PORT=${PORTS[17]}; NOLOG_ADMIN=${PORTS[18]}

# One throwaway certificate for every TLS listener (same key type and chain length for all targets).
mkdir -p "$RUN_DIR/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN_DIR/tls/key.pem" -out "$RUN_DIR/tls/cert.pem" 2>/dev/null
tls_include() { # name port -> nginx include file with a TLS listener on port (empty without a port)
  local file="$RUN_DIR/conf/$1-tls.inc"
  if [ -n "$2" ]; then
    printf '%s\n' "listen 127.0.0.1:$2 ssl reuseport backlog=4096;" "ssl_certificate $RUN_DIR/tls/cert.pem;" \
      "ssl_certificate_key $RUN_DIR/tls/key.pem;" "ssl_protocols TLSv1.2 TLSv1.3;" \
      "ssl_session_cache shared:$1:1m;" > "$file"
  else
    : > "$file"
  fi
  echo "$file"
}

start_nginx() { # name template port workers cpu [tls-port]
  sed -e "s/@NAME@/$1/g" -e "s/@PORT@/$3/g" -e "s/@UP_PORT@/$UP_PORT/g" -e "s/@WORKERS@/$4/g" \
    -e "s|@TLS_INCLUDE@|$(tls_include "$1" "${6:-}")|g" "$HERE/conf/$2.conf" > "$RUN_DIR/conf/$1.conf"
  $(pinpfx "$5") nginx -p "$RUN_DIR" -e "$RUN_DIR/logs/$1.err" -c "$RUN_DIR/conf/$1.conf" &
  PIDS+=($!); eval "PID_${1//-/_}=$!"
}
start_nginx upstream upstream "$UP_PORT" 1 "$CPU_UP"
start_nginx nginx-plain proxy "$PX_PORT" 1 "$CPU_PROXY" "$PX_TLS_PORT"
start_nginx nginx-plain-2w proxy "$PX2_PORT" 2 "$CPU_PROXY2"
start_nginx nginx-lua pep "$LUA_PORT" 1 "$CPU_PROXY" "$LUA_TLS_PORT"

PIN=$CPU_UP start_dev_as dev-as "$AS_PORT"
PID_AS=$SPAWNED
PIN=$CPU_UP start_dev_as dev-as-jwt "$AS_JWT_PORT" --rpt-as-jwt
PID_AS_JWT=$SPAWNED

write_config() { # file port admin workers [tls-port] [extra limits line]
  local tls_listener=""
  if [ -n "${5:-}" ]; then
    tls_listener=", {address: \"127.0.0.1:$5\", tls: {certificate: $RUN_DIR/tls/cert.pem, private_key: $RUN_DIR/tls/key.pem}}"
  fi
  cat > "$1" <<EOF
# Generated by Benchmarks/load/run.sh.
listen: ["127.0.0.1:$2"$tls_listener]
admin: {listen: "127.0.0.1:$3"}
workers: $4
limits:
  upstream_max_idle: 512          # like the nginx anchors' keepalive 512
  upstream_max_requests: 1000000  # like their keepalive_requests
  drain_timeout: 0
  ${6:-}
cache: {max_entries: ${CACHE_ENTRIES:-100000}, max_ttl: 1h, negative_ttl: 10s}
$(dev_as_yaml "${WRITE_AS_PORT:-$AS_PORT}")
services:
  - name: bench
    url: http://127.0.0.1:$UP_PORT
    hosts: ["127.0.0.1"]
    deny_by_default: false          # /open and other unlisted paths are forwarded without a check
    pass_credentials: hide          # like the Lua anchor, which strips Authorization
    uma_scope_expression:
      - {path: /, conditions: [{httpMethods: [GET], scopes: [read]}]}
      - {path: /4k, conditions: [{httpMethods: [GET], scopes: [read]}]}
      - {path: /64k, conditions: [{httpMethods: [GET], scopes: [read]}]}
      - {path: /api/??, conditions: [{httpMethods: [GET], scopes: [read]}]}
EOF
}
wait_http "http://127.0.0.1:$UP_PORT/"
wait_http "http://127.0.0.1:$PX_PORT/"
wait_http "http://127.0.0.1:$PX2_PORT/"
wait_http "http://127.0.0.1:$LUA_PORT/open"

start_uma() { # name port admin workers cpu [tls-port] [extra limits line] -> PID_<name>
  write_config "$RUN_DIR/conf/$1.yaml" "$2" "$3" "$4" "${6:-}" "${7:-}"
  # shellcheck disable=SC2086
  PIN=$5 start_serve "$1" "$RUN_DIR/conf/$1.yaml" "$3" $ACCESS_LOG_FLAG --log-level warning
  eval "PID_${1//-/_}=$SPAWNED"
}
# One after the other: each registers the same document (oxd /uma-rs-protect, overwrite), tokens come after.
start_uma uma-pep "$UMA_PORT" "$UMA_ADMIN" 1 "$CPU_PROXY" "$UMA_TLS_PORT"
start_uma uma-pep-2w "$UMA2_PORT" "$UMA2_ADMIN" 2 "$CPU_PROXY2"
WRITE_AS_PORT=$AS_JWT_PORT start_uma uma-pep-jwt "$UMA_JWT_PORT" "$UMA_JWT_ADMIN" 1 "$CPU_PROXY"
# uma-pep-nolog (cached-grant-nolog, in the default set): uma-pep's configuration without the access log, so
# the access log's cost shows as a req/s ratio measured in the same rounds.
NOLOG_TARGET=""
if [ -z "$SCENARIOS" ] || [[ " $SCENARIOS " == *" cached-grant-nolog "* ]]; then
  ACCESS_LOG_FLAG=--no-access-log start_uma uma-pep-nolog "$NOLOG_PORT" "$NOLOG_ADMIN" 1 "$CPU_PROXY"
  NOLOG_TARGET="\"uma-pep-nolog\": {\"port\": $NOLOG_PORT, \"pid\": $PID_uma_pep_nolog, \"admin_port\": $NOLOG_ADMIN},"
fi
FLOOD_TARGET=""
case " $SCENARIOS " in
  *" token-flood "*)
    flood_limits="max_pending_authorization_calls: $FLOOD_BUDGET"
    if [ "$FLOOD_MISS_RATE" != 0 ]; then
      flood_limits+=$'\n'"  cache_misses_per_ip_per_second: $FLOOD_MISS_RATE"
    fi
    if [ -n "$FLOOD_PER_TURN" ]; then
      flood_limits+=$'\n'"  uncached_requests_per_turn: $FLOOD_PER_TURN"
    fi
    if [ -n "$FLOOD_NICE" ]; then
      flood_limits+=$'\n'"  control_plane_nice: $FLOOD_NICE"
    fi
    if [ -n "$FLOOD_PER_SECOND" ]; then
      flood_limits+=$'\n'"  uncached_requests_per_second: $FLOOD_PER_SECOND"
    fi
    start_uma uma-pep-flood "$FLOOD_PORT" "$FLOOD_ADMIN" 1 "$CPU_PROXY" "" "$flood_limits"
    FLOOD_TARGET="\"uma-pep-flood\": {\"port\": $FLOOD_PORT, \"pid\": $PID_uma_pep_flood, \"admin_port\": $FLOOD_ADMIN},"
    ;;
esac

# ---- hand over to the harness ----
python3 - "$RUN_DIR/state.json" <<EOF
import json, sys
conns = [int(c) for c in "$CONNS".split()]
state = {
  "run_dir": "$RUN_DIR", "results_dir": "$RESULTS_DIR", "wrk_script": "$HERE/lua/bench.lua",
  "layout": "$LAYOUT", "cpus": {"wrk": "$CPU_WRK", "proxy": "$CPU_PROXY", "upstream": "$CPU_UP", "proxy2": "$CPU_PROXY2"},
  "dur": int("$DUR"), "warm": int("$WARM"), "rounds": int("$ROUNDS"), "conns": conns, "threads": int("$THREADS"),
  "tokens": int("$TOKENS"), "burst": int("$BURST"), "burst_dup": int("$BURST_DUP"), "scenarios": "$SCENARIOS",
  "quick": bool("$QUICK"), "strict": bool("${STRICT:-}"), "access_log": "$ACCESS_LOG",
  "flood_tokens": int("$FLOOD_TOKENS"), "flood_conns": int("$FLOOD_CONNS"), "flood_budget": int("$FLOOD_BUDGET"),
  "flood_miss_rate": int("$FLOOD_MISS_RATE"), "flood_per_turn": "$FLOOD_PER_TURN" or "default",
  "flood_nice": "$FLOOD_NICE" or "default", "flood_per_second": "$FLOOD_PER_SECOND" or "default",
  "targets": {
    $FLOOD_TARGET
    $NOLOG_TARGET
    "nginx-plain": {"port": $PX_PORT, "pid": $PID_nginx_plain},
    "nginx-lua": {"port": $LUA_PORT, "pid": $PID_nginx_lua},
    "uma-pep": {"port": $UMA_PORT, "pid": $PID_uma_pep, "admin_port": $UMA_ADMIN},
    "nginx-plain-2w": {"port": $PX2_PORT, "pid": $PID_nginx_plain_2w},
    "uma-pep-2w": {"port": $UMA2_PORT, "pid": $PID_uma_pep_2w, "admin_port": $UMA2_ADMIN},
    "nginx-plain-tls": {"port": $PX_TLS_PORT, "pid": $PID_nginx_plain, "tls": True},
    "nginx-lua-tls": {"port": $LUA_TLS_PORT, "pid": $PID_nginx_lua, "tls": True},
    "uma-pep-tls": {"port": $UMA_TLS_PORT, "pid": $PID_uma_pep, "admin_port": $UMA_ADMIN, "tls": True},
    "uma-pep-jwt": {"port": $UMA_JWT_PORT, "pid": $PID_uma_pep_jwt, "admin_port": $UMA_JWT_ADMIN},
  },
  "upstream": {"port": $UP_PORT, "pid": $PID_upstream},
  "as": {"port": $AS_PORT, "pid": $PID_AS},
  "as_jwt": {"port": $AS_JWT_PORT, "pid": $PID_AS_JWT},
  "versions": {
    "uma-pep": """$("$BIN" version 2>/dev/null | head -n 1)""".strip(),
    "nginx": """$(nginx -v 2>&1)""".strip(),
    "wrk": """$(wrk -v 2>&1 | head -n 1)""".strip(),
    "openssl": """$(openssl version 2>/dev/null)""".strip(),
    "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  },
}
json.dump(state, open(sys.argv[1], "w"), indent=1)
EOF
echo "== run dir $RUN_DIR; layout $LAYOUT (wrk=${CPU_WRK:-any} proxies=${CPU_PROXY:-any} upstream+AS=${CPU_UP:-any})"
python3 "$HERE/tools/harness.py" "$RUN_DIR/state.json"
