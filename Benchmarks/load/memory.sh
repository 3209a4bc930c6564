#!/usr/bin/env bash
# Resident memory of uma-pep with many cached tokens (issue 11: "peak RSS ≤ 64 MiB with 100 000 cached tokens";
# docs/benchmarks.md, "Memory with 100 000 tokens").
#
# Starts the nginx upstream, the dev AS and one uma-pep (1 worker, the configuration of run.sh) on 127.0.0.1,
# records the idle process (VmRSS, /proc/<pid>/smaps_rollup, threads), then for each step of STEPS mints RPTs up
# to that many distinct tokens, warms them (one GET each: introspection and check-access cached), and runs the
# many-tokens load (wrk round-robin over every token, c=CONNS, DUR seconds) with VmHWM reset before it
# (`clear_refs` 5, as run.sh does). Per step: RSS after warming, peak RSS during the load, bytes per cached token
# ((RSS after warming - idle RSS) / tokens), authorization-server calls during the load (0: every token stayed
# cached) and the caches' entries and evictions. Writes Benchmarks/results/memory-<date>-<host>.txt.
#
# Usage: Benchmarks/load/memory.sh     knobs: STEPS="10000 100000" DUR=5 CONNS=64 CACHE_ENTRIES=200000
#        NO_BUILD=1 BIN=<path> KEEP=1 BASE_PORT=19500 UMA_ENV="MALLOC_ARENA_MAX=1 ..." (extra environment for uma-pep)
#        UMA_WRAP="heaptrack -o /tmp/ht" (a command uma-pep runs under; the RSS figures are then the wrapper's)
# CACHE_ENTRIES: uma-pep's cache.max_entries. The default (100 000) cannot keep 100 000 tokens: the caches are
# striped (32 LRU stripes of max_entries/32 each) and the fuller stripes evict, after which a round-robin load
# misses on every token of those stripes. 200 000 keeps them all.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STEPS=${STEPS:-"10000 100000"}; DUR=${DUR:-5}; CONNS=${CONNS:-64}; BASE_PORT=${BASE_PORT:-19500}
CACHE_ENTRIES=${CACHE_ENTRIES:-200000}; UMA_ENV=${UMA_ENV:-}; UMA_WRAP=${UMA_WRAP:-}
RELEASE_FLAGS=${RELEASE_FLAGS:--c release -Xswiftc -Ounchecked}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/Benchmarks/results}
# shellcheck source=lib.sh
source "$HERE/lib.sh"   # start-up, wait and cleanup helpers shared by these scripts
require_tools nginx wrk curl python3
resolve_bin

start_run_dir memory
mkdir -p "$RUN_DIR/tmp" "$RUN_DIR/html" "$RUN_DIR/conf"; chmod 755 "$RUN_DIR" "$RUN_DIR/html"
mapfile -t PORTS < <(free_ports "$BASE_PORT" 4)
UP_PORT=${PORTS[0]}; AS_PORT=${PORTS[1]}; PORT=${PORTS[2]}; ADMIN=${PORTS[3]}
: > "$RUN_DIR/conf/no-tls.inc"
sed -e "s/@NAME@/upstream/g" -e "s/@PORT@/$UP_PORT/g" -e "s/@UP_PORT@/$UP_PORT/g" -e "s/@WORKERS@/1/g" \
  -e "s|@TLS_INCLUDE@|$RUN_DIR/conf/no-tls.inc|g" "$HERE/conf/upstream.conf" > "$RUN_DIR/conf/upstream.conf"
nginx -p "$RUN_DIR" -e "$RUN_DIR/logs/upstream.err" -c "$RUN_DIR/conf/upstream.conf" &
PIDS+=($!)
start_dev_as dev-as "$AS_PORT"
wait_http "http://127.0.0.1:$UP_PORT/"

sed -n '/^write_config() {/,/^}/p' "$HERE/run.sh" > "$RUN_DIR/write_config.sh"
# shellcheck disable=SC1091
source "$RUN_DIR/write_config.sh"
export CACHE_ENTRIES
write_config "$RUN_DIR/conf/uma-pep.yaml" "$PORT" "$ADMIN" 1
SERVE_WRAP="env $UMA_ENV $UMA_WRAP" start_serve uma-pep "$RUN_DIR/conf/uma-pep.yaml" "$ADMIN" --log-level warning
UMA_PID=$SPAWNED

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/memory-$(date +%Y-%m-%d)-$(hostname).txt"
python3 "$HERE/tools/memory.py" --as-port "$AS_PORT" --port "$PORT" --admin-port "$ADMIN" --pid "$UMA_PID" \
  --steps "$STEPS" --dur "$DUR" --conns "$CONNS" --run-dir "$RUN_DIR" --wrk-script "$HERE/lua/bench.lua" \
  --label "uma-pep $("$BIN" version | head -n 1); cache.max_entries $CACHE_ENTRIES; env: ${UMA_ENV:-none}" \
  | tee "$OUT"
echo "wrote $OUT"
