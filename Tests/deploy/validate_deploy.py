#!/usr/bin/env python3
"""Validates deploy/ (issue 15: systemd, logrotate, Kubernetes, Prometheus rules, Grafana dashboard) against the
real tools and a real uma-pep. Run by `make test` after the Swift tests, with the debug binary built:

    python3 Tests/deploy/validate_deploy.py [--binary .build/debug/uma-pep] [--venv .build/python-venv]

Outside: pip-installs `kubernetes-validate` (pinned) into the virtual environment the Python client test uses
(created if missing), then runs itself again inside it. Inside, each check prints `ok` or `FAILED: why`:

- Kubernetes: every manifest file validated with kubernetes-validate --strict against Kubernetes
  KUBERNETES_VERSION; when `kubectl` is installed, the base and each overlay rendered with its embedded kustomize
  and the output validated too. Then what the schemas cannot see: replicas >= 2, probes on /readyz and /healthz,
  non-root and read-only root filesystem, preStop + drain within the grace period, resources, selectors that
  match the pods, `--watch-config` on a directory mount, the ServiceMonitor's port, every `${VAR}` the
  configuration needs set by the Deployment, and the configuration itself through `uma-pep check-config`.
- Prometheus: `promtool check rules` and `promtool test rules` on deploy/prometheus.
- A real scrape: `uma-pep demo` on free ports, one UMA flow through it (`uma-pep rp`), `GET /metrics` checked with
  `promtool check metrics` (the Gluu Gateway parity counters `gluu_*` keep their names without `_total`: that
  lint finding is the only one accepted), and every metric the dashboard and the rules use found in it, with
  every label they select or group by (for the families the flow gave samples).
- systemd: `systemd-analyze verify` (no warning allowed) and `systemd-analyze security --offline` (exposure at
  most 2.5), plus the hardening the issue asks for; logrotate: `logrotate --debug` on the snippet.

Exits 0 only when every check passed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
from uma_pep_demo import Demo  # noqa: E402  (`uma-pep demo` as a child process)

DEPLOY = os.path.join(ROOT, "deploy")
KUBE = os.path.join(DEPLOY, "kubernetes")
PACKAGES = ["kubernetes-validate==1.37.0"]
KUBERNETES_VERSION = "1.32.0"
KUSTOMIZATIONS = ["base", "overlays/production", "overlays/production-redis"]
# Gluu Gateway 4.2's counter names, kept for dashboard parity (docs/operations.md), lack promtool's `_total`.
ACCEPTED_LINT = re.compile(r'^gluu_[a-z_]+ counter metrics should have "_total" suffix$')
PIP_SECONDS = 300

failures = []


def say(message):
    print("deploy: " + message, flush=True)


def check(name, ok, why=""):
    if ok:
        say("ok   " + name)
    else:
        say("FAILED " + name + (": " + why if why else ""))
        failures.append(name)


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=kwargs.pop("timeout", 120), **kwargs)


# ---------------------------------------------------------------------------------------------------- Kubernetes


def manifest_files():
    """Every YAML file under deploy/kubernetes that is a Kubernetes object (not a kustomization or patch)."""
    files = []
    for directory, _, names in os.walk(KUBE):
        for name in sorted(names):
            path = os.path.join(directory, name)
            if not name.endswith(".yaml") or name == "kustomization.yaml" or name == "uma-pep.yaml":
                continue
            with open(path) as handle:
                text = handle.read()
            if re.search(r"^apiVersion:", text, re.M) and re.search(r"^kind:", text, re.M):
                files.append(path)
    return files


def kubernetes_validate(path, label):
    result = run([os.path.join(os.path.dirname(sys.executable), "kubernetes-validate"), "--strict", "-k",
                  KUBERNETES_VERSION, path])
    lines = (result.stdout + result.stderr).strip().splitlines()
    # A custom resource (the ServiceMonitor) has no schema in Kubernetes itself: a warning, checked below.
    unexpected = [line for line in lines if not line.startswith("INFO")
                  and not ("Couldn't find schema for kind ServiceMonitor" in line)]
    check("kubernetes-validate %s (Kubernetes %s)" % (label, KUBERNETES_VERSION),
          result.returncode == 0 and not unexpected, "\n".join(unexpected or lines))


def load_documents(text):
    import yaml  # kubernetes-validate's dependency, present inside the virtual environment

    return [document for document in yaml.safe_load_all(text) if document]


def by_kind(documents, kind, name=None):
    return [d for d in documents if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def matches(selector, labels):
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def duration_seconds(text):
    match = re.fullmatch(r"(\d+)(ms|s|m)", text.strip())
    scale = {"ms": 0.001, "s": 1, "m": 60}
    return int(match.group(1)) * scale[match.group(2)] if match else None


def check_rendered(label, documents, binary):
    """What schemas cannot check, on one rendered kustomization."""
    deployments = by_kind(documents, "Deployment", "uma-pep")
    check(label + ": one uma-pep Deployment", len(deployments) == 1)
    if len(deployments) != 1:
        return
    deployment = deployments[0]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    container = pod["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
    check(label + ": replicas >= 2", spec.get("replicas", 1) >= 2)
    check(label + ": selector matches the pod template", matches(spec["selector"]["matchLabels"], pod_labels))
    check(label + ": rolling update without unavailable pods",
          spec.get("strategy", {}).get("rollingUpdate", {}).get("maxUnavailable") == 0)
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container.get(probe, {}).get("httpGet", {})
        check(label + ": %s GET %s on the admin port" % (probe, path),
              get.get("path") == path and get.get("port") in ("admin", ports.get("admin")))
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    check(label + ": runs as non-root", pod_security.get("runAsNonRoot") is True
          and pod_security.get("runAsUser", 0) != 0)
    check(label + ": read-only root filesystem, no privilege escalation, no capabilities",
          security.get("readOnlyRootFilesystem") is True and security.get("allowPrivilegeEscalation") is False
          and security.get("capabilities", {}).get("drop") == ["ALL"])
    resources = container.get("resources", {})
    check(label + ": CPU and memory requests and limits",
          all(key in resources.get(kind, {}) for kind in ("requests", "limits") for key in ("cpu", "memory")))

    # The configuration: mounted as a directory from the ConfigMap (subPath mounts never see updates).
    arguments = container.get("args", [])
    config_path = arguments[arguments.index("--config") + 1] if "--config" in arguments else ""
    check(label + ": serve --config … --watch-config", arguments[:1] == ["serve"] and "--watch-config" in arguments)
    mounts = [m for m in container.get("volumeMounts", []) if config_path.startswith(m["mountPath"].rstrip("/") + "/")]
    volume = next((v for v in pod.get("volumes", []) if mounts and v["name"] == mounts[0]["name"]), {})
    configmap_name = volume.get("configMap", {}).get("name")
    check(label + ": the configuration is a ConfigMap mounted as a directory (no subPath)",
          bool(mounts) and "subPath" not in mounts[0] and configmap_name is not None)
    configmaps = by_kind(documents, "ConfigMap", configmap_name)
    file_name = os.path.basename(config_path)
    config_text = configmaps[0]["data"].get(file_name) if configmaps else None
    check(label + ": ConfigMap %s holds %s" % (configmap_name, file_name), config_text is not None)
    if config_text is None:
        return

    # Every ${VAR} without a default must come from the Deployment; secrets through secretKeyRef.
    env = {e["name"]: e for e in container.get("env", [])}
    uncommented = "\n".join(line for line in config_text.splitlines() if not line.lstrip().startswith("#"))
    needed = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", uncommented))
    check(label + ": the Deployment sets every ${VAR} the configuration needs (%s)" % ", ".join(sorted(needed)),
          needed <= set(env), "missing " + ", ".join(sorted(needed - set(env))))
    secret_refs = [name for name in needed if "secretKeyRef" in env.get(name, {}).get("valueFrom", {})]
    check(label + ": client secrets come from a Secret", "UMA_CLIENT_SECRET" in secret_refs)

    # The configuration as the pod sees it passes check-config (secrets replaced by placeholders).
    values = {name: e.get("value", "placeholder-" + name.lower()) for name, e in env.items()}
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, file_name)
        with open(path, "w") as handle:
            handle.write(config_text)
        result = run([binary, "check-config", path], env=dict(os.environ, **values))
    report = result.stdout + result.stderr
    check(label + ": uma-pep check-config accepts the ConfigMap's configuration", result.returncode == 0, report)
    admin = re.search(r"^Admin: (\S+):(\d+)", report, re.M)
    listen = re.search(r"^  \S+:(\d+) \(http", report, re.M)
    check(label + ": the admin listener is reachable by the kubelet on the admin port",
          admin is not None and admin.group(1) == "0.0.0.0" and int(admin.group(2)) == ports.get("admin"))
    check(label + ": the proxy listener is the http port", listen is not None and int(listen.group(1)) == ports.get("http"))

    # preStop sleep + drain_timeout fit in the grace period.
    drain = duration_seconds(re.search(r"drain_timeout (\S+?),", report).group(1)) if "drain_timeout" in report else None
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pre_stop = int(command[-1]) if command and command[0].endswith("sleep") else None
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(label + ": preStop (%ss) + drain_timeout (%ss) < terminationGracePeriodSeconds (%ss)" % (pre_stop, drain, grace),
          pre_stop is not None and drain is not None and pre_stop + drain < grace)

    services = by_kind(documents, "Service")
    proxy_services = [s for s in services if matches(s["spec"]["selector"], pod_labels)]
    check(label + ": Services select the uma-pep pods on named ports",
          len(proxy_services) >= 2 and all(p["targetPort"] in ports for s in proxy_services for p in s["spec"]["ports"]))
    hpa = by_kind(documents, "HorizontalPodAutoscaler", "uma-pep")
    check(label + ": HorizontalPodAutoscaler on the Deployment with minReplicas >= 2",
          len(hpa) == 1 and hpa[0]["spec"]["scaleTargetRef"]["name"] == "uma-pep"
          and hpa[0]["spec"].get("minReplicas", 1) >= 2)
    pdb = by_kind(documents, "PodDisruptionBudget", "uma-pep")
    check(label + ": PodDisruptionBudget selects the pods and keeps one",
          len(pdb) == 1 and matches(pdb[0]["spec"]["selector"]["matchLabels"], pod_labels)
          and pdb[0]["spec"].get("minAvailable", 0) >= 1)

    monitors = by_kind(documents, "ServiceMonitor")
    if "overlays" in label:
        admin_services = [s for s in services if monitors and matches(monitors[0]["spec"]["selector"]["matchLabels"],
                                                                      s["metadata"]["labels"])]
        endpoint = monitors[0]["spec"]["endpoints"][0] if monitors else {}
        check(label + ": the ServiceMonitor scrapes /metrics on the admin Service's port",
              len(admin_services) == 1 and endpoint.get("path") == "/metrics"
              and endpoint.get("port") in [p["name"] for p in admin_services[0]["spec"]["ports"]]
              and all(p["targetPort"] == "admin" for p in admin_services[0]["spec"]["ports"]))
    if label.endswith("redis"):
        redis = by_kind(documents, "Deployment", "uma-pep-redis")
        redis_service = by_kind(documents, "Service", "uma-pep-redis")
        url = env.get("UMA_PEP_REDIS_URL", {}).get("value", "")
        check(label + ": Redis Deployment + Service, and UMA_PEP_REDIS_URL points at it",
              len(redis) == 1 and len(redis_service) == 1
              and matches(redis_service[0]["spec"]["selector"], redis[0]["spec"]["template"]["metadata"]["labels"])
              and url == "redis://uma-pep-redis:%d" % redis_service[0]["spec"]["ports"][0]["port"])
        check(label + ": check-config shows the shared cache on that Redis (cache.redis.url: ${UMA_PEP_REDIS_URL:-})",
              "${UMA_PEP_REDIS_URL:-}" in config_text and ("Shared cache: " + url) in report, report)
    elif "${UMA_PEP_REDIS_URL:-}" in config_text:
        check(label + ": no Redis, no shared cache (UMA_PEP_REDIS_URL unset)", "Shared cache:" not in report, report)


def kubernetes(binary):
    for path in manifest_files():
        kubernetes_validate(path, os.path.relpath(path, ROOT))
    kubectl = shutil.which("kubectl")
    if not kubectl:
        say("kubectl is not installed: the kustomizations are validated per file only (install kubectl to render them)")
        return
    for kustomization in KUSTOMIZATIONS:
        result = run([kubectl, "kustomize", os.path.join(KUBE, kustomization)])
        label = "deploy/kubernetes/" + kustomization
        check("kubectl kustomize " + label, result.returncode == 0, result.stderr)
        if result.returncode != 0:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
            handle.write(result.stdout)
        try:
            kubernetes_validate(handle.name, label + " (rendered)")
        finally:
            os.unlink(handle.name)
        check_rendered(label, load_documents(result.stdout), binary)


# ---------------------------------------------------------------------------------------------------- Prometheus


def prometheus_rules():
    rules = os.path.join(DEPLOY, "prometheus", "uma-pep-rules.yaml")
    result = run(["promtool", "check", "rules", rules])
    check("promtool check rules deploy/prometheus/uma-pep-rules.yaml", result.returncode == 0,
          result.stdout + result.stderr)
    result = run(["promtool", "test", "rules", os.path.join(DEPLOY, "prometheus", "uma-pep-rules.test.yaml")])
    check("promtool test rules deploy/prometheus/uma-pep-rules.test.yaml", result.returncode == 0,
          result.stdout + result.stderr)


def scrape(binary):
    """One UMA flow through the demo, then its /metrics body."""
    import urllib.request

    demo = Demo(binary)
    try:
        proxy, authorization_server = demo.addresses["proxy"], demo.addresses["authorization server"]
        flow = run([binary, "rp", "--url", "http://%s/posts/1" % proxy, "--host", "non-claim-gathering.example.com",
                    "--oxd-url", "http://" + authorization_server], timeout=60)
        check("a UMA flow through the demo (uma-pep rp: ticket -> RPT -> 200)", flow.returncode == 0,
              flow.stdout + flow.stderr)
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen("http://%s/metrics" % demo.addresses["admin"], timeout=10) as response:
                body = response.read().decode()
            if "uma_pep_as_request_duration_seconds_bucket" in body or time.monotonic() > deadline:
                return body
            time.sleep(0.2)
    finally:
        demo.stop()


def families(body):
    """{family: (type, {label names seen in its samples})} from a text exposition."""
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", body, re.M))
    labels = {name: set() for name in types}
    for line in body.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
        if not match or line.startswith("#"):
            continue
        name = match.group(1)
        family = name if name in types else re.sub(r"_(bucket|sum|count)$", "", name)
        labels.setdefault(family, set()).update(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', match.group(2) or ""))
    return {name: (types[name], labels.get(name, set()) - {"le"}) for name in types}


METRIC = re.compile(r"\b((?:gluu|uma_pep)_[a-z0-9_]+)\b(\{[^}]*\})?")


def references(expression):
    """[(metric, {label names in its selector}), …] and the label names of `by (…)` / `on (…)` clauses."""
    metrics = [(name, set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!=|!~|=)", selector or "")))
               for name, selector in METRIC.findall(expression) if ":" not in name]
    grouping = set()
    for clause in re.findall(r"\b(?:by|on)\s*\(([^)]*)\)", expression):
        grouping.update(label.strip() for label in clause.split(",") if label.strip())
    return metrics, grouping


def check_references(source, expressions, exposed):
    missing, bad_labels = [], []
    for expression in expressions:
        metrics, grouping = references(expression)
        seen, complete = set(), True
        for name, selector_labels in metrics:
            family = name if name in exposed else re.sub(r"_(bucket|sum|count)$", "", name)
            if family not in exposed or (family != name and exposed[family][0] != "histogram"):
                missing.append(name)
                continue
            known = exposed[family][1] | {"instance", "job"} | ({"le"} if name.endswith("_bucket") else set())
            if exposed[family][1]:
                bad_labels += ["%s{%s}" % (name, label) for label in selector_labels - known]
            else:
                complete = False  # no samples in this scrape: its label names are unknown
            seen |= known
        if seen and complete:
            bad_labels += ["by/on (%s)" % label for label in grouping - seen]
    check("%s: every metric it uses is exported (%d expressions)" % (source, len(expressions)), not missing,
          "not in /metrics: " + ", ".join(sorted(set(missing))))
    check("%s: every label it uses exists on its metric" % source, not bad_labels, ", ".join(sorted(set(bad_labels))))


def metrics_and_references(binary):
    body = scrape(binary)
    with tempfile.NamedTemporaryFile("w", suffix=".prom", delete=False) as handle:
        handle.write(body)
    try:
        with open(handle.name) as stdin:
            result = subprocess.run(["promtool", "check", "metrics"], stdin=stdin, capture_output=True, text=True,
                                    timeout=60)
    finally:
        os.unlink(handle.name)
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    unexpected = [line for line in findings if not ACCEPTED_LINT.match(line)]
    check("promtool check metrics on a scraped /metrics body (%d families)" % body.count("# TYPE "),
          result.returncode in (0, 3) and not unexpected, "\n".join(unexpected) or "exit %d" % result.returncode)
    exposed = families(body)

    with open(os.path.join(DEPLOY, "grafana", "uma-pep.json")) as handle:
        dashboard = json.load(handle)
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    check("grafana dashboard: uid, unique panel ids, every panel placed",
          dashboard.get("uid") == "uma-pep" and len(ids) == len(set(ids)) and all("gridPos" in p for p in panels))
    titles = " ".join(panel["title"].lower() for panel in panels)
    wanted = ["decision", "latency", "cache hit ratio", "authorization server calls", "authorization server errors",
              "connections", "reloads", "tunnels"]
    check("grafana dashboard: panels for %s" % ", ".join(wanted), all(word in titles for word in wanted))
    expressions = [t["expr"] for p in panels for t in p.get("targets", [])]
    expressions += [v["query"]["query"] for v in dashboard["templating"]["list"] if isinstance(v.get("query"), dict)]
    check_references("deploy/grafana/uma-pep.json", expressions, exposed)

    import yaml

    with open(os.path.join(DEPLOY, "prometheus", "uma-pep-rules.yaml")) as handle:
        rules = yaml.safe_load(handle)
    check_references("deploy/prometheus/uma-pep-rules.yaml",
                     [rule["expr"] for group in rules["groups"] for rule in group["rules"]], exposed)


# ---------------------------------------------------------------------------------------------------- systemd


def systemd(binary):
    unit_path = os.path.join(DEPLOY, "systemd", "uma-pep.service")
    with open(unit_path) as handle:
        unit = handle.read()
    settings = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())

    def one(key):
        return (settings.get(key) or [""])[-1]

    check("systemd unit: DynamicUser, NoNewPrivileges, ProtectSystem=strict",
          one("DynamicUser") == "yes" and one("NoNewPrivileges") == "yes" and one("ProtectSystem") == "strict")
    check("systemd unit: CAP_NET_BIND_SERVICE and nothing else",
          one("CapabilityBoundingSet") == "CAP_NET_BIND_SERVICE" and one("AmbientCapabilities") == "CAP_NET_BIND_SERVICE")
    check("systemd unit: ExecReload sends SIGHUP, Restart=on-failure, SIGTERM drains within TimeoutStopSec",
          re.search(r"kill -HUP \$MAINPID", one("ExecReload")) is not None and one("Restart") == "on-failure"
          and one("KillSignal") == "SIGTERM" and (duration_seconds(one("TimeoutStopSec")) or 0) > 10)
    with tempfile.TemporaryDirectory() as scratch:
        # The installed unit runs $(PREFIX)/bin/uma-pep; here, the built binary.
        path = os.path.join(scratch, "uma-pep.service")
        with open(path, "w") as handle:
            handle.write(unit.replace("/usr/local/bin/uma-pep", os.path.abspath(binary)))
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            check("systemd-analyze is installed (apt systemd)", False)
            return
        result = run([analyze, "verify", path])
        output = (result.stdout + result.stderr).strip()
        check("systemd-analyze verify deploy/systemd/uma-pep.service", result.returncode == 0 and not output, output)
        result = run([analyze, "security", "--offline=yes", "--threshold=25", path])
        level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
        check("systemd-analyze security: exposure %s (at most 2.5)" % (level.group(1) if level else "?"),
              result.returncode == 0 and level is not None, result.stdout[-2000:] + result.stderr)

    logrotate = shutil.which("logrotate") or ("/usr/sbin/logrotate" if os.path.exists("/usr/sbin/logrotate") else None)
    if not logrotate:
        check("logrotate is installed (apt logrotate)", False)
        return
    with tempfile.TemporaryDirectory() as scratch:
        result = run([logrotate, "--debug", "--state", os.path.join(scratch, "state"),
                      os.path.join(DEPLOY, "logrotate", "uma-pep")])
        output = result.stdout + result.stderr
        check("logrotate --debug deploy/logrotate/uma-pep", result.returncode == 0 and "error" not in output.lower()
              and "/var/log/uma-pep/access.log" in output, output)


# ---------------------------------------------------------------------------------------------------- main


def outer(args):
    python = os.path.join(args.venv, "bin", "python")
    marker = os.path.join(args.venv, ".installed-" + "-".join(PACKAGES))
    if not os.path.exists(marker):
        if not os.path.exists(python):
            say("creating the virtual environment " + args.venv)
            venv.EnvBuilder(with_pip=True).create(args.venv)
        say("pip install " + " ".join(PACKAGES))
        try:
            subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + PACKAGES,
                           check=True, timeout=PIP_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            say("FAILED: could not install %s: %s" % (" ".join(PACKAGES), error))
            return 1
        open(marker, "w").close()
    return subprocess.run([python, os.path.abspath(__file__), "--inner", "--binary", args.binary],
                          timeout=600).returncode


def inner(args):
    binary = os.path.abspath(args.binary)
    for name, step in (("Kubernetes", lambda: kubernetes(binary)), ("Prometheus rules", prometheus_rules),
                       ("metrics", lambda: metrics_and_references(binary)), ("systemd", lambda: systemd(binary))):
        try:
            step()
        except Exception as error:  # a crash in one part is a failure of that part, the others still run
            check(name, False, "%s: %s" % (type(error).__name__, error))
    if failures:
        say("%d check(s) FAILED: %s" % (len(failures), "; ".join(failures)))
        return 1
    say("all checks passed")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "uma-pep"))
    parser.add_argument("--venv", default=os.path.join(ROOT, ".build", "python-venv"))
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    sys.exit(main())
