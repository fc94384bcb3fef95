"""A loopback news site for fleet runs: N feeds spread over H "hosts" (the addresses 127.0.0.2,
127.0.0.3, ...: each is its own host for newsbot's per-host limit), every answer delayed by a
fixed latency. It counts what a fleet must get right: requests per feed, and requests in
flight per host at once (the highest seen), with the User-Agent of each request so a test can
tell the workers apart.

Each feed's items (deterministic, for checking the archive after a run):
  - its own article;
  - a "shared" article carried by feed 2k and 2k+1 (two hosts): archived once, two memberships;
  - a headline carried by feeds 3k, 3k+1, 3k+2 under their own links: one story.
A conditional GET with the feed's ETag gets a 304 (warm cycles are latency-bound).

Runs in a thread (tests) or in processes of its own (``SiteProcess``, benchmarks: the hosts
split over a few processes, as 100 real sites would not share one Python interpreter: one
process would make the site, not the fleet, what a benchmark measures).
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

PUBLISHED = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)


def host(i: int) -> str:
    return f"127.0.0.{2 + i}"


def shared_link(k: int) -> str:
    return f"http://shared.example/report/{k}"


def story_headline(k: int) -> str:
    return f"Ceasefire agreed in district number {k} after long overnight talks"


def feed_body(i: int, hostname: str) -> bytes:
    items = [
        (f"http://{hostname}/a/{i}", f"Local council notes {i}"),
        (shared_link(i // 2), f"Flood warning report {i // 2} issued"),
        (f"http://{hostname}/story/{i}", story_headline(i // 3)),
    ]
    xml = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{PUBLISHED}</pubDate><description>{t}.</description></item>"
        for link, t in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
        f"<link>http://{hostname}/</link>{xml}</channel></rss>"
    ).encode()


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)  # path -> count
    in_flight: Counter[str] = field(default_factory=Counter)  # host -> now
    peak: Counter[str] = field(default_factory=Counter)  # host -> highest seen
    log: list[tuple[str, str, float, float]] = field(default_factory=list)  # path, UA, t0, t1


class Site:
    def __init__(
        self, feeds: int, hosts: int, latency: float, part: tuple[int, int] = (0, 1), port: int = 0
    ) -> None:
        """``part`` (k, n): serve the hosts h with h % n == k only, on ``port`` (0: any)."""
        self.feeds, self.hosts, self.latency = feeds, hosts, latency
        self.served = [h for h in range(hosts) if h % part[1] == part[0]]
        self.stats = Stats()
        self.port = port
        self._bodies = {f"/f/{i}.xml": feed_body(i, host(i % hosts)) for i in range(feeds)}
        self._etags = {
            p: '"' + hashlib.sha1(b).hexdigest()[:12] + '"' for p, b in self._bodies.items()
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    def url(self, i: int) -> str:
        return f"http://{host(i % self.hosts)}:{self.port}/f/{i}.xml"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
        }
        where = headers.get("host", "").rsplit(":", 1)[0]
        started = time.monotonic()
        with self._lock:
            self.stats.requests[path] += 1
            self.stats.in_flight[where] += 1
            self.stats.peak[where] = max(self.stats.peak[where], self.stats.in_flight[where])
        done = False

        def finish() -> None:
            # before the answer is written: once written, the client may send its next
            # request (to this process or the other one) before this one gets the CPU back
            nonlocal done
            if not done:
                done = True
                with self._lock:
                    self.stats.in_flight[where] -= 1
                    self.stats.log.append(
                        (path, headers.get("user-agent", ""), started, time.monotonic())
                    )

        try:
            await asyncio.sleep(self.latency)
            body = self._bodies.get(path)
            etag = self._etags.get(path, "")
            if body is None:
                status, body = "404 Not Found", b"no such feed"
            elif headers.get("if-none-match") == etag:
                status, body = "304 Not Modified", b""
            else:
                status = "200 OK"
            finish()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/rss+xml\r\nETag: {etag}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            finish()
            writer.close()

    async def _serve(self, stop: asyncio.Event) -> None:
        first = await asyncio.start_server(
            self._handle, host(self.served[0]), self.port, backlog=1024
        )
        self.port = first.sockets[0].getsockname()[1]
        servers = [first] + [
            await asyncio.start_server(self._handle, host(h), self.port, backlog=1024)
            for h in self.served[1:]
        ]
        self._ready.set()
        await stop.wait()
        for s in servers:
            s.close()

    def start(self) -> Site:
        """Serve from a thread of this process."""

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._stop = asyncio.Event()
            self._loop.run_until_complete(self._serve(self._stop))

        self._thread = threading.Thread(target=run, daemon=True, name="fleet-site")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fleet site did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(5)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.stats.requests),
                "peak": dict(self.stats.peak),
                "total": sum(self.stats.requests.values()),
            }

    def reset(self) -> None:
        with self._lock:
            self.stats = Stats()


def _child(
    feeds: int, hosts: int, latency: float, part: tuple[int, int], port: int, conn: Any
) -> None:
    site = Site(feeds, hosts, latency, part, port).start()
    conn.send(site.port)
    while True:
        cmd = conn.recv()
        if cmd == "stop":
            site.stop()
            conn.send(None)
            return
        conn.send(site.snapshot() if cmd == "snapshot" else site.reset())


class SiteProcess:
    """The site in processes of its own (their event loops then never compete with the
    caller's), the hosts split over ``processes`` of them, all on one port."""

    def __init__(self, feeds: int, hosts: int, latency: float, processes: int = 2) -> None:
        self.feeds, self.hosts, self.latency = feeds, hosts, latency
        self.n = max(1, min(processes, hosts))
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: list[tuple[Any, Any]] = []

    def __enter__(self) -> SiteProcess:
        self.port = 0
        for k in range(self.n):
            conn, child = self._ctx.Pipe()
            args = (self.feeds, self.hosts, self.latency, (k, self.n), self.port, child)
            proc = self._ctx.Process(target=_child, args=args, daemon=True)
            proc.start()
            self.port = int(conn.recv())
            self._procs.append((proc, conn))
        return self

    @property
    def pids(self) -> list[int]:
        return [int(p.pid) for p, _ in self._procs]

    def url(self, i: int) -> str:
        return f"http://{host(i % self.hosts)}:{self.port}/f/{i}.xml"

    def _ask(self, cmd: str) -> list[Any]:
        for _, conn in self._procs:
            conn.send(cmd)
        return [conn.recv() for _, conn in self._procs]

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {"requests": {}, "peak": {}, "total": 0}
        for part in self._ask("snapshot"):
            out["requests"].update(part["requests"])  # the parts serve disjoint feeds
            out["peak"].update(part["peak"])
            out["total"] += part["total"]
        return out

    def reset(self) -> None:
        self._ask("reset")

    def __exit__(self, *exc: object) -> None:
        self._ask("stop")
        for proc, _ in self._procs:
            proc.join(5)
