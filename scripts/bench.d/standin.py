#!/usr/bin/env python3
"""Stand-in doveadm HTTP API servers for benchmark (c): one process, many ports.

Each listener on 127.0.0.1 answers every request after a fixed delay without using
CPU (as a server on another machine would: the time is the network's and the
server's, not this machine's), with two `who` rows. HTTP/1.1 with keep-alive; the
request body is read (Content-Length) and ignored.

    standin.py --count 1000 --delay 0.05     # prints one port per line, then "ready"

It runs until stdin closes or it gets SIGTERM/SIGINT. Plain asyncio Protocols (no
streams), on uvloop when it is installed, keep the per-request CPU small, so that
1,000 concurrent requests measure the client and not this script.
"""

import argparse
import asyncio
import json
import re
import resource
import signal
import sys

ROWS = [
    {"username": "alice@example.org", "connections": "1", "service": "imap",
     "pids": "(4242)", "ips": "(192.0.2.1)"},
    {"username": "bob@example.org", "connections": "1", "service": "imap",
     "pids": "(4243)", "ips": "(192.0.2.2)"},
]


def reply_bytes():
    body = json.dumps([["doveadmResponse", ROWS, "rdoveadm"]], separators=(",", ":")).encode()
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


REPLY = reply_bytes()


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([0-9]+)", re.IGNORECASE)


class Standin(asyncio.Protocol):
    __slots__ = ("loop", "delay", "buf", "transport")

    def __init__(self, loop, delay):
        self.loop, self.delay = loop, delay
        self.buf = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        buf = self.buf + data if self.buf else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            m = CONTENT_LENGTH.search(buf, 0, end + 2)
            total = end + 4 + (int(m.group(1)) if m else 0)
            if len(buf) < total:
                break
            buf = buf[total:]
            self.loop.call_later(self.delay, self.answer)
        self.buf = buf

    def answer(self):
        t = self.transport
        if t is not None and not t.is_closing():
            t.write(REPLY)

    def connection_lost(self, exc):
        self.transport = None


async def main(args):
    loop = asyncio.get_running_loop()
    servers = []
    for _ in range(args.count):
        srv = await loop.create_server(lambda: Standin(loop, args.delay), "127.0.0.1", 0, backlog=1024)
        servers.append(srv)
    for srv in servers:
        print(srv.sockets[0].getsockname()[1])
    print("ready", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Stop when the parent closes our stdin (it went away).
    def on_stdin():
        if not sys.stdin.buffer.read1(1024):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()
    loop.add_reader(sys.stdin.fileno(), on_stdin)
    await stop.wait()
    for srv in servers:
        srv.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1, help="listeners (ports) to open")
    ap.add_argument("--delay", type=float, default=0.05, help="seconds before each answer (default 0.05)")
    a = ap.parse_args()
    # Two descriptors per server (listener + connection): raise the soft limit to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if 2 * a.count + 64 > hard:
        sys.exit(f"standin: {a.count} servers need {2 * a.count + 64} open files; the limit is {hard}")
    try:
        # Debian's python3-uvloop (scripts/bench installs it): the same code at about a
        # third of the CPU per request, so that the stand-ins leave the client its core.
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(a))
