# Shell functions shared by the scripts in Benchmarks/load (run.sh, profile.sh, memory.sh, soak.sh, faults.sh,
# redis.sh). Sourced right after HERE and ROOT are set; not run on its own. Every process goes on 127.0.0.1 only,
# is recorded in PIDS and is stopped by cleanup (the EXIT trap set by start_run_dir).

# require_tools TOOL...: exits 2 naming the first TOOL not on PATH.
require_tools() {
  local b
  for b in "$@"; do
    command -v "$b" >/dev/null || { echo "missing $b (run scripts/install-deps --bench)" >&2; exit 2; }
  done
}

# resolve_bin: sets BIN to the uma-pep binary. A BIN already set is used as given; otherwise
# `swift build $RELEASE_FLAGS --product uma-pep` runs (skipped with NO_BUILD set) and BIN is the product in
# `swift build $RELEASE_FLAGS --show-bin-path`. Exits 2 when BIN is not an executable file.
resolve_bin() {
  if [ -z "${BIN:-}" ]; then
    # shellcheck disable=SC2086
    if [ -z "${NO_BUILD:-}" ]; then (cd "$ROOT" && swift build $RELEASE_FLAGS --product uma-pep); fi
    # shellcheck disable=SC2086
    BIN="$(cd "$ROOT" && swift build $RELEASE_FLAGS --show-bin-path)/uma-pep"
  fi
  [ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 2; }
}

# start_run_dir NAME: creates RUN_DIR (/tmp/uma-pep-NAME.XXXXXX) with a logs/ directory, empties PIDS and
# installs cleanup as the EXIT trap (INT and TERM exit 130, which runs it).
start_run_dir() {
  RUN_DIR=$(mktemp -d "/tmp/uma-pep-$1.XXXXXX")
  mkdir -p "$RUN_DIR/logs"
  PIDS=()
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# descendants PID...: prints the PIDs of every descendant of the given processes, children first.
descendants() {
  local p child
  for p in "$@"; do
    for child in $(pgrep -P "$p" 2>/dev/null); do echo "$child"; descendants "$child"; done
  done
}

# Stops every PID in PIDS and their descendants (a server run under a wrapper such as `heaptrack`, which does
# not exec it) with SIGTERM, up to 5 s, then SIGKILL, and removes RUN_DIR unless KEEP is set.
# Installed as the EXIT trap by start_run_dir.
cleanup() {
  set +e
  local all
  mapfile -t all < <(descendants "${PIDS[@]}"; printf '%s\n' "${PIDS[@]}")
  for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do
    alive=0; for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for p in "${all[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "kept $RUN_DIR" >&2; else rm -rf "$RUN_DIR"; fi
}

# free_ports BASE COUNT: prints COUNT ports from BASE..BASE+400, one per line, that nothing listens on and
# that bind on 127.0.0.1; fails when there are not enough.
free_ports() {
  python3 - "$1" "$2" <<'PYEOF'
import socket, sys
base, want = int(sys.argv[1]), int(sys.argv[2])
found = []
for port in range(base, base + 400):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    found.append(port)
    if len(found) == want:
        break
if len(found) < want:
    sys.exit(f"not enough free ports from {base}")
print("\n".join(map(str, found)))
PYEOF
}

# wait_http URL [STATUS]: polls URL with curl until it answers STATUS (default 200). Gives up after WAIT_TRIES
# tries (default 300) WAIT_STEP seconds apart (default 0.1), each bounded by WAIT_MAX_TIME seconds (default 1):
# then prints the last status and the tail of every log in RUN_DIR/logs and exits 1.
wait_http() {
  local want=${2:-200} got=""
  for _ in $(seq 1 "${WAIT_TRIES:-300}"); do
    got=$(curl -s -o /dev/null -w '%{http_code}' --max-time "${WAIT_MAX_TIME:-1}" "$1" 2>/dev/null || true)
    [ "$got" = "$want" ] && return 0
    sleep "${WAIT_STEP:-0.1}"
  done
  echo "not up: $1 (last status ${got:-none})" >&2; tail -n 20 "$RUN_DIR"/logs/* >&2; exit 1
}

# spawn NAME CMD [ARG...]: runs CMD in the background with stdout and stderr in RUN_DIR/logs/NAME.out, pinned
# with `taskset -c $PIN` when PIN is set; appends its PID to PIDS and sets SPAWNED to it (the command's own PID:
# the shell execs it, so signals reach the server itself).
spawn() {
  local name=$1
  shift
  # shellcheck disable=SC2086
  ${PIN:+taskset -c $PIN} "$@" > "$RUN_DIR/logs/$name.out" 2>&1 &
  SPAWNED=$!
  PIDS+=("$SPAWNED")
}

# start_dev_as NAME PORT [ARG...]: spawns `uma-pep dev-as` (log level warning, no access log, extra ARGs) on
# 127.0.0.1:PORT as NAME and waits for its /_dev/clock. SPAWNED is its PID.
start_dev_as() {
  local name=$1 port=$2
  shift 2
  spawn "$name" "$BIN" dev-as --listen "127.0.0.1:$port" --log-level warning --no-access-log "$@"
  wait_http "http://127.0.0.1:$port/_dev/clock"
}

# start_serve NAME CONFIG ADMIN_PORT [ARG...]: checks CONFIG with `uma-pep check-config` (exits 1 printing its
# report when refused), spawns `uma-pep serve --config CONFIG ARG...` as NAME and waits until the admin listener
# on 127.0.0.1:ADMIN_PORT answers /readyz 200 (resources registered). SPAWNED is its PID. SERVE_WRAP, when set,
# is a command (split into words) that the server runs under, e.g. "env MALLOC_ARENA_MAX=1" or "heaptrack -o F".
start_serve() {
  local name=$1 config=$2 admin=$3
  shift 3
  "$BIN" check-config "$config" > "$RUN_DIR/logs/$name.check" || { cat "$RUN_DIR/logs/$name.check"; exit 1; }
  # shellcheck disable=SC2086 # SERVE_WRAP splits into words on purpose
  spawn "$name" ${SERVE_WRAP:-} "$BIN" serve --config "$config" "$@"
  wait_http "http://127.0.0.1:$admin/readyz"
}

# dev_as_yaml PORT [FIELD...]: prints the configuration's `authorization_servers:` block for `uma-pep dev-as` on
# 127.0.0.1:PORT: one server, `dev`, in oxd mode with the demo client, registering resources; each FIELD (e.g.
# "timeout: 1s") is added to it. For the scripts' configuration heredocs: `$(dev_as_yaml "$AS_PORT")`.
dev_as_yaml() {
  local port=$1 field
  shift
  printf '%s\n' "authorization_servers:" "  dev:" "    mode: oxd" "    oxd_url: http://127.0.0.1:$port" \
    "    op_url: http://127.0.0.1:$port" "    oxd_id: demo-oxd-id" "    client_id: demo-client" \
    "    client_secret: demo-secret" "    register_resources: true"
  for field in "$@"; do printf '    %s\n' "$field"; done
}
