#!/usr/bin/env python3
"""Load-harness driver, started by Benchmarks/load/run.sh once every server is up.

Reads run.sh's state file (ports, pids, CPU layout, knobs), mints and warms RPTs through the development
authorization server, checks every target answers as expected, runs each scenario for every target in
alternation (A B C A B C ...) with wrk, samples CPU time and peak RSS from /proc, and hands the runs to
report.py (JSON, Markdown, gnuplot). Only 127.0.0.1 is ever contacted; every wrk run is time-bounded.

Usage: harness.py STATE_JSON
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpc  # noqa: E402
import procstat  # noqa: E402
import report  # noqa: E402

UMA_TARGETS = ("uma-pep", "uma-pep-2w", "uma-pep-tls", "uma-pep-flood", "uma-pep-jwt", "uma-pep-nolog")
THREE = ["nginx-plain", "nginx-lua", "uma-pep"]
# The same three over TLS (second listeners of the same processes; the TLS variant of issue 7).
THREE_TLS = ["nginx-plain-tls", "nginx-lua-tls", "uma-pep-tls"]

# name -> (path, authorization: one | many | none, targets, expected status)
SCENARIOS = {
    "cached-grant": ("/", "one", THREE, 200),
    "cached-grant-tls": ("/", "one", THREE_TLS, 200),
    "many-tokens": ("/", "many", THREE, 200),
    "ticket": ("/", "none", ["nginx-lua", "uma-pep"], 401),
    "passthrough": ("/open", "none", THREE, 200),
    "body-4k": ("/4k", "one", THREE, 200),
    "body-64k": ("/64k", "one", THREE, 200),
    "workers-2": ("/", "one", ["nginx-plain", "nginx-plain-2w", "uma-pep", "uma-pep-2w"], 200),
    # uma-pep-jwt: RPTs are JWTs verified locally; once verified they hit the same caches as an introspection.
    "cached-grant-jwt": ("/", "one", ["uma-pep", "uma-pep-jwt"], 200),
    # uma-pep-nolog: the same configuration with --no-access-log, against uma-pep with its access log.
    "cached-grant-nolog": ("/", "one", ["uma-pep", "uma-pep-nolog"], 200),
}
ORDER = ["cached-grant", "cached-grant-tls", "many-tokens", "ticket", "cold-burst", "passthrough", "body-4k", "body-64k", "workers-2",
         "cached-grant-jwt", "first-sight-jwt", "cached-grant-nolog"]
# Opt-in (SCENARIOS=token-flood): not in the default set, it needs its own uma-pep (run.sh starts uma-pep-flood).
OPT_IN = ["token-flood"]

# Every rule of the generated uma-pep configuration, so one RPT is granted on all of them.
PERMISSIONS = [
    {"resource_path": path, "http_method": "GET", "scopes": ["read"]} for path in ("/", "/4k", "/64k", "/api/??")
]
LUA_TOKEN = "tok-0000042"


def is_lua(target):
    return target.startswith("nginx-lua")


def log(message):
    print(f"[harness {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Harness:
    def __init__(self, state):
        self.state = state
        self.run_dir = state["run_dir"]
        self.targets = state["targets"]
        self.as_port = state["as"]["port"]
        self.runs = []
        self.bursts = []
        self.floods = []
        self.notes = []
        self.uma_tokens = []
        self.jwt_tokens = []
        self.first_sight = []

    # MARK: setup

    def wanted(self):
        return self.state["scenarios"].split() if self.state["scenarios"] else ORDER

    def prepare_tokens(self):
        # Only many-tokens needs the whole set; other runs need one RPT (and warm only the targets they use).
        count = self.state["tokens"] if "many-tokens" in self.wanted() else 1
        used = {t for s in self.wanted() if s in SCENARIOS for t in SCENARIOS[s][2]}
        if "token-flood" in self.wanted():
            used.add("uma-pep-flood")
        started = time.time()
        self.uma_tokens = httpc.mint_tokens(self.as_port, count, PERMISSIONS)
        log(f"minted {len(self.uma_tokens)} RPTs in {time.time() - started:.1f} s "
            f"(token length {len(self.uma_tokens[0])} bytes)")
        self.write_lines("tokens-uma.txt", self.uma_tokens)
        self.write_lines("tokens-lua.txt", [f"tok-{i:07d}" for i in range(min(count, 10000))])
        if "as_jwt" in self.state:
            self.jwt_tokens = httpc.mint_tokens(self.state["as_jwt"]["port"], 1, PERMISSIONS)
            log(f"minted a JWT RPT ({len(self.jwt_tokens[0])} bytes)")
        for name in UMA_TARGETS:
            # uma-pep-tls is a second listener of uma-pep: same process, same caches.
            if name not in self.targets or self.targets[name].get("tls"):
                continue
            if name not in used and not (name == "uma-pep" and "uma-pep-tls" in used):
                continue
            port = self.targets[name]["port"]
            started = time.time()
            tokens = self.jwt_tokens if name == "uma-pep-jwt" else self.uma_tokens
            statuses = httpc.warm(port, tokens, ["/"])
            statuses += httpc.warm(port, tokens[:1], ["/4k", "/64k", "/api/warm"])
            bad = [s for s in statuses if s != 200]
            if bad:
                raise SystemExit(f"warm-up of {name}: {len(bad)} of {len(statuses)} requests not 200 ({bad[:5]})")
            log(f"warmed {name}: {len(statuses)} requests, all 200, in {time.time() - started:.1f} s")

    def write_lines(self, name, lines):
        with open(os.path.join(self.run_dir, name), "w", encoding="ascii") as handle:
            handle.write("\n".join(lines) + "\n")

    def token(self, target):
        if target == "uma-pep-jwt":
            return self.jwt_tokens[0]
        return LUA_TOKEN if is_lua(target) else self.uma_tokens[0]

    def sanity(self):
        """Functional checks, as the anchors' run.sh does: status codes, the UMA challenge, body sizes."""
        failures = []

        def check(target, path, expect, token=None, size=None, challenge=False):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            info = self.targets[target]
            status, answer_headers, body = httpc.get(info["port"], path, headers, tls=info.get("tls", False))
            ok = status == expect and (size is None or len(body) == size)
            if challenge:
                ok = ok and answer_headers.get("www-authenticate", "").startswith("UMA ") \
                    and "ticket=" in answer_headers.get("www-authenticate", "")
            mark = "ok  " if ok else "FAIL"
            label = "no token" if not token else ("bad token" if token == "not-a-valid-token" else "token")
            print(f"  {mark} {target:15} GET {path:9} {label:9} -> {status}"
                  f" ({len(body)} bytes)")
            if not ok:
                failures.append(f"{target} {path}")

        for target in self.targets:
            token = self.token(target)
            check(target, "/", 200, token)
            check(target, "/4k", 200, token, size=4096)
            check(target, "/64k", 200, token, size=65536)
            check(target, "/open", 200)
            if is_lua(target) or target in UMA_TARGETS:
                check(target, "/", 401, challenge=True)
                check(target, "/", 401, "not-a-valid-token")
                check(target, "/api/x", 200, token)
        if failures:
            raise SystemExit(f"sanity checks failed: {failures}")

    # MARK: measuring

    def as_calls(self, port=None):
        _, _, body = httpc.get(port or self.as_port, "/_dev/calls")
        return json.loads(body).get("counts", {})

    def measure(self, scenario, target, round_index, conns):
        path, authorization, _, expect = SCENARIOS[scenario]
        info = self.targets[target]
        url = f"{'https' if info.get('tls') else 'http'}://127.0.0.1:{info['port']}{path}"
        env = dict(os.environ, BENCH_PATH=path, BENCH_TOKEN="", BENCH_TOKENS="")
        if authorization == "one":
            env["BENCH_TOKEN"] = self.token(target)
        elif authorization == "many":
            name = "tokens-lua.txt" if is_lua(target) else "tokens-uma.txt"
            env["BENCH_TOKENS"] = os.path.join(self.run_dir, name)
        out = os.path.join(self.run_dir, "raw", f"{scenario}-{target}-c{conns}-r{round_index}.json")
        threads = str(self.state["threads"])
        base = ["wrk", f"-t{threads}", f"-c{conns}", "--timeout", "5s", "-s", self.state["wrk_script"], url]
        dur, warm = self.state["dur"], self.state["warm"]
        if warm > 0:
            subprocess.run(base[:1] + [f"-d{warm}s"] + base[1:], env=dict(env, BENCH_OUT=""),
                           stdout=subprocess.DEVNULL, timeout=warm + 30, check=True)
        pids = procstat.tree(info["pid"])
        as_pids = [self.state["as"]["pid"]]
        calls_port = self.state["as_jwt"]["port"] if target == "uma-pep-jwt" else None
        calls_before = self.as_calls(calls_port) if target in UMA_TARGETS else {}
        rss_reset = procstat.reset_peak_rss(pids)
        cpu_before = procstat.cpu_seconds(pids)
        as_cpu_before = procstat.cpu_seconds(as_pids)
        busy_before, steal_before = procstat.system_busy_seconds()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        upstream_pids = procstat.tree(self.state["upstream"]["pid"])
        aux_before = procstat.cpu_seconds(upstream_pids)
        completed = subprocess.run(base[:1] + [f"-d{dur}s"] + base[1:], env=dict(env, BENCH_OUT=out),
                                   stdout=subprocess.PIPE, text=True, timeout=dur + 60, check=True)
        busy_after, steal_after = procstat.system_busy_seconds()
        cpu = procstat.cpu_seconds(pids) - cpu_before
        as_cpu = procstat.cpu_seconds(as_pids) - as_cpu_before
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = (children_after.ru_utime + children_after.ru_stime) \
            - (children_before.ru_utime + children_before.ru_stime)
        aux_cpu = procstat.cpu_seconds(upstream_pids) - aux_before
        rss = procstat.peak_rss_kib(pids)
        calls_after = self.as_calls(calls_port) if target in UMA_TARGETS else {}
        with open(out.replace(".json", ".txt"), "w", encoding="utf-8") as handle:
            handle.write(completed.stdout)
        with open(out, encoding="ascii") as handle:
            wrk = json.loads(handle.read())
        requests = wrk["requests"]
        seconds = wrk["duration_us"] / 1e6
        latency = wrk["latency_us"]
        as_delta = sum(calls_after.values()) - sum(calls_before.values())
        ours = cpu + wrk_cpu + aux_cpu + (as_cpu if target in UMA_TARGETS else 0)
        run = {
            "scenario": scenario, "target": target, "round": round_index, "conns": conns,
            "requests": requests, "seconds": round(seconds, 3), "rps": round(requests / seconds, 1),
            "p50_ms": latency["50"] / 1000, "p75_ms": latency["75"] / 1000, "p90_ms": latency["90"] / 1000,
            "p99_ms": latency["99"] / 1000, "p999_ms": latency["99.9"] / 1000, "p9999_ms": latency["99.99"] / 1000,
            "max_ms": latency["max"] / 1000,
            "non_expected": wrk["errors"]["status"] if expect == 200 else requests - wrk["errors"]["status"],
            "socket_errors": sum(v for k, v in wrk["errors"].items() if k != "status"),
            "cpu_s": round(cpu, 2), "cpu_s_per_1k": round(cpu / requests * 1000, 5) if requests else None,
            "peak_rss_mib": round(rss / 1024, 1), "peak_rss_reset": rss_reset,
            "as_calls": as_delta if target in UMA_TARGETS else None, "as_cpu_s": round(as_cpu, 2),
            "wrk_cpu_s": round(wrk_cpu, 2), "upstream_cpu_s": round(aux_cpu, 2),
            "foreign_cpu_s": round(max(0.0, (busy_after - busy_before) - ours), 2),
            "steal_s": round(steal_after - steal_before, 2),
        }
        self.runs.append(run)
        flag = "" if run["non_expected"] == 0 and run["socket_errors"] == 0 else \
            f"  UNEXPECTED status {run['non_expected']} / socket errors {run['socket_errors']}"
        log(f"{scenario:13} r{round_index} {target:15} c={conns:<4} {run['rps']:>10,.0f} req/s  "
            f"p50 {run['p50_ms']:.2f}  p99 {run['p99_ms']:.2f}  p99.9 {run['p999_ms']:.2f} ms  "
            f"cpu/1k {run['cpu_s_per_1k']} s  rss {run['peak_rss_mib']} MiB"
            + (f"  AS calls {as_delta}" if target in UMA_TARGETS else "")
            + f"  foreign cpu {run['foreign_cpu_s']} s{flag}")

    def cold_burst(self, round_index):
        count, duplicates = self.state["burst"], self.state["burst_dup"]
        tokens = httpc.mint_tokens(self.as_port, count, PERMISSIONS)
        if len(set(tokens)) != count:
            raise SystemExit("the dev AS minted duplicate tokens")
        info = self.targets["uma-pep"]
        pids = procstat.tree(info["pid"])
        httpc.get(self.as_port, "/_dev/calls", method="DELETE")
        cpu_before = procstat.cpu_seconds(pids)
        as_before = procstat.cpu_seconds([self.state["as"]["pid"]])
        wall, results = httpc.burst(info["port"], tokens, "/", duplicates)
        cpu = procstat.cpu_seconds(pids) - cpu_before
        as_cpu = procstat.cpu_seconds([self.state["as"]["pid"]]) - as_before
        counts = self.as_calls()
        statuses = {}
        for status, _ in results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        latencies = sorted(latency for _, latency in results)
        introspections = counts.get("/introspect-rpt", 0)
        check_access = counts.get("/uma-rs-check-access", 0)
        burst = {
            "round": round_index, "tokens": count, "requests": len(results), "duplicates": duplicates,
            "wall_s": round(wall, 3), "rps": round(len(results) / wall, 1),
            "p50_ms": round(report.percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(report.percentile(latencies, 99) * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2), "statuses": statuses,
            "introspections": introspections, "check_access": check_access, "as_calls": counts,
            "cpu_s": round(cpu, 2), "as_cpu_s": round(as_cpu, 2),
            "exact": introspections == count and check_access == count and statuses == {"200": len(results)},
        }
        self.bursts.append(burst)
        log(f"cold-burst    r{round_index} uma-pep         {count} tokens x{duplicates}: {burst['wall_s']} s, "
            f"p50 {burst['p50_ms']} p99 {burst['p99_ms']} ms, statuses {statuses}, introspections "
            f"{introspections}, check-access {check_access} -> {'EXACT' if burst['exact'] else 'MISMATCH'}")

    def cached_wrk(self, port, conns, dur, label):
        """One cached-grant wrk run against port; returns (req/s, non-200 responses, socket errors)."""
        out = os.path.join(self.run_dir, "raw", f"token-flood-{label}.json")
        env = dict(os.environ, BENCH_PATH="/", BENCH_TOKEN=self.uma_tokens[0], BENCH_TOKENS="", BENCH_OUT=out)
        subprocess.run(["wrk", f"-t{self.state['threads']}", f"-c{conns}", f"-d{dur}s", "--timeout", "5s", "-s",
                        self.state["wrk_script"], f"http://127.0.0.1:{port}/"], env=env, stdout=subprocess.DEVNULL,
                       timeout=dur + 60, check=True)
        with open(out, encoding="ascii") as handle:
            wrk = json.loads(handle.read())
        errors = sum(v for k, v in wrk["errors"].items() if k != "status")
        return round(wrk["requests"] / (wrk["duration_us"] / 1e6), 1), wrk["errors"]["status"], errors

    def token_flood(self, round_index):
        """FLOOD_TOKENS random tokens at FLOOD_CONNS connections against uma-pep-flood (its
        max_pending_authorization_calls is FLOOD_BUDGET) while a parallel wrk measures the cached grant on the
        same process. The cached grant is measured in 1 s wrk slices: DUR slices before the flood ("alone"), and
        back to back during it, keeping only the slices that ended before the flood did ("during"); each side
        reports the median slice, so the two are measured the same way and "during" holds no flood-free time."""
        info = self.targets["uma-pep-flood"]
        port, conns, dur = info["port"], self.state["conns"][0], self.state["dur"]
        count, flood_conns = self.state["flood_tokens"], self.state["flood_conns"]
        pids = {"uma-pep-flood": procstat.tree(info["pid"]), "dev-as": [self.state["as"]["pid"]],
                "upstream": procstat.tree(self.state["upstream"]["pid"])}
        alone = [self.cached_wrk(port, conns, 1, f"alone-r{round_index}-{i}") for i in range(max(1, dur))]
        httpc.get(self.as_port, "/_dev/calls", method="DELETE")
        results = {}

        def flood():
            results["wall"], results["statuses"] = httpc.flood(port, count, "/", flood_conns, deadline=dur + 120)

        cpu_before = {name: procstat.cpu_seconds(p) for name, p in pids.items()}
        thread = threading.Thread(target=flood)
        thread.start()
        during, partial = [], []
        while thread.is_alive():
            slice_result = self.cached_wrk(port, conns, 1, f"during-r{round_index}-{len(during) + len(partial)}")
            (during if thread.is_alive() else partial).append(slice_result)
        thread.join()
        cpu_flood = {name: round(procstat.cpu_seconds(p) - cpu_before[name], 2) for name, p in pids.items()}
        counts = self.as_calls()
        statuses = results["statuses"]
        median = lambda values: sorted(values)[len(values) // 2] if values else None  # noqa: E731
        rps_alone = median([r[0] for r in alone])
        rps_during = median([r[0] for r in during])
        run = {
            "round": round_index, "tokens": count, "flood_conns": flood_conns, "budget": self.state["flood_budget"],
            "miss_rate_per_ip": self.state["flood_miss_rate"],
            "uncached_requests_per_turn": self.state.get("flood_per_turn", "default"),
            "control_plane_nice": self.state.get("flood_nice", "default"),
            "uncached_requests_per_second": self.state.get("flood_per_second", "default"),
            "flood_wall_s": round(results["wall"], 2), "flood_rps": round(count / results["wall"], 1),
            "statuses": statuses, "as_calls": counts, "as_calls_total": sum(counts.values()),
            "status_503": statuses.get("503", 0), "cached_conns": conns,
            "cached_slices_alone": [r[0] for r in alone], "cached_slices_during": [r[0] for r in during],
            "cached_slices_partial": [r[0] for r in partial],
            "cached_rps_alone": rps_alone, "cached_rps_during": rps_during,
            "cached_ratio": round(rps_during / rps_alone, 3) if rps_during and rps_alone else None,
            "cached_non_200_during": sum(r[1] for r in during + partial),
            "cached_socket_errors_during": sum(r[2] for r in during + partial),
            "cpu_s_during_flood": cpu_flood,
        }
        self.floods.append(run)
        log(f"token-flood   r{round_index} uma-pep-flood   {count} random tokens c={flood_conns} in "
            f"{run['flood_wall_s']} s: statuses {statuses}, AS calls {counts}; cached grant c={conns} (median 1 s "
            f"slice): {rps_alone:,.0f} req/s alone, "
            + (f"{rps_during:,.0f} req/s during the flood ({run['cached_ratio']}x, {len(during)} slices)"
               if during else "no whole 1 s slice during the flood (raise FLOOD_TOKENS)")
            + f", non-200 {run['cached_non_200_during']}, socket errors {run['cached_socket_errors_during']}; "
            f"CPU s during the flood {cpu_flood}")
    def first_sight_jwt(self, round_index):
        """First sight of BURST new RPTs, one request each: opaque RPTs at uma-pep (oxd introspection +
        check-access) against JWT RPTs at uma-pep-jwt (local verification + check-access)."""
        count = self.state["burst"]
        for target, as_key in (("uma-pep", "as"), ("uma-pep-jwt", "as_jwt")):
            as_port = self.state[as_key]["port"]
            tokens = httpc.mint_tokens(as_port, count, PERMISSIONS)
            pids = procstat.tree(self.targets[target]["pid"])
            httpc.get(as_port, "/_dev/calls", method="DELETE")
            cpu_before = procstat.cpu_seconds(pids)
            as_before = procstat.cpu_seconds([self.state[as_key]["pid"]])
            wall, results = httpc.burst(self.targets[target]["port"], tokens, "/", 1)
            cpu = procstat.cpu_seconds(pids) - cpu_before
            as_cpu = procstat.cpu_seconds([self.state[as_key]["pid"]]) - as_before
            latencies = sorted(latency for _, latency in results)
            statuses = {}
            for status, _ in results:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            entry = {
                "round": round_index, "target": target, "tokens": count, "wall_s": round(wall, 3),
                "p50_ms": round(report.percentile(latencies, 50) * 1000, 2),
                "p99_ms": round(report.percentile(latencies, 99) * 1000, 2), "statuses": statuses,
                "as_calls": self.as_calls(as_port), "cpu_s": round(cpu, 2), "as_cpu_s": round(as_cpu, 2),
            }
            self.first_sight.append(entry)
            log(f"first-sight   r{round_index} {target:15} {count} new RPTs: {entry['wall_s']} s, p50 {entry['p50_ms']} "
                f"p99 {entry['p99_ms']} ms, cpu {entry['cpu_s']} s, AS cpu {entry['as_cpu_s']} s, statuses {statuses}, "
                f"AS calls {entry['as_calls']}")

    def run(self):
        wanted = self.wanted()
        for scenario in [s for s in ORDER + OPT_IN if s in wanted]:
            for round_index in range(1, self.state["rounds"] + 1):
                if scenario == "cold-burst":
                    self.cold_burst(round_index)
                    continue
                if scenario == "token-flood":
                    self.token_flood(round_index)
                    continue
                if scenario == "first-sight-jwt":
                    self.first_sight_jwt(round_index)
                    continue
                for conns in self.state["conns"]:
                    for target in SCENARIOS[scenario][2]:
                        if target in self.targets:
                            self.measure(scenario, target, round_index, conns)


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        state = json.load(handle)
    if state["cpus"]["wrk"]:
        os.sched_setaffinity(0, {int(c) for c in state["cpus"]["wrk"].split(",")})
    os.makedirs(os.path.join(state["run_dir"], "raw"), exist_ok=True)
    harness = Harness(state)
    meta_before = procstat.loadavg()
    harness.prepare_tokens()
    log("sanity checks")
    harness.sanity()
    started = time.time()
    harness.run()
    state["loadavg_before"] = meta_before
    state["loadavg_after"] = procstat.loadavg()
    state["measure_seconds"] = round(time.time() - started, 1)
    state["token_length"] = len(harness.uma_tokens[0])
    state["first_sight_jwt"] = harness.first_sight
    paths = report.write(state, harness.runs, harness.bursts) if harness.runs or harness.bursts else []
    if harness.floods:
        stamp = time.strftime("%Y-%m-%d")
        os.makedirs(state["results_dir"], exist_ok=True)
        flood_path = os.path.join(state["results_dir"], f"{stamp}-token-flood{'-quick' if state['quick'] else ''}.json")
        with open(flood_path, "w", encoding="utf-8") as handle:
            json.dump({"state": {k: state[k] for k in ("layout", "cpus", "versions", "loadavg_before",
                                                         "loadavg_after")}, "runs": harness.floods}, handle, indent=1)
        paths.append(flood_path)
    for path in paths:
        log(f"wrote {path}")
    failed = [b for b in harness.bursts if not b["exact"]]
    unexpected = [r for r in harness.runs if r["non_expected"] or r["socket_errors"]]
    if unexpected:
        log(f"WARNING: {len(unexpected)} runs had unexpected statuses or socket errors (see the JSON)")
    if failed:
        log(f"WARNING: cold-burst introspections != distinct tokens in {len(failed)} rounds")
    if (failed or unexpected) and state.get("strict"):
        sys.exit(1)


if __name__ == "__main__":
    main()
