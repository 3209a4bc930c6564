"""Summaries of the load harness's runs: medians per scenario and target, uma-pep / anchor ratios, the issue 6
targets, and the outputs: JSON (every run), Markdown, and a gnuplot PNG of latency percentiles."""

import datetime
import json
import os
import socket
import statistics
import subprocess
import tempfile

METRICS = ["rps", "p50_ms", "p99_ms", "p999_ms", "cpu_s_per_1k", "peak_rss_mib"]
PERCENTILES = [("50", "p50_ms"), ("75", "p75_ms"), ("90", "p90_ms"), ("99", "p99_ms"), ("99.9", "p999_ms"),
               ("99.99", "p9999_ms")]
PLOTTED = ["cached-grant", "cached-grant-tls", "many-tokens", "passthrough"]


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(round(q / 100 * len(sorted_values) + 0.5))))
    return sorted_values[rank - 1]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    """{(scenario, conns): {target: {metric: median, "spread": (max-min)/median of rps, "rounds": n}}}."""
    groups = {}
    for run in runs:
        groups.setdefault((run["scenario"], run["conns"]), {}).setdefault(run["target"], []).append(run)
    summary = {}
    for key, targets in groups.items():
        summary[key] = {}
        for target, items in targets.items():
            row = {metric: median([r[metric] for r in items]) for metric in METRICS + [p[1] for p in PERCENTILES]}
            rates = [r["rps"] for r in items]
            row["spread"] = (max(rates) - min(rates)) / row["rps"] if row["rps"] else None
            row["rounds"] = len(items)
            row["as_calls"] = sum(r["as_calls"] or 0 for r in items) if items[0]["as_calls"] is not None else None
            row["foreign_cpu_s"] = median([r["foreign_cpu_s"] for r in items])
            summary[key][target] = row
    return summary


def round_ratios(runs, scenario, conns, numerator, denominator, metric="rps"):
    """Per-round ratios numerator/denominator of `metric` (runs of one round are adjacent in time)."""
    by_round = {}
    for run in runs:
        if run["scenario"] == scenario and run["conns"] == conns:
            by_round.setdefault(run["round"], {})[run["target"]] = run[metric]
    return [r[numerator] / r[denominator] for r in by_round.values()
            if r.get(numerator) and r.get(denominator)]


def ratios(runs, summary):
    """uma-pep / nginx-plain and uma-pep / nginx-lua per scenario (median of per-round ratios), p99 ratio to
    the Lua anchor, and the workers-2 speedups."""
    out = {}
    for (scenario, conns) in summary:
        row = {}
        # A -tls scenario compares the TLS listeners: uma-pep-tls / nginx-plain-tls, / nginx-lua-tls.
        sfx = "-tls" if scenario.endswith("-tls") else ""
        for anchor, label in (("nginx-plain", "vs_plain"), ("nginx-lua", "vs_lua")):
            values = round_ratios(runs, scenario, conns, "uma-pep" + sfx, anchor + sfx)
            row[label] = median(values)
            row[label + "_rounds"] = [round(v, 3) for v in values]
        p99 = round_ratios(runs, scenario, conns, "uma-pep" + sfx, "nginx-lua" + sfx, "p99_ms")
        row["p99_vs_lua"] = median(p99)
        for anchor, label in (("nginx-plain", "cpu_vs_plain"), ("nginx-lua", "cpu_vs_lua")):
            row[label] = median(round_ratios(runs, scenario, conns, "uma-pep" + sfx, anchor + sfx, "cpu_s_per_1k"))
        if scenario == "cached-grant-nolog":
            # uma-pep with its access log / the same without (--no-access-log), in the same rounds.
            values = round_ratios(runs, scenario, conns, "uma-pep", "uma-pep-nolog")
            row["log_vs_nolog"] = median(values)
            row["log_vs_nolog_rounds"] = [round(v, 3) for v in values]
            row["cpu_log_vs_nolog"] = median(
                round_ratios(runs, scenario, conns, "uma-pep", "uma-pep-nolog", "cpu_s_per_1k"))
        if scenario == "workers-2":
            row["uma_2w_speedup"] = median(round_ratios(runs, scenario, conns, "uma-pep-2w", "uma-pep"))
            row["plain_2w_speedup"] = median(round_ratios(runs, scenario, conns, "nginx-plain-2w", "nginx-plain"))
        out[f"{scenario} c={conns}"] = row
    return out


