#!/usr/bin/env bash
# Instruction counts per request under valgrind --tool=callgrind (docs/benchmarks.md, "What limits it").
#
# callgrind counts instructions, not seconds, so the numbers repeat whatever else the machine is doing. For each
# target (uma-pep, nginx-plain, nginx-lua; one worker, no master process for nginx) this starts it under
# callgrind with the upstream and the dev AS beside it (not profiled), warms it (token minted and cached),
# zeroes the counters, runs a bounded wrk load (c=8, PROFILE_DUR seconds), dumps, and prints instructions per
# request plus the top functions (inclusive and self) into Benchmarks/results/profile-<date>-<host>.txt.
#
# MODE=syscalls instead runs each target natively with `strace -c -f` attached during the load and reports
# system calls per request (Benchmarks/results/syscalls-<date>-<host>.txt).
#
# MODE=kernel runs each target natively under `perf record -e cpu-clock` (a software clock: this VM has no
# hardware counters) and reports where its CPU goes, kernel included: CPU time per 1 000 requests (user + system,
# from /proc), context switches and TCP segments per request (nstat: these count the whole machine, so the
# upstream's and wrk's segments are in them), and the share of samples per function, kernel and user space
# (Benchmarks/results/kernel-<date>-<host>.txt). The shares are what to compare between two builds; CPU time per
# request moves ±10 % from run to run on this machine. On a VM the cpu-clock timer cannot interrupt code that runs
# with interrupts off: those samples land where interrupts come back on, so `_raw_spin_unlock_irqrestore` and
# `finish_task_switch` carry the cost of the softirq and wake-up work before them. Needs `perf` (linux-perf),
# `nstat` (iproute2) and root or kernel.perf_event_paranoid <= 1; a run whose perf recorded nothing fails.
#
# Usage: Benchmarks/load/profile.sh          knobs: PROFILE_DUR=10 PATH_UNDER_TEST=/ (or /open: passthrough)
#        MODE=callgrind|syscalls|kernel TARGETS="uma-pep nginx-plain nginx-lua" BASE_PORT=19600 NO_BUILD=1 BIN=<path> KEEP=1
#        RESULTS_DIR=Benchmarks/results (where the report is written)
#        ACCESS_LOG=on|off (uma-pep's access log, on as users get it)
#        NO_TOKEN=1 (no Authorization header: with PATH_UNDER_TEST=/open, make bench's `passthrough` scenario)
#        TOKENS=N (uma-pep only: N RPTs round-robin through lua/bench.lua, like make bench's `many-tokens`;
#                  each is sent once first, as harness.py warms them, so that every token is cached before counting)
#        WARM_DUR=3 (seconds of wrk warm-up before counting)
#        TLS=1 (the load over TLS, like make bench's cached-grant-tls: uma-pep and nginx listen with TLS on a
#                  second port with one throwaway ECDSA P-256 certificate, TLS 1.2 + 1.3, wrk negotiates TLS 1.3;
#                  the handshakes of the 8 connections happen during the warm-up)
#        CALLGRIND_OPTS="--dump-instr=yes" (per-instruction costs, with KEEP=1, for objdump side by side)
#        MAX_MALLOCS_PER_REQUEST=0.05 (uma-pep, callgrind mode: the allocation threshold; exit 1 above it, after
#                  the report is written; empty: not checked). The load's 8 connections are accepted during the
#                  counted window and allocate about 30 times each, so the steady state is 0 per request when the
#                  figure stays under 0.05 (one allocation per request would read 1.0, one per 20 requests 0.05).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MODE=${MODE:-callgrind}; PROFILE_DUR=${PROFILE_DUR:-10}; PATH_UNDER_TEST=${PATH_UNDER_TEST:-/}; BASE_PORT=${BASE_PORT:-19600}
TARGETS=${TARGETS:-"uma-pep nginx-plain nginx-lua"}
RELEASE_FLAGS=${RELEASE_FLAGS:--c release -Xswiftc -Ounchecked}
# uma-pep runs as users get it: access log on (to its log file in the run directory). ACCESS_LOG=off: --no-access-log.
ACCESS_LOG=${ACCESS_LOG:-on}; ACCESS_LOG_FLAG=""; [ "$ACCESS_LOG" = off ] && ACCESS_LOG_FLAG=--no-access-log
RESULTS_DIR=${RESULTS_DIR:-$ROOT/Benchmarks/results}
# shellcheck source=lib.sh
source "$HERE/lib.sh"   # start-up, wait and cleanup helpers shared by these scripts
require_tools nginx wrk curl python3
case $MODE in
  callgrind) require_tools valgrind callgrind_annotate callgrind_control ;;
  syscalls) require_tools strace ;;
  kernel) require_tools perf nstat ;;
  *) echo "unknown MODE $MODE (callgrind, syscalls or kernel)" >&2; exit 2 ;;
