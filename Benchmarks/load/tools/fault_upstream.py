#!/usr/bin/env python3
"""Misbehaving upstream for Benchmarks/load/faults.sh: listens on 127.0.0.1:PORT only.

  /ok/...          200 "ok\\n" (keep-alive)
  /slow/<ms>/...   waits <ms> milliseconds (at most 30 000), then 200 "ok\\n"
  /reset/...       reads the request, then closes with a TCP reset (SO_LINGER 0), no answer
  /garbage/...     answers bytes that are not an HTTP response, then closes

Usage: fault_upstream.py PORT   (runs until terminated)
"""

import asyncio
import socket
import struct
import sys


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            parts = path.split("/")
            kind = parts[1] if len(parts) > 1 else ""
            if kind == "slow":
                delay = min(int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1000, 30000)
                await asyncio.sleep(delay / 1000)
            elif kind == "reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            elif kind == "garbage":
                writer.write(b"HTTP/1.1 2OO garbage\r\nContent-Length: banana\r\n\r\n\x00\x01")
                await writer.drain()
                writer.close()
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        if not writer.transport.is_closing():
            writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
