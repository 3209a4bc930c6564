"""The shared-cache (Redis) scenario of Benchmarks/load/redis.sh: two uma-pep instances behind a round-robin
"load balancer", TOKENS new RPTs, each sent once to each instance, and the development AS's call counts
(`GET /_dev/calls`) with and without `cache.redis`.

Usage: shared_cache.py AS_PORT TOKENS CONCURRENCY NAME:PORT_A:PORT_B [NAME:PORT_A:PORT_B ...]
Prints one JSON object per pair on stdout.
"""

import asyncio
import json
import sys
import time

import httpc

PERMISSIONS = [{"resource_path": "/", "http_method": "GET", "scopes": ["read"]}]


def calls(as_port):
    status, _, body = httpc.get(as_port, "/_dev/calls")
    if status != 200:
        raise SystemExit(f"/_dev/calls answered {status}")
    return json.loads(body)["counts"]


def reset(as_port):
    status, _, _ = httpc.get(as_port, "/_dev/calls", method="DELETE")
    if status != 204:
        raise SystemExit(f"DELETE /_dev/calls answered {status}")


def send(port, tokens, concurrency):
    """One GET / per token on `port`; returns the statuses."""
    return httpc.warm(port, tokens, ["/"], concurrency=concurrency)


def main():
    as_port, count, concurrency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for pair in sys.argv[4:]:
        name, port_a, port_b = pair.split(":")
        port_a, port_b = int(port_a), int(port_b)
        tokens = httpc.mint_tokens(as_port, count, PERMISSIONS)
        reset(as_port)
        half = len(tokens) // 2
        started = time.time()
        # Pass 1: the first half to A, the second to B; pass 2: the other way round. Every token reaches both
        # instances once, the second time after the first instance has answered it.
        statuses = send(port_a, tokens[:half], concurrency) + send(port_b, tokens[half:], concurrency)
        first = time.time() - started
        second_started = time.time()
        statuses += send(port_b, tokens[:half], concurrency) + send(port_a, tokens[half:], concurrency)
        second = time.time() - second_started
        counts = calls(as_port)
        bad = [s for s in statuses if s != 200]
        print(json.dumps({
            "name": name, "tokens": len(tokens), "requests": len(statuses), "not_200": len(bad),
            "introspections": counts.get("/introspect-rpt", 0), "check_access": counts.get("/uma-rs-check-access", 0),
            "first_pass_seconds": round(first, 2), "second_pass_seconds": round(second, 2),
        }), flush=True)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