esac
resolve_bin
# Targets under callgrind answer slowly: wait_http waits up to 120 s for each, 2 s per try.
WAIT_TRIES=600 WAIT_STEP=0.2 WAIT_MAX_TIME=2

start_run_dir profile
mkdir -p "$RUN_DIR/tmp" "$RUN_DIR/html" "$RUN_DIR/conf"; chmod 755 "$RUN_DIR" "$RUN_DIR/html"
# valgrind 3.19 cannot read the DWARF 5 the Swift toolchain emits ("Possibly corrupted debuginfo file"):
# profile a copy without debug sections; the symbol table still names every function.
cp "$BIN" "$RUN_DIR/uma-pep"; strip --strip-debug "$RUN_DIR/uma-pep"; BIN="$RUN_DIR/uma-pep"
head -c 4095 /dev/zero | tr '\0' a > "$RUN_DIR/html/4k"; echo >> "$RUN_DIR/html/4k"
head -c 65535 /dev/zero | tr '\0' b > "$RUN_DIR/html/64k"; echo >> "$RUN_DIR/html/64k"

mapfile -t PORTS < <(free_ports "$BASE_PORT" 5)
UP_PORT=${PORTS[0]}; AS_PORT=${PORTS[1]}; PORT=${PORTS[2]}; ADMIN=${PORTS[3]}; TLS_PORT=${PORTS[4]}
: > "$RUN_DIR/conf/no-tls.inc"   # the templates' TLS listener include (run.sh): none without TLS=1
TLS_INCLUDE="$RUN_DIR/conf/no-tls.inc"
if [ "${TLS:-}" = 1 ]; then   # as run.sh's TLS listeners
  mkdir -p "$RUN_DIR/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN_DIR/tls/key.pem" -out "$RUN_DIR/tls/cert.pem" 2>/dev/null
  TLS_INCLUDE="$RUN_DIR/conf/tls.inc"
  printf '%s\n' "listen 127.0.0.1:$TLS_PORT ssl reuseport backlog=4096;" "ssl_certificate $RUN_DIR/tls/cert.pem;" \
    "ssl_certificate_key $RUN_DIR/tls/key.pem;" "ssl_protocols TLSv1.2 TLSv1.3;" \
    "ssl_session_cache shared:profile:1m;" > "$TLS_INCLUDE"
fi
render() { # template name port -> conf path (the TLS listener only on the profiled targets)
  local include="$RUN_DIR/conf/no-tls.inc"; [ "$2" != upstream ] && include=$TLS_INCLUDE
  sed -e "s/@NAME@/$2/g" -e "s/@PORT@/$3/g" -e "s/@UP_PORT@/$UP_PORT/g" -e "s/@WORKERS@/1/g" \
    -e "s|@TLS_INCLUDE@|$include|g" \
    -e "s/^master_process on;/master_process off;/" "$HERE/conf/$1.conf" > "$RUN_DIR/conf/$2.conf"
  echo "$RUN_DIR/conf/$2.conf"
}
nginx -p "$RUN_DIR" -e "$RUN_DIR/logs/upstream.err" -c "$(render upstream upstream "$UP_PORT")" &
PIDS+=($!)
start_dev_as dev-as "$AS_PORT"
wait_http "http://127.0.0.1:$UP_PORT/"

