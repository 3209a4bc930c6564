#!/usr/bin/env python3
"""Real WebSocket peers for uma-pep's end-to-end tests (Tests/EndToEndTests/WebSocketTests.swift), built on the
`websockets` library from PyPI (RFC 6455), pinned below.

    python3 Tests/python/websocket_peer.py ensure-venv --venv DIR
        Creates (once) a virtual environment in DIR and pip-installs websockets into it (bounded: 300 s). Prints
        the environment's python path. The other commands run with that python.

    python websocket_peer.py server [--port PORT]
        A WebSocket upstream on 127.0.0.1:PORT (default 0: a free port) and a raw TCP one that answers every request with a 101 nobody asked
        for. Prints `websocket listening on 127.0.0.1:PORT` and `raw listening on 127.0.0.1:PORT`, then one
        `handshake PATH` line per WebSocket handshake it receives (so a test can tell that nothing reached it).
        Paths: /ws/echo echoes every message; /ws/close-first sends "bye" and closes (the upstream closes first);
        /ws/stream sends STREAM bytes in 64 KiB binary messages as fast as it may, then "done", then echoes.

    python websocket_peer.py client --url URL --connect-port PORT [--header 'Name: value'] [--cafile FILE]
                                    [--scenario echo|client-fin|upstream-close|idle|hold|handshake|slow-read]
                                    [--hold SECONDS]
        Connects to 127.0.0.1:PORT (the URL's host is the Host header and, for wss, the TLS server name), runs
        the scenario and prints one JSON object. A refused handshake prints {"status": N, "headers": …, "body": …}.

Every wait is bounded; a client exits within 60 s whatever happens.
"""

import argparse
import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import venv

PACKAGES = ["websockets==17.4"]
PIP_SECONDS = 300
LARGE = 3 * 1024 * 1024 + 7
STREAM = 6 * 1024 * 1024


def ensure_venv(args):
    python = os.path.join(args.venv, "bin", "python")
    marker = os.path.join(args.venv, ".installed-" + "-".join(PACKAGES))
    if not os.path.exists(marker):
        venv.EnvBuilder(with_pip=True, clear=True).create(args.venv)
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + PACKAGES,
            check=True, timeout=PIP_SECONDS, stdout=sys.stderr)
        open(marker, "w").close()
    print(python, flush=True)


