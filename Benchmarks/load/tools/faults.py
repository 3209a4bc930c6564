#!/usr/bin/env python3
"""Fault cases for Benchmarks/load/faults.sh: what a client of uma-pep sees when the authorization server or the
upstream misbehaves. Each case arms one fault, sends a bounded number of requests to 127.0.0.1 one after the
other, and prints the statuses and latencies (p50 / max, milliseconds); all cases are also written as JSON.

Exits 1 when a case's statuses are not the documented ones (docs/operations.md).

Usage: faults.py STATE_JSON  (written by faults.sh: ports, PIDs, per-case request count, output file)
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpc  # noqa: E402

PATHS = ("/ok/??", "/slow/??", "/reset/??", "/garbage/??")
PERMISSIONS = [{"resource_path": path, "http_method": "GET", "scopes": ["read"]} for path in PATHS]


class Faults:
    def __init__(self, state):
        self.state = state
        self.as_port = state["as_port"]
        self.proxy_port = state["proxy_port"]
        self.count = state["requests"]
        self.results = []
        self.upstream = None
        self.cached = httpc.mint_tokens(self.as_port, 1, PERMISSIONS)[0]

    def fault(self, kind, count, delay_ms=0, status=500):
        body = json.dumps({"endpoint": "/introspect-rpt", "kind": kind, "count": count, "status": status,
                           "delay_ms": delay_ms}).encode()
        status_code, _, answer = httpc.get(self.as_port, "/_dev/fault", {"Content-Type": "application/json"},
                                           method="POST", body=body)
        if status_code != 200:
            raise SystemExit(f"POST /_dev/fault answered {status_code}: {answer[:200]!r}")

    def clear(self):
        httpc.get(self.as_port, "/_dev/fault", method="DELETE")

    def run_case(self, name, path, tokens, expectation):
        statuses, latencies = {}, []
        for token in tokens:
            started = time.perf_counter()
            try:
                status, _, _ = httpc.get(self.proxy_port, path, {"Authorization": f"Bearer {token}"})
                key = str(status)
            except Exception as error:  # noqa: BLE001 - a failed exchange is a result here
                key = f"error: {type(error).__name__}"
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[key] = statuses.get(key, 0) + 1
        latencies.sort()
        case = {"case": name, "path": path, "requests": len(tokens), "statuses": statuses,
                "p50_ms": round(latencies[len(latencies) // 2], 1), "max_ms": round(latencies[-1], 1),
                "expected": expectation}
        case["as_expected"] = statuses == {expectation.split()[0]: len(tokens)}
        self.results.append(case)
        print(f"  {name:44} {json.dumps(statuses):24} p50 {case['p50_ms']:>8.1f} ms  max {case['max_ms']:>8.1f} ms"
              f"   (expected: {expectation}){'' if case['as_expected'] else '  UNEXPECTED'}", flush=True)

    def fresh(self, count=None):
        return httpc.mint_tokens(self.as_port, count or self.count, PERMISSIONS)

    def start_upstream(self):
        self.upstream = subprocess.Popen([sys.executable, self.state["fault_upstream"], str(self.state["upstream_port"])])
        for _ in range(100):
            try:
                httpc.get(self.state["upstream_port"], "/ok/ping")
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the restarted fault upstream did not come up")

    def run(self):
        n = self.count
        print(f"== fault cases, {n} requests each (one at a time) through uma-pep on 127.0.0.1:{self.proxy_port}")
        self.run_case("baseline (cached grant)", "/ok/1", [self.cached] * n, "200")
        self.run_case("baseline (new token: introspect + check)", "/ok/1", self.fresh(), "200")
        # Upstream faults, cached grant (no AS call).
        self.run_case("upstream slow 300 ms", "/slow/300/x", [self.cached] * n, "200 after ~300 ms")
        self.run_case("upstream slow 3 s > upstream_read_timeout 2s", "/slow/3000/x", [self.cached] * min(n, 3),
                      "504 after ~2 s")
        self.run_case("upstream reset", "/reset/x", [self.cached] * n, "502 at once")
        self.run_case("upstream garbage", "/garbage/x", [self.cached] * n, "502 at once")
        os.kill(self.state["upstream_pid"], signal.SIGTERM)
        time.sleep(0.3)
        self.run_case("upstream down (connection refused)", "/ok/1", [self.cached] * n, "502 at once")
        self.start_upstream()
        self.run_case("upstream back", "/ok/1", [self.cached] * n, "200")
        # Authorization-server faults, new tokens (each needs an introspection).
        tokens = self.fresh()
        self.fault("hang", n, delay_ms=300)
        self.run_case("AS slow 300 ms", "/ok/1", tokens, "200 after ~300 ms")
        tokens = self.fresh(min(n, 3))
        self.fault("hang", len(tokens), delay_ms=3000)
        self.run_case("AS slow 3 s > timeout 1s", "/ok/1", tokens, "502 after ~1 s")
        self.clear()
        tokens = self.fresh()
        self.fault("garbage", n)
        self.run_case("AS garbage (truncated JSON)", "/ok/1", tokens, "502 at once")
        tokens = self.fresh()
        self.fault("status", n, status=500)
        self.run_case("AS error (500)", "/ok/1", tokens, "502 at once")
        self.clear()
        tokens = self.fresh()
        os.kill(self.state["as_pid"], signal.SIGTERM)
        time.sleep(0.3)
        self.run_case("AS down, new tokens", "/ok/1", tokens, "502 at once")
        self.run_case("AS down, cached grant", "/ok/1", [self.cached] * n, "200 (from the cache)")
        with open(self.state["output"], "w", encoding="utf-8") as handle:
            json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cases": self.results,
                       "loadavg": open("/proc/loadavg").read().split()[:3]}, handle, indent=1)
        print(f"== wrote {self.state['output']}")

    def close(self):
        if self.upstream is not None:
            self.upstream.terminate()
            try:
                self.upstream.wait(5)
            except subprocess.TimeoutExpired:
                self.upstream.kill()


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        state = json.load(handle)
    faults = Faults(state)
    try:
        faults.run()
    finally:
        faults.close()
    unexpected = [case["case"] for case in faults.results if not case["as_expected"]]
    if unexpected:
        print(f"UNEXPECTED statuses in: {', '.join(unexpected)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