def targets(summary, ratio_rows, bursts, conns):
    """Where the issue 6 targets stand (True / False / None when not measured)."""
    def get(scenario, key):
        return ratio_rows.get(f"{scenario} c={conns}", {}).get(key)

    cached = summary.get(("cached-grant", conns), {}).get("uma-pep", {}).get("rps")
    many = summary.get(("many-tokens", conns), {}).get("uma-pep", {}).get("rps")
    checks = {
        "cached-grant >= 1.0x nginx plain": (get("cached-grant", "vs_plain"), 1.0),
        "cached-grant >= 1.5x nginx+Lua": (get("cached-grant", "vs_lua"), 1.5),
        "cached-grant p99 <= nginx+Lua p99 (ratio <= 1)": (get("cached-grant", "p99_vs_lua"), -1.0),
        "many-tokens within 10% of cached-grant (ratio >= 0.9)": (many / cached if many and cached else None, 0.9),
        "2 workers >= 1.7x one worker": (get("workers-2", "uma_2w_speedup"), 1.7),
        "cached-grant access log on >= 0.95x off (req/s)": (get("cached-grant-nolog", "log_vs_nolog"), 0.95),
    }
    out = {}
    for name, (value, goal) in checks.items():
        met = None if value is None else (value <= -goal if goal < 0 else value >= goal)
        out[name] = {"value": None if value is None else round(value, 3), "met": met}
    tls_plain = get("cached-grant-tls", "vs_plain")
    if tls_plain is not None:
        # Reported, not a target (issue 7): the HTTPS cached grant against nginx terminating TLS too.
        out["HTTPS cached-grant uma-pep / nginx plain, both with TLS (reported)"] = {
            "value": round(tls_plain, 3), "met": None}
        tls_lua = get("cached-grant-tls", "vs_lua")
        out["HTTPS cached-grant uma-pep / nginx+Lua, both with TLS (reported)"] = {
            "value": None if tls_lua is None else round(tls_lua, 3), "met": None}
    if bursts:
        out["cold-burst introspections == distinct tokens"] = {
            "value": [f"{b['introspections']}/{b['tokens']}" for b in bursts],
            "met": all(b["exact"] for b in bursts)}
    return out


def fmt(value, digits=2):
    if value is None:
        return "–"
    if isinstance(value, float) and value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def markdown(state, summary, ratio_rows, goal_rows, bursts, image):
    lines = [f"# uma-pep load benchmark — {state['date']} on {state['host']}", ""]
    lines += [f"- Machine: {state['machine']}",
              f"- Layout `{state['layout']}` (wrk on CPU {state['cpus']['wrk'] or 'any'}; proxies on "
              f"{state['cpus']['proxy'] or 'any'}; upstream + dev AS on {state['cpus']['upstream'] or 'any'}; "
              f"2-worker targets on {state['cpus']['proxy2'] or 'any'})",
              f"- wrk -t{state['threads']}, {state['dur']} s per run after {state['warm']} s warm-up, "
              f"{state['rounds']} round(s) in alternation, medians; {state['tokens']} RPTs "
              f"({state.get('token_length')} bytes each) for many-tokens",
              f"- Load average before/after: {state.get('loadavg_before')} / {state.get('loadavg_after')}; "
              f"other processes on this shared machine used a median {fmt(state.get('foreign_share'), 0)} % of its "
              "CPU capacity during the runs (`foreign cpu` = CPU seconds used during a run by processes other "
              "than the target, its upstream, the dev AS and wrk)",
              f"- Versions: {state['versions']}", ""]
    for conns in state["conns"]:
        lines += [f"## c={conns}", "",
                  "| scenario | target | req/s | p50 ms | p99 ms | p99.9 ms | CPU s / 1k req | peak RSS MiB "
                  "| spread | AS calls | foreign cpu s |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for (scenario, c), targets_row in summary.items():
            if c != conns:
                continue
            for target, row in targets_row.items():
                lines.append(
                    f"| {scenario} | {target} | {fmt(row['rps'])} | {fmt(row['p50_ms'])} | {fmt(row['p99_ms'])} | "
                    f"{fmt(row['p999_ms'])} | {fmt(row['cpu_s_per_1k'], 4)} | {fmt(row['peak_rss_mib'], 1)} | "
                    f"{fmt(row['spread'] * 100 if row['spread'] is not None else None, 0)} % | "
                    f"{fmt(row['as_calls'])} | {fmt(row['foreign_cpu_s'], 1)} |")
        lines += ["", "Ratios are medians of the per-round ratios (runs of one round are adjacent in time). CPU per "
                  "request is the steadier measure on a busy machine.", "",
                  "| scenario | req/s uma-pep / nginx-plain | req/s uma-pep / nginx+Lua | p99 uma-pep / nginx+Lua "
                  "| CPU per request uma-pep / nginx-plain | CPU per request uma-pep / nginx+Lua | per-round req/s "
                  "(vs plain; vs Lua) |", "|---|---:|---:|---:|---:|---:|---|"]
        for key, row in ratio_rows.items():
            if not key.endswith(f"c={conns}"):
                continue
            extra = ""
            if "uma_2w_speedup" in row:
                extra = f" 2w/1w: uma-pep {fmt(row['uma_2w_speedup'])}, nginx {fmt(row['plain_2w_speedup'])}"
            if "log_vs_nolog" in row:
                extra = (f" access log on/off: req/s {fmt(row['log_vs_nolog'])} {row['log_vs_nolog_rounds']}, "
                         f"CPU per request {fmt(row['cpu_log_vs_nolog'])}")
            lines.append(f"| {key.rsplit(' ', 1)[0]} | {fmt(row['vs_plain'])} | {fmt(row['vs_lua'])} | "
                         f"{fmt(row['p99_vs_lua'])} | {fmt(row['cpu_vs_plain'])} | {fmt(row['cpu_vs_lua'])} | "
                         f"{row['vs_plain_rounds']}; {row['vs_lua_rounds']}{extra} |")
        lines.append("")
    if bursts:
        lines += ["## cold-burst (uma-pep)", "",
                  "| round | tokens × dup | wall s | req/s | p50 ms | p99 ms | max ms | statuses | introspections "
                  "| check-access | exact |", "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|"]
        for b in bursts:
            lines.append(f"| {b['round']} | {b['tokens']} × {b['duplicates']} | {b['wall_s']} | {fmt(b['rps'])} | "
                         f"{b['p50_ms']} | {b['p99_ms']} | {b['max_ms']} | {b['statuses']} | {b['introspections']} "
                         f"| {b['check_access']} | {'yes' if b['exact'] else 'NO'} |")
        lines.append("")
    lines += ["## Targets (the HTTPS rows are reported, not targets)", "", "| target | measured | met |", "|---|---|---|"]
    for name, row in goal_rows.items():
        met = {True: "yes", False: "no", None: "not measured"}[row["met"]]
        if row["met"] is None and row["value"] is not None:
            met = "reported"
        lines.append(f"| {name} | {row['value']} | {met} |")
    if image:
        lines += ["", f"![latency percentiles]({os.path.basename(image)})"]
    return "\n".join(lines) + "\n"


def plot(summary, conns, base, workdir):
    """Latency percentiles (median over rounds) per target for the PLOTTED scenarios, as a 2x2 PNG."""
    panels = [s for s in PLOTTED if (s, conns) in summary]
    if not panels:
        return None
    data = os.path.join(workdir, "latency.dat")
    script = os.path.join(workdir, "latency.gp")
    image = base + ".png"
    with open(data, "w", encoding="ascii") as handle:
        for scenario in panels:
            for target, row in summary[(scenario, conns)].items():
                handle.write(f"# {scenario} {target}\n")
                for index, (label, key) in enumerate(PERCENTILES):
                    handle.write(f"{index} {label} {row[key]}\n")
                handle.write("\n\n")
    blocks = []
    index = 0
    for scenario in panels:
        series = []
        for target in summary[(scenario, conns)]:
            series.append(f"'{data}' index {index} using 1:3:xtic(2) with linespoints lw 2 title '{target}'")
            index += 1
        blocks.append(f"set title '{scenario} (c={conns})'\nplot " + ", ".join(series))
    with open(script, "w", encoding="ascii") as handle:
        handle.write(
            "set terminal pngcairo size 1400,900 font 'sans,10'\n"
            f"set output '{image}'\n"
            "set multiplot layout 2,2 title 'uma-pep vs nginx anchors: latency by percentile (ms, log scale)'\n"
            "set logscale y\nset grid\nset xlabel 'percentile'\nset ylabel 'latency ms'\nset key top left\n"
            + "\n".join(blocks) + "\nunset multiplot\n")
    try:
        subprocess.run(["gnuplot", script], check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"gnuplot failed: {error}")
        return None
    return image


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}"


