#!/usr/bin/env python3
"""A small fake of Kong's Admin API for the `uma-pep import kong --admin-url` end-to-end test.

Serves `GET /services`, `/routes`, `/plugins` and `/consumers` from a JSON file holding one list per endpoint,
paginated as Kong does (Kong Admin API docs, "Pagination"): `{"data": [...], "next": "/services?offset=…"}`, with
`"next": null` on the last page. The page size is `--page-size` (the client's `size` is ignored, so small pages can
be forced). When the file has an `upstreams` list, `/upstreams` and `/upstreams/{id or name}/targets` are served
too (the file's `targets` whose `upstream.id` is that upstream's). Other paths answer 404 like a Kong without
those entities. With `--token`, every request must carry
`Kong-Admin-Token: <token>` (Kong Enterprise RBAC) or gets 401. Every request line is appended to `--log`.

    python3 Tests/python/fake_kong_admin.py --data kong.json [--page-size 2] [--token T] [--log requests.log]

Binds 127.0.0.1 on a free port and prints `fake-kong-admin listening on 127.0.0.1:PORT`. Stops on SIGTERM.
"""

import argparse
import base64
import json
import signal
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ENDPOINTS = ("services", "routes", "plugins", "consumers")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--page-size", type=int, default=2)
    parser.add_argument("--token")
    parser.add_argument("--log")
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as f:
        data = json.load(f)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *rest):
            pass

        def answer(self, status, body):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            if args.log:
                with open(args.log, "a", encoding="utf-8") as log:
                    log.write(self.path + "\n")
            if args.token and self.headers.get("Kong-Admin-Token") != args.token:
                return self.answer(401, {"message": "Invalid credentials. Token or User credentials required"})
            url = urllib.parse.urlsplit(self.path)
            name = url.path.strip("/")
            parts = name.split("/")
            if name in ENDPOINTS or (name == "upstreams" and "upstreams" in data):
                items = data.get(name, [])
            elif len(parts) == 3 and parts[0] == "upstreams" and parts[2] == "targets" and "upstreams" in data:
                upstream = next((u for u in data["upstreams"] if parts[1] in (u.get("id"), u.get("name"))), None)
                if upstream is None:
                    return self.answer(404, {"message": "Not found"})
                items = [t for t in data.get("targets", []) if (t.get("upstream") or {}).get("id") == upstream["id"]]
            else:
                return self.answer(404, {"message": "Not found"})
            query = urllib.parse.parse_qs(url.query)
            start = 0
            if "offset" in query:
                start = int(base64.urlsafe_b64decode(query["offset"][0]).decode())
            end = start + args.page_size
            page = {"data": items[start:end], "next": None}
            if end < len(items):
                offset = base64.urlsafe_b64encode(str(end).encode()).decode()
                page["next"] = "/%s?offset=%s" % (name, urllib.parse.quote(offset))
                page["offset"] = offset
            self.answer(200, page)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A parent may start us with SIGTERM blocked (the Swift test runner does); take it back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("fake-kong-admin listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