sed -n '/^write_config() {/,/^}/p' "$HERE/run.sh" > "$RUN_DIR/write_config.sh"
# shellcheck disable=SC1091
source "$RUN_DIR/write_config.sh"

mkdir -p "$RESULTS_DIR"
if [ "$MODE" = kernel ]; then
  OUT="$RESULTS_DIR/kernel-$(date +%Y-%m-%d)-$(hostname).txt"; PREFIX=()
elif [ "$MODE" = syscalls ]; then
  OUT="$RESULTS_DIR/syscalls-$(date +%Y-%m-%d)-$(hostname).txt"; PREFIX=()
else
  OUT="$RESULTS_DIR/profile-$(date +%Y-%m-%d)-$(hostname).txt"
  # shellcheck disable=SC2206 # CALLGRIND_OPTS (e.g. --dump-instr=yes) splits into words on purpose
  PREFIX=(valgrind --tool=callgrind --callgrind-out-file="$RUN_DIR/callgrind.%p" ${CALLGRIND_OPTS:-})
fi
{
  echo "# $MODE per request — $(date '+%Y-%m-%d %H:%M') on $(hostname)"
  echo "# path $PATH_UNDER_TEST, wrk -t1 -c8 -d${PROFILE_DUR}s after warm-up$([ "${TLS:-}" = 1 ] && echo ", over TLS")$([ "${NO_TOKEN:-}" = 1 ] && echo ", no Authorization header")$([ -n "${TOKENS:-}" ] && echo ", uma-pep with $TOKENS tokens round-robin"); uma-pep $("$BIN" version | head -n 1)"
} > "$OUT"

for target in $TARGETS; do
  case $target in
    uma-pep)
      write_config "$RUN_DIR/conf/uma-pep.yaml" "$PORT" "$ADMIN" 1 "$([ "${TLS:-}" = 1 ] && echo "$TLS_PORT")"
      "${PREFIX[@]}" "$BIN" serve --config "$RUN_DIR/conf/uma-pep.yaml" $ACCESS_LOG_FLAG --log-level warning \
        > "$RUN_DIR/logs/$target.out" 2>&1 &
      PID=$!; PIDS+=($PID)
      wait_http "http://127.0.0.1:$ADMIN/readyz"
      TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$AS_PORT/_dev/tokens" \
        -d '{"lifetime":86400,"permissions":[{"resource_path":"/","http_method":"GET","scopes":["read"]},
             {"resource_path":"/4k","http_method":"GET","scopes":["read"]},
             {"resource_path":"/64k","http_method":"GET","scopes":["read"]}]}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ;;
    nginx-plain|nginx-lua)
      template=proxy; [ "$target" = nginx-lua ] && template=pep
      "${PREFIX[@]}" nginx -p "$RUN_DIR" -e "$RUN_DIR/logs/$target.err" -c "$(render "$template" "$target" "$PORT")" \
        > "$RUN_DIR/logs/$target.out" 2>&1 &
      PID=$!; PIDS+=($PID)
      wait_http "http://127.0.0.1:$PORT/open"
      TOKEN=tok-0000042 ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  URL="http://127.0.0.1:$PORT$PATH_UNDER_TEST"; CURL_TLS=()
  [ "${TLS:-}" = 1 ] && { URL="https://127.0.0.1:$TLS_PORT$PATH_UNDER_TEST"; CURL_TLS=(-k); }
  AUTH=(-H "Authorization: Bearer $TOKEN"); [ "${NO_TOKEN:-}" = 1 ] && AUTH=()
  if [ -n "${TOKENS:-}" ] && [ "$target" = uma-pep ]; then
    # Many RPTs round-robin (make bench's many-tokens): minted through the dev AS, each sent once (its
    # introspection and check-access cached, as harness.py warms them), then sent by lua/bench.lua.
    python3 -c "import sys; sys.path.insert(0, '$HERE/tools'); import httpc