def write(state, runs, bursts, base=None):
    """Writes <results>/<date>-<host>[-quick].{json,md,png} (or `base`.*); returns the paths written."""
    if base is None:
        now = datetime.datetime.now()
        state["date"] = now.strftime("%Y-%m-%d %H:%M")
        state["host"] = socket.gethostname()
        state["machine"] = machine()
        suffix = "-quick" if state["quick"] else ""
        base = os.path.join(state["results_dir"], f"{now.strftime('%Y-%m-%d')}-{state['host']}{suffix}")
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    summary = summarize(runs)
    shares = [r["foreign_cpu_s"] / (r["seconds"] * (os.cpu_count() or 1)) * 100 for r in runs if r["seconds"]]
    state["foreign_share"] = median(shares)
    ratio_rows = ratios(runs, summary)
    conns = state["conns"][0]
    goal_rows = targets(summary, ratio_rows, bursts, conns)
    workdir = state.get("run_dir") if os.path.isdir(state.get("run_dir") or "") else tempfile.mkdtemp()
    image = plot(summary, conns, base, workdir)
    public_state = {k: v for k, v in state.items() if k not in ("run_dir",)}
    document = {
        "meta": public_state, "runs": runs, "cold_burst": bursts,
        "summary": {f"{s} c={c}": rows for (s, c), rows in summary.items()},
        "ratios": ratio_rows, "targets": goal_rows,
    }
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
    with open(base + ".md", "w", encoding="utf-8") as handle:
        handle.write(markdown(state, summary, ratio_rows, goal_rows, bursts, image))
    print(open(base + ".md", encoding="utf-8").read())
    return [base + ".json", base + ".md"] + ([image] if image else [])


def main():
    """`report.py RESULTS.json`: recompute the summary and rewrite the .json, .md and .png beside it."""
    import sys
    path = sys.argv[1]
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    base = path[:-len(".json")] if path.endswith(".json") else path
    for written in write(document["meta"], document["runs"], document["cold_burst"], base=base):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()
