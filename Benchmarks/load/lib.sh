# Shell functions shared by Benchmarks/load/run.sh and profile.sh (sourced; not run on its own).

# Stops every PID in PIDS (SIGTERM, up to 5 s, then SIGKILL) and removes RUN_DIR unless KEEP is set.
# Installed as the EXIT trap by the scripts.
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do
    alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
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
