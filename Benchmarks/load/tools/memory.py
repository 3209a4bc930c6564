#!/usr/bin/env python3
"""Memory steps of Benchmarks/load/memory.sh: idle RSS, then per step mint + warm + many-tokens load.

Prints a plain-text report (one table, then the idle process's smaps_rollup). Only 127.0.0.1 is contacted.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpc  # noqa: E402
import procstat  # noqa: E402

PERMISSIONS = [
    {"resource_path": path, "http_method": "GET", "scopes": ["read"]} for path in ("/", "/4k", "/64k", "/api/??")
]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rollup(pid):
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
        return handle.read()


def by_mapping(pid, top=12):
    """RSS (KiB) per mapped file ([heap], [stack], anonymous, libraries) from /proc/<pid>/smaps, largest first."""
    totals = {}
    name = None
    with open(f"/proc/{pid}/smaps", encoding="ascii", errors="replace") as handle:
        for line in handle:
            head = line.split()
            if not head:
                continue
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                name = os.path.basename(head[5]) if len(head) > 5 else "[anonymous]"
            elif head[0] == "Rss:" and name is not None:
                totals[name] = totals.get(name, 0) + int(head[1])
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return ranked[:top], sum(totals.values())


def caches(admin_port):
    _, _, body = httpc.get(admin_port, "/cache")
    data = json.loads(body)["caches"]
    return {name: data[name] for name in ("introspection", "decision")}


def as_calls(as_port):
    _, _, body = httpc.get(as_port, "/_dev/calls")
    return sum(json.loads(body).get("counts", {}).values())


def log(message):
    print(f"[memory {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    for name in ("as-port", "port", "admin-port", "pid", "dur", "conns"):
        parser.add_argument(f"--{name}", type=int, required=True)
    for name in ("steps", "run-dir", "wrk-script", "label"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    pid = args.pid
    time.sleep(1)
    idle_rss = status_kib(pid, "VmRSS")
    idle_rollup = rollup(pid)
    idle_mappings, _ = by_mapping(pid)
    threads = status_kib(pid, "Threads")
    log(f"idle: VmRSS {idle_rss} KiB, {threads} threads")
    tokens = []
    rows = []
    url = f"http://127.0.0.1:{args.port}/"
    for step in [int(s) for s in args.steps.split()]:
        if step > len(tokens):
            started = time.time()
            fresh = httpc.mint_tokens(args.as_port, step - len(tokens), PERMISSIONS, concurrency=8)
            log(f"minted {len(fresh)} RPTs in {time.time() - started:.1f} s")
            started = time.time()
            statuses = httpc.warm(args.port, fresh, ["/"])
            bad = [s for s in statuses if s != 200]
            if bad:
                raise SystemExit(f"warm-up: {len(bad)} of {len(statuses)} not 200 ({bad[:5]})")
            log(f"warmed {len(fresh)} in {time.time() - started:.1f} s")
            tokens += fresh
        time.sleep(1)
        warm_rss = status_kib(pid, "VmRSS")
        warm_hwm = status_kib(pid, "VmHWM")
        path = os.path.join(args.run_dir, f"tokens-{step}.txt")
        with open(path, "w", encoding="ascii") as handle:
            handle.write("\n".join(tokens[:step]) + "\n")
        calls_before = as_calls(args.as_port)
        procstat.reset_peak_rss([pid])
        env = dict(os.environ, BENCH_PATH="/", BENCH_TOKEN="", BENCH_TOKENS=path, BENCH_OUT="")
        completed = subprocess.run(
            ["wrk", "-t1", f"-c{args.conns}", f"-d{args.dur}s", "--timeout", "5s", "-s", args.wrk_script, url],
            env=env, stdout=subprocess.PIPE, text=True, timeout=args.dur + 120, check=True)
        peak = procstat.peak_rss_kib([pid])
        after = status_kib(pid, "VmRSS")
        calls = as_calls(args.as_port) - calls_before
        rps = next((line.split()[1] for line in completed.stdout.splitlines() if line.startswith("Requests/sec")), "?")
        stats = caches(args.admin_port)
        row = {
            "tokens": step, "warm_rss": warm_rss, "warm_hwm": warm_hwm, "peak": peak, "after": after,
            "bytes_per_token": round((warm_rss - idle_rss) * 1024 / step), "as_calls": calls, "rps": rps,
            "entries": "/".join(str(stats[c]["entries"]) for c in stats),
            "evictions": "/".join(str(stats[c]["evictions"]) for c in stats),
        }
        rows.append(row)
        log(f"{step} tokens: RSS {warm_rss} KiB after warming (HWM {warm_hwm}), peak {peak} KiB under load, "
            f"{row['bytes_per_token']} B/token, AS calls {calls}, {rps} req/s")
    print(f"# uma-pep memory, {time.strftime('%Y-%m-%d %H:%M')} on {os.uname().nodename}: {args.label}")
    print(f"# wrk -t1 -c{args.conns} -d{args.dur}s round-robin over the tokens; KiB unless noted")
    print(f"idle VmRSS {idle_rss} KiB ({idle_rss / 1024:.1f} MiB), {threads} threads")
    print()
    print("| tokens | RSS warmed MiB | HWM while warming MiB | peak RSS under load MiB | bytes/token | AS calls "
          "under load | req/s | entries introspection/decision | evictions |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['tokens']} | {row['warm_rss'] / 1024:.1f} | {row['warm_hwm'] / 1024:.1f} | "
              f"{row['peak'] / 1024:.1f} | {row['bytes_per_token']} | {row['as_calls']} | {row['rps']} | "
              f"{row['entries']} | {row['evictions']} |")
    print()
    print("## idle RSS by mapping (KiB)")
    for name, kib in idle_mappings:
        print(f"{kib:>8}  {name}")
    print()
    final_mappings, _ = by_mapping(pid, top=6)
    print("## final RSS by mapping (KiB)")
    for name, kib in final_mappings:
        print(f"{kib:>8}  {name}")
    print()
    print("## idle smaps_rollup")
    print(idle_rollup)
    print("## final smaps_rollup")
    print(rollup(pid))


if __name__ == "__main__":
    main()
