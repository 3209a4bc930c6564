#!/usr/bin/env python3
"""An off-the-shelf UMA 2.0 client against `uma-pep demo`: 401 + permission ticket → RPT → 200.

The client is `requests-oauthlib-uma` (PyPI), used as its README shows: a `UMA2Session` gets a client-credentials
token from the authorization server, then on a `401` with a `WWW-Authenticate: UMA …` challenge it finds the token
endpoint through the AS's `/.well-known/uma2-configuration`, exchanges the ticket for an RPT (sending its current
token as `rpt`, and as bearer client authentication), and retries the request with the RPT.

Run by `make test` after the Swift tests, with the debug binary already built:

    python3 Tests/python/third_party_uma_client.py [--binary .build/debug/uma-pep] [--venv .build/python-venv]

Outside: creates (once) a virtual environment with `python3 -m venv` and pip-installs `requests-oauthlib-uma` and
`requests` into it, then runs itself again inside it. Inside: starts `uma-pep demo` on free 127.0.0.1 ports, runs the
flow against the tutorial's `non-claim-gathering.example.com` service, checks every step, and stops the demo. The
whole run is bounded (pip 300 s, the flow 120 s). Exits 0 only when every check passed.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import venv

from uma_pep_demo import Demo  # `uma-pep demo` as a child process (Tests/python/uma_pep_demo.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ["requests-oauthlib-uma", "requests"]
HOST = "non-claim-gathering.example.com"
CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
FLOW_SECONDS = 120
PIP_SECONDS = 300


def say(message):
    print("third-party UMA client: " + message, flush=True)


def outer(args):
    """Creates the virtual environment if needed and runs the flow inside it."""
    python = os.path.join(args.venv, "bin", "python")
    marker = os.path.join(args.venv, ".installed-" + "-".join(PACKAGES))
    if not os.path.exists(marker):
        say("creating the virtual environment " + args.venv)
        venv.EnvBuilder(with_pip=True, clear=True).create(args.venv)
        say("pip install " + " ".join(PACKAGES))
        try:
            subprocess.run(
                [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + PACKAGES,
                check=True, timeout=PIP_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            say("FAILED: could not install %s into the virtual environment: %s" % (" ".join(PACKAGES), error))
            return 1
        open(marker, "w").close()
    return subprocess.run(
        [python, os.path.abspath(__file__), "--inner", "--binary", args.binary], timeout=FLOW_SECONDS + 30
    ).returncode


class Checks:
    def __init__(self):
        self.failures = 0
        self.passed = 0

    def expect(self, condition, what):
        if condition:
            self.passed += 1
            say("ok    " + what)
        else:
            self.failures += 1
            say("FAIL  " + what)


def inner(args):
    """The flow, inside the virtual environment (where requests and requests-oauthlib-uma are importable)."""
    signal.alarm(FLOW_SECONDS)
    # The demo serves plain HTTP on loopback; oauthlib refuses non-HTTPS URLs unless told otherwise.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    checks = Checks()
    demo = Demo(args.binary)
    try:
        flow(demo, checks)
    except Exception as error:  # the library raises on an AS error (e.g. 400 invalid_rpt): a failed check
        checks.expect(False, "the flow ended with %s: %s" % (type(error).__name__, error))
    finally:
        demo.stop()
    print("%d passed, %d failed" % (checks.passed, checks.failures), flush=True)
    return 0 if checks.failures == 0 else 1


def flow(demo, checks):
    """The checks against a running demo."""
    import requests
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib_uma import UMA2Session

    proxy = "http://" + demo.addresses["proxy"]
    issuer = "http://" + demo.addresses["authorization server"]
    resource = proxy + "/posts/1"
    say("demo up: proxy %s, authorization server %s" % (proxy, issuer))

    # 1. The protected resource without a token: 401 with a UMA challenge carrying a permission ticket.
    plain = requests.get(resource, headers={"Host": HOST}, timeout=10)
    challenge = plain.headers.get("WWW-Authenticate", "")
    checks.expect(plain.status_code == 401, "no token: 401 (got %d)" % plain.status_code)
    checks.expect(
        re.match(r'^UMA realm="rs",as_uri="%s",error="insufficient_scope",ticket="[^"]+"$' % re.escape(issuer),
                 challenge) is not None,
        "no token: WWW-Authenticate is a UMA challenge with as_uri and ticket (%s)" % challenge)

    # 2. The library's flow: client token, then 401 + ticket → discovery → RPT → retry → 200.
    session = UMA2Session(client=BackendApplicationClient(client_id=CLIENT_ID))
    seen = []
    session.hooks["response"].append(
        lambda response, *a, **k: seen.append((response.request.method, response.url, response.status_code)))
    token_endpoint = requests.get(issuer + "/.well-known/uma2-configuration", timeout=10).json()["token_endpoint"]
    client_token = session.fetch_token(
        token_url=token_endpoint, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)["access_token"]
    checks.expect(bool(client_token), "client-credentials token from " + token_endpoint)
    seen.clear()
    response = session.get(resource, headers={"Host": HOST}, timeout=10)
    checks.expect(response.status_code == 200, "with the library: 200 (got %d %s)" % (
        response.status_code, response.text[:200]))
    body = response.json() if response.status_code == 200 else {}
    checks.expect(body.get("id") == 1 and body.get("title") == "post 1", "the demo API's post 1 (%s)" % body)
    steps = [(method, url.split("?")[0], status) for method, url, status in seen]
    expected = [("GET", resource, 401), ("GET", issuer + "/.well-known/uma2-configuration", 200),
                ("POST", token_endpoint, 200), ("GET", resource, 200)]
    checks.expect(steps == expected, "401 + ticket → discovery → RPT → 200 (%s)" % steps)
    rpt = (session.token or {}).get("access_token")
    checks.expect(rpt not in (None, client_token), "the session now holds an RPT, not the client token")

    # 3. The RPT is reused: the next request is granted at once, with no new ticket.
    seen.clear()
    again = session.get(proxy + "/posts/2", headers={"Host": HOST}, timeout=10)
    checks.expect(again.status_code == 200 and len(seen) == 1, "the RPT is reused: 200 with no new ticket")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "uma-pep"))
    parser.add_argument("--venv", default=os.path.join(ROOT, ".build", "python-venv"))
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        say("FAILED: %s is not built (swift build first)" % args.binary)
        return 1
    return inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    sys.exit(main())