perms = [{'resource_path': p, 'http_method': 'GET', 'scopes': ['read']} for p in ('/', '/4k', '/64k')]
tokens = httpc.mint_tokens($AS_PORT, $TOKENS, perms)
bad = [status for status in httpc.warm($PORT, tokens, ['$PATH_UNDER_TEST']) if status != 200]
if bad: sys.exit(f'warm-up: {len(bad)} of {len(tokens)} requests not 200 ({bad[:5]})')
print('\n'.join(tokens))" > "$RUN_DIR/tokens.txt"
    export BENCH_TOKENS="$RUN_DIR/tokens.txt" BENCH_PATH="$PATH_UNDER_TEST"
    AUTH=(-s "$HERE/lua/bench.lua")
  else
    for _ in 1 2 3; do curl -s "${CURL_TLS[@]}" -o /dev/null "${AUTH[@]}" "$URL"; done
  fi
  wrk -t1 -c8 -d"${WARM_DUR:-3}s" "${AUTH[@]}" "$URL" > /dev/null   # warm (JIT, pools, caches)
  if [ "$MODE" = kernel ]; then
    cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }   # utime + stime, in clock ticks
    switches() { cat /proc/"$PID"/task/*/status | awk '/ctxt_switches/{s += $2} END{print s}'; }
    perf record -q -e cpu-clock -F 2000 -o "$RUN_DIR/perf.$target" -p "$PID" 2>"$RUN_DIR/logs/perf.$target.err" &
    PERF=$!; sleep 0.5
    if ! kill -0 "$PERF" 2>/dev/null; then
      echo "perf record stopped at once (root or kernel.perf_event_paranoid <= 1 is needed):" >&2
      cat "$RUN_DIR/logs/perf.$target.err" >&2
      exit 1
    fi
    TICKS0=$(cpu_ticks); SWITCHES0=$(switches); nstat -n > /dev/null
    LOAD=$(wrk -t1 -c8 -d"${PROFILE_DUR}s" "${AUTH[@]}" "$URL")
    SEGMENTS=$(nstat); TICKS1=$(cpu_ticks); SWITCHES1=$(switches)
    kill -INT "$PERF" 2>/dev/null || true; wait "$PERF" 2>/dev/null || true
    REQUESTS=$(awk '/requests in/{print $1}' <<<"$LOAD")
    kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true
    SAMPLES=$(perf report -i "$RUN_DIR/perf.$target" --stdio 2>/dev/null | awk '/^# Samples:/{print $3; exit}' || true)
    if [ -z "$SAMPLES" ] || [ "$SAMPLES" = 0 ]; then
      echo "perf recorded no samples of $target (see $RUN_DIR/logs/perf.$target.err):" >&2
      cat "$RUN_DIR/logs/perf.$target.err" >&2
      exit 1
    fi
    SUMMARY=$(python3 -c "import os; r = $REQUESTS; hz = os.sysconf('SC_CLK_TCK')
print(f'CPU {($TICKS1 - $TICKS0) / hz / r * 1000 * 1000:.1f} ms per 1 000 requests, '
      f'{($SWITCHES1 - $SWITCHES0) / r:.3f} context switches per request')")
    {
      echo
      echo "## $target: $REQUESTS requests, $SUMMARY"
      awk -v r="$REQUESTS" '/^(TcpInSegs|TcpOutSegs|TcpExtTCPPureAcks|TcpExtDelayedACKs) /{printf "%s %.3f per request\n", $1, $2 / r}' \
        <<<"$SEGMENTS"
      echo "### share of CPU samples (top 60)"
      perf report -i "$RUN_DIR/perf.$target" --no-children --sort dso,sym --stdio 2>/dev/null \
        | grep '%' | grep -v '^#' | head -n 60 || true
    } >> "$OUT"
    echo "$target: $REQUESTS requests, $SUMMARY"
    continue
  fi
  if [ "$MODE" = syscalls ]; then
    strace -c -f -q -o "$RUN_DIR/strace.$target" -p "$PID" &
    STRACE=$!; sleep 1
    LOAD=$(wrk -t1 -c8 -d"${PROFILE_DUR}s" "${AUTH[@]}" "$URL")
    kill -INT "$STRACE"; wait "$STRACE" 2>/dev/null || true
    REQUESTS=$(awk '/requests in/{print $1}' <<<"$LOAD")
    kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true
    CALLS=$(awk '$NF=="total"{print $(NF-2)}' "$RUN_DIR/strace.$target")
    {
      echo
      echo "## $target: $REQUESTS requests, $CALLS system calls => $(python3 -c "print(round($CALLS/$REQUESTS, 2))") per request"
      cat "$RUN_DIR/strace.$target"
    } >> "$OUT"
    echo "$target: $REQUESTS requests, $(python3 -c "print(round($CALLS/$REQUESTS, 2))") system calls/request"
    continue
  fi
  callgrind_control -z "$PID" > /dev/null
  LOAD=$(wrk -t1 -c8 -d"${PROFILE_DUR}s" "${AUTH[@]}" "$URL")
  callgrind_control -d "$PID" > /dev/null
  sleep 1
  REQUESTS=$(awk '/requests in/{print $1}' <<<"$LOAD")
  kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true
  DUMP=$(ls -t "$RUN_DIR"/callgrind."$PID".1 2>/dev/null | head -n 1)
  [ -n "$DUMP" ] || { echo "no callgrind dump for $target" >&2; ls "$RUN_DIR" >&2; exit 1; }
  mv "$DUMP" "$RUN_DIR/callgrind.$target.out"; DUMP="$RUN_DIR/callgrind.$target.out"
  TOTAL=$(callgrind_annotate "$DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1; exit}')
  {
    echo
    echo "## $target: $REQUESTS requests, $TOTAL instructions => $((TOTAL / REQUESTS)) instructions/request"
    echo "### inclusive (top 40)"
    callgrind_annotate --inclusive=yes --threshold=99 "$DUMP" 2>/dev/null | sed -n "/^Ir/,\$p" | head -n 42 || true
    echo "### self (top 40; callgrind lists the event-loop frames first as one cycle)"
    callgrind_annotate --threshold=100 "$DUMP" 2>/dev/null | sed -n "/file:function/,\$p" | head -n 42 || true
  } >> "$OUT"
  echo "$target: $REQUESTS requests, $((TOTAL / REQUESTS)) instructions/request"
  if [ "$target" = uma-pep ]; then
    # Calls to the C allocator (every caller: Swift objects, libevent, OpenSSL), per request.
    ALLOCS=$(python3 "$HERE/tools/mallocs.py" "$DUMP" "$REQUESTS")
    { echo "### allocations"; echo "$ALLOCS"; } >> "$OUT"
    echo "$target: $(head -n 1 <<<"$ALLOCS")"
    PER_REQUEST=$(awk '/per request/{print $(NF-2)}' <<<"$ALLOCS")
    if [ -n "${MAX_MALLOCS_PER_REQUEST-0.05}" ] && python3 -c \
        "import sys; sys.exit(0 if $PER_REQUEST > ${MAX_MALLOCS_PER_REQUEST-0.05} else 1)"; then
      echo "FAIL: $PER_REQUEST allocations per request > MAX_MALLOCS_PER_REQUEST=${MAX_MALLOCS_PER_REQUEST-0.05}" >&2
      ALLOC_FAILED=1
    fi
  fi
done
if command -v swift >/dev/null; then   # readable Swift names
  swift demangle --simplified < "$OUT" | sed -e "s| \[$RUN_DIR/uma-pep\]||" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
fi
echo "wrote $OUT"
[ -z "${ALLOC_FAILED:-}" ]
