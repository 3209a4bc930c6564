"""`uma-pep demo` as a child process, shared by the Python test scripts (Tests/python/third_party_uma_client.py,
Tests/deploy/validate_deploy.py). Standard library only; 127.0.0.1 only."""

import os
import re
import signal
import subprocess
import threading
import time

_LISTENING = re.compile(r"uma-pep demo: (proxy|admin|authorization server|upstream) listening on (\S+)")


class Demo:
    """`uma-pep demo` on free ports (port 0 everywhere), in its own process group.

    `addresses` maps "proxy", "admin", "authorization server" and "upstream" to `host:port`, read from the demo's
    `listening on` lines; `output` collects everything it prints (read on a thread, so the demo never blocks on a
    full pipe). Raises RuntimeError, with the output so far, when the demo exits or has not announced its four
    listeners within 60 s. `stop()` sends SIGTERM to the group, SIGKILL after 15 s.
    """

    def __init__(self, binary):
        self.process = subprocess.Popen(
            [binary, "demo", "--proxy-port", "0", "--admin-port", "0", "--as-port", "0", "--upstream-port", "0",
             "--log-level", "warning", "--no-access-log"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.addresses = {}
        self.output = []
        deadline = time.monotonic() + 60
        try:
            while len(self.addresses) < 4:
                if time.monotonic() > deadline:
                    raise RuntimeError("the demo did not announce its listeners:\n" + "".join(self.output))
                line = self.process.stdout.readline()
                if not line:
                    raise RuntimeError("the demo exited (%s):\n%s" % (self.process.poll(), "".join(self.output)))
                self.output.append(line)
                match = _LISTENING.search(line)
                if match:
                    self.addresses[match.group(1)] = match.group(2)
        except BaseException:
            self.stop()
            raise
        # Keep reading, so the demo never blocks on a full pipe.
        threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True).start()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
