"""A minimal asyncio HTTP/1.1 client for the load harness (stdlib only, 127.0.0.1 only).

Used to mint RPTs through the development authorization server, to warm the caches (one request per token)
and for the cold-burst scenario (many new tokens at once, one connection each). wrk does the throughput runs.
"""

import asyncio
import json
import ssl
import time


class HTTPError(Exception):
    """A malformed or truncated HTTP/1.1 response."""


class Connection:
    """One keep-alive HTTP/1.1 connection to host:port. Not safe for concurrent requests (one at a time)."""

    def __init__(self, host, port, timeout=10.0, tls=False):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
        self.reader = None
        self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=_client_context() if self.tls else None),
            self.timeout)

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.writer = None

    async def request(self, method, path, headers=None, body=b""):
        """Sends one request and returns (status, headers dict with lower-case names, body bytes)."""
        if self.writer is None:
            await self.open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        self.writer.write(payload)
        await self.writer.drain()
        return await asyncio.wait_for(self._read_response(method), self.timeout)

    async def _read_response(self, method):
        head = await self.reader.readuntil(b"\r\n\r\n")
        text = head.decode("latin-1").split("\r\n")
        parts = text[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HTTPError(f"bad status line {text[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in text[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body

    async def _read_chunked(self):
        chunks = []
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


async def _pool(host, port, items, concurrency, work):
    """Runs work(connection, item) for every item over `concurrency` keep-alive connections, in order per
    connection; returns the results in item order."""
    results = [None] * len(items)
    queue = asyncio.Queue()
    for pair in enumerate(items):
        queue.put_nowait(pair)

    async def worker():
        connection = Connection(host, port)
        try:
            while True:
                try:
                    index, item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                results[index] = await work(connection, item)
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(items))))))
    return results


def mint_tokens(as_port, count, permissions, lifetime=86400, concurrency=4):
    """Mints `count` RPTs through `POST /_dev/tokens` (DevAuthorizationServerState+DevTools.swift)."""
    body = json.dumps({"permissions": permissions, "lifetime": lifetime}).encode()

    async def work(connection, _):
        status, _, answer = await connection.request(
            "POST", "/_dev/tokens", {"Content-Type": "application/json"}, body)
        if status != 200:
            raise HTTPError(f"/_dev/tokens answered {status}: {answer[:200]!r}")
        return json.loads(answer)["access_token"]

    return asyncio.run(_pool("127.0.0.1", as_port, list(range(count)), concurrency, work))


def warm(port, tokens, paths, concurrency=32):
    """Sends one GET per (token, path) so introspection and check-access are cached; returns the statuses."""
    items = [(token, path) for token in tokens for path in paths]

    async def work(connection, item):
        token, path = item
        status, _, _ = await connection.request("GET", path, {"Authorization": f"Bearer {token}"})
        return status

    return asyncio.run(_pool("127.0.0.1", port, items, concurrency, work))


def _client_context():
    """TLS without verification: the benchmark's throwaway certificate, 127.0.0.1 only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def get(port, path, headers=None, method="GET", body=b"", tls=False):
    """One request on a fresh connection (HTTPS with `tls`): (status, headers, body)."""

    async def once():
        connection = Connection("127.0.0.1", port, tls=tls)
        try:
            return await connection.request(method, path, headers or {}, body)
        finally:
            await connection.close()

    return asyncio.run(once())


def burst(port, tokens, path, duplicates=1, timeout=30.0):
    """Cold burst: every token `duplicates` times, all at once, one new connection per request.

    Returns (wall seconds, [(status, latency seconds)]) with latency measured from the burst's start, as a
    client that fired at that instant would see it.
    """

    async def one(token, start):
        connection = Connection("127.0.0.1", port, timeout=timeout)
        try:
            status, _, _ = await connection.request("GET", path, {"Authorization": f"Bearer {token}"})
            return status, time.perf_counter() - start
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, HTTPError) as error:
            return f"error: {type(error).__name__}", time.perf_counter() - start
        finally:
            await connection.close()

    async def run():
        start = time.perf_counter()
        results = await asyncio.gather(*(one(t, start) for t in tokens for _ in range(duplicates)))
        return time.perf_counter() - start, results

    return asyncio.run(run())


def flood(port, count, path="/", concurrency=256, deadline=120.0):
    """Token flood (the token-flood scenario): `count` GETs, each with a new random bearer token the caches cannot
    hold, over `concurrency` keep-alive connections to 127.0.0.1, reconnecting after an error. Stops after
    `count` requests or `deadline` seconds, whichever comes first.

    Returns (wall seconds, {status or error name: count}).
    """
    import secrets

    statuses = {}
    remaining = [count]

    async def worker(stop_at):
        connection = None
        while remaining[0] > 0 and time.perf_counter() < stop_at:
            remaining[0] -= 1
            if connection is None:
                connection = Connection("127.0.0.1", port)
            token = "flood-" + secrets.token_hex(16)
            try:
                status, _, _ = await connection.request("GET", path, {"Authorization": f"Bearer {token}"})
                key = str(status)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, HTTPError) as error:
                key = f"error: {type(error).__name__}"
                await connection.close()
                connection = None
            statuses[key] = statuses.get(key, 0) + 1
        if connection is not None:
            await connection.close()

    async def run():
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + deadline) for _ in range(max(1, concurrency))))
        return time.perf_counter() - start, statuses

    return asyncio.run(run())