async def run_server(port):
    from websockets.asyncio.server import serve

    async def handler(connection):
        path = connection.request.path
        print("handshake " + path, flush=True)
        if path == "/ws/close-first":
            await connection.send("bye")
            await connection.close(code=1000, reason="upstream done")
            return
        if path == "/ws/stream":
            chunk = b"s" * 65536
            for _ in range(STREAM // len(chunk)):
                await connection.send(chunk)
            await connection.send("done")
        async for message in connection:
            await connection.send(message)

    async def raw(reader, writer):
        # Reads one request head, answers 101 whatever it was.
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(5)
        except Exception:
            pass
        writer.close()

    async with serve(handler, "127.0.0.1", port, max_size=None, ping_interval=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        raw_server = await asyncio.start_server(raw, "127.0.0.1", 0)
        raw_port = raw_server.sockets[0].getsockname()[1]
        print("websocket listening on 127.0.0.1:%d" % port, flush=True)
        print("raw listening on 127.0.0.1:%d" % raw_port, flush=True)
        await asyncio.Future()


async def run_client(args):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    headers = [tuple(part.strip() for part in header.split(":", 1)) for header in args.header]
    context = None
    if args.url.startswith("wss:"):
        context = ssl.create_default_context(cafile=args.cafile)
    result = {}
    started = time.monotonic()
    where = {"host": "127.0.0.1", "port": args.connect_port}
    if args.scenario == "slow-read":
        # A small receive buffer (set before connecting, so the window stays small): the proxy's queue towards this
        # client fills up and only drains as fast as the scenario reads.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.connect(("127.0.0.1", args.connect_port))
        where = {"sock": sock, "max_queue": 2}
    try:
        connection = await connect(
            args.url, ssl=context, additional_headers=headers, proxy=None, max_size=None, ping_interval=None,
            compression=None, open_timeout=10, close_timeout=10, **where)
    except InvalidStatus as error:
        response = error.response
        print(json.dumps({
            "status": response.status_code,
            "headers": {name.lower(): value for name, value in response.headers.raw_items()},
            "body": response.body.decode("utf-8", "replace") if response.body else "",
        }), flush=True)
        return
    result["status"] = 101
    if args.scenario == "handshake":
        await connection.close()
    elif args.scenario == "echo":
        await connection.send("hello through the PEP")
        result["text"] = await asyncio.wait_for(connection.recv(), 10)
        payload = os.urandom(LARGE)
        await connection.send(payload)
        echoed = await asyncio.wait_for(connection.recv(), 30)
        result["large_equal"] = echoed == payload
        result["large_length"] = len(echoed)
        for index in range(50):
            await connection.send("message %d" % index)
        replies = [await asyncio.wait_for(connection.recv(), 10) for _ in range(50)]
        result["ordered"] = replies == ["message %d" % index for index in range(50)]
        await asyncio.wait_for(connection.close(code=1000, reason="client done"), 15)
        result["close_code"] = connection.close_code
    elif args.scenario == "client-fin":
        # Ends the TCP connection without a close frame (the client's FIN comes first).
        await connection.send("last words")
        result["text"] = await asyncio.wait_for(connection.recv(), 10)
        connection.transport.close()
        await asyncio.sleep(0.5)
    elif args.scenario == "upstream-close":
        result["text"] = await asyncio.wait_for(connection.recv(), 10)
        try:
            await asyncio.wait_for(connection.recv(), 15)
            result["closed"] = False
        except ConnectionClosed:
            result["closed"] = True
        await asyncio.wait_for(connection.wait_closed(), 15)
        result["close_code"] = connection.close_code
        result["close_reason"] = connection.close_reason
    elif args.scenario == "idle":
        try:
            await asyncio.wait_for(connection.recv(), 30)
            result["closed"] = False
        except ConnectionClosed:
            result["closed"] = True
        result["seconds"] = time.monotonic() - started
    elif args.scenario == "slow-read":
        # Reads /ws/stream slowly (about 640 KiB/s) without ever sending: the tunnel is busy, never idle.
        received = 0
        try:
            while True:
                message = await asyncio.wait_for(connection.recv(), 30)
                if message == "done":
                    break
                received += len(message)
                await asyncio.sleep(0.1)
            result["done"] = True
        except ConnectionClosed:
            result["done"] = False
        result["received"] = received
        result["seconds"] = time.monotonic() - started
        await asyncio.wait_for(connection.close(), 15)
    elif args.scenario == "hold":
        print(json.dumps({"status": 101, "open": True}), flush=True)
        await asyncio.sleep(args.hold)
        await connection.send("still here")
        result["text"] = await asyncio.wait_for(connection.recv(), 10)
        await asyncio.wait_for(connection.close(), 15)
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("ensure-venv")
    setup.add_argument("--venv", required=True)
    server = commands.add_parser("server")
    server.add_argument("--port", type=int, default=0)
    client = commands.add_parser("client")
    client.add_argument("--url", required=True)
    client.add_argument("--connect-port", type=int, required=True)
    client.add_argument("--header", action="append", default=[])
    client.add_argument("--cafile")
    client.add_argument("--scenario", default="echo")
    client.add_argument("--hold", type=float, default=1.0)
    args = parser.parse_args()
    if args.command == "ensure-venv":
        ensure_venv(args)
    elif args.command == "server":
        try:
            asyncio.run(run_server(args.port))
        except KeyboardInterrupt:
            pass
    else:
        asyncio.run(asyncio.wait_for(run_client(args), 60))


if __name__ == "__main__":
    main()
