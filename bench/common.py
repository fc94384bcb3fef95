"""Shared pieces of the benchmarks: paths, corpora, a local feed server, tables, JSON results.

Every server here listens on 127.0.0.1 only and is started (and stopped) by the benchmark.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
SHARED = ROOT.parent / "shared"
REAL_FEEDS = SHARED / "corpora" / "real-feeds" / "fastfeedparser-benchmark_data"
GEO_DEV = SHARED / "corpora" / "geo-dev"
PYTHON = sys.executable


# ---- results -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def target(name: str, met: bool | None, figure: str) -> dict[str, Any]:
    """One line of the final summary: met / not met (None: not measured) with the figure."""
    return {"target": name, "met": met, "figure": figure}


def save(name: str, data: dict[str, Any], out_dir: Path | None = None) -> Path:
    """Write bench/results/NAME.json (``cores`` and the machine included)."""
    out = out_dir or RESULTS
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, **machine(), **data}
    path = out / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="left" if c == columns[0] else "right")
    for r in rows:
        t.add_row(*(fmt(v) for v in r))
    Console().print(t)


def fmt(v: Any) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.4f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return float(s[k])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# ---- /proc ---------------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS / VmPeak of a process, in kB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "VmPeak", "VmSize"):
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


# ---- corpora -------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


@lru_cache(maxsize=1)
def news_texts() -> tuple[tuple[str, str], ...]:
    """(title, text) of real news articles (GeoWebNews + GeoVirus) when the corpora are here,
    else generated paragraphs."""
    import xml.etree.ElementTree as ET

    out: list[tuple[str, str]] = []
    for name in ("GWN.xml", "GeoVirus.xml"):
        p = GEO_DEV / name
        if not p.exists():
            continue
        try:
            root = ET.parse(p).getroot()
        except ET.ParseError:
            continue
        for art in root.iter("article"):
            text = (art.findtext("text") or "").strip()
            title = (art.findtext("title") or text[:80]).strip()
            if text:
                out.append((title, text))
    if not out:
        rng = random.Random(7)
        words = vocabulary()
        for i in range(200):
            body = " ".join(rng.choice(words) for _ in range(400))
            out.append((f"Generated story {i}", body.capitalize() + "."))
    return tuple(out)


_FALLBACK_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "said",
    "on",
    "for",
    "that",
    "is",
    "with",
    "was",
    "by",
    "at",
    "from",
    "as",
    "he",
    "it",
    "his",
    "be",
    "has",
    "have",
    "government",
    "police",
    "people",
    "year",
    "minister",
    "president",
    "city",
    "officials",
    "state",
    "news",
    "report",
    "war",
    "attack",
    "killed",
    "forces",
    "election",
    "health",
    "week",
    "country",
    "military",
    "court",
    "water",
    "fire",
    "border",
    "aid",
    "refugees",
    "hospital",
    "village",
    "army",
    "rebels",
    "talks",
    "peace",
    "economy",
    "market",
    "oil",
    "prices",
    "bank",
    "crisis",
]


@lru_cache(maxsize=1)
def vocabulary() -> list[str]:
    """Real words ranked by frequency in the news corpora (most frequent first)."""
    counts: Counter[str] = Counter()
    for title, text in news_texts():
        counts.update(w.lower() for w in _WORD.findall(f"{title} {text}"))
    words = [w for w, _ in counts.most_common() if len(w) < 20]
    return words if len(words) > 1000 else _FALLBACK_WORDS


@lru_cache(maxsize=1)
def real_feed_files() -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of the real outlet feeds (XML ones), or () when the corpus is absent."""
    if not REAL_FEEDS.is_dir():
        return ()
    out = []
    for p in sorted(REAL_FEEDS.glob("*.xml")):
        data = p.read_bytes()
        if data.lstrip()[:1] == b"<":
            out.append((p.name, data))
    return tuple(out)


@dataclass(frozen=True)
class ItemTemplate:
    title: str
    summary_html: str
    author: str


@lru_cache(maxsize=1)
def real_items() -> tuple[tuple[ItemTemplate, ...], ...]:
    """Items of each real feed (title, summary HTML as published, author); used to build
    feeds of realistic sizes. Content (full article bodies) is left out: a typical outlet
    feed carries summaries."""
    import feedparser

    pools = []
    for _name, data in real_feed_files():
        d = feedparser.parse(data, sanitize_html=False)
        items = []
        for e in d.entries:
            summary = e.get("summary", "") or ""
            if len(summary) > 4000:  # a few outlets put the whole article in the summary
                summary = summary[:4000]
            items.append(ItemTemplate(e.get("title", "") or "", summary, e.get("author", "")))
        if len(items) >= 5:
            pools.append(tuple(items))
    if not pools:
        rng = random.Random(3)
        words = vocabulary()
        gen = tuple(
            ItemTemplate(
                " ".join(rng.choice(words) for _ in range(9)).capitalize(),
                "<p>" + " ".join(rng.choice(words) for _ in range(60)) + ".</p>",
                "Staff",
            )
            for _ in range(50)
        )
        pools = [gen]
    return tuple(pools)


BASE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def build_feed(
    index: int, items: int = 50, *, generation: int = 0, host: str = "outlet.bench.test",
    extra_items: Sequence[tuple[str, str, str]] = (),
) -> bytes:  # fmt: skip
    """Feed ``index``: RSS 2.0 for even indexes, Atom for odd ones, ``items`` entries taken
    from real feed ``index % 28`` (cycled), with guids and links unique to this feed.
    ``extra_items`` (guid, title, summary) are put first (the newest)."""
    pools = real_items()
    pool = pools[index % len(pools)]
    entries: list[tuple[str, str, str, str, str, datetime]] = []
    for g, t, s in extra_items:
        link = f"https://{host}/{index}/{g}.html"
        entries.append((g, t, link, escape(s), "Desk", BASE_TIME + timedelta(hours=1)))
    for j in range(items):
        it = pool[(j + generation) % len(pool)]
        guid = f"urn:bench:{index}:{generation}:{j}"
        link = f"https://{host}/{index}/{generation}-{j}.html"
        when = BASE_TIME - timedelta(minutes=17 * j + index % 60)
        entries.append((guid, it.title, link, it.summary_html, it.author, when))
    if index % 2 == 0:
        body = "".join(
            f'<item><guid isPermaLink="false">{escape(g)}</guid><title>{escape(t)}</title>'
            f"<link>{escape(link)}</link><pubDate>{format_datetime(w)}</pubDate>"
            f"<dc:creator>{escape(a)}</dc:creator>"
            f"<description>{escape(s)}</description></item>\n"
            for g, t, link, s, a, w in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>Outlet {index}</title><link>https://{host}/</link>"
            f"<description>News from outlet {index}</description><language>en</language>"
            f"<lastBuildDate>{format_datetime(BASE_TIME)}</lastBuildDate>\n{body}"
            "</channel></rss>\n"
        ).encode()
    body = "".join(
        f"<entry><id>{escape(g)}</id><title>{escape(t)}</title>"
        f'<link rel="alternate" type="text/html" href="{escape(link)}"/>'
        f"<published>{w:%Y-%m-%dT%H:%M:%SZ}</published><updated>{w:%Y-%m-%dT%H:%M:%SZ}</updated>"
        f"<author><name>{escape(a)}</name></author>"
        f'<summary type="html">{escape(s)}</summary></entry>\n'
        for g, t, link, s, a, w in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Outlet {index}</title><id>urn:bench:outlet:{index}</id>"
        f'<link rel="alternate" href="https://{host}/"/>'
        f"<updated>{BASE_TIME:%Y-%m-%dT%H:%M:%SZ}</updated>\n{body}</feed>\n"
    ).encode()


# ---- the local feed server -----------------------------------------------------------------


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 serving ``bodies[path]`` with an ETag and
    answering 304 to a matching If-None-Match. ``always_304`` answers 304 to everything
    (a server whose feeds never change). ``/_stats`` gives the request counts as JSON."""

    def __init__(self, bodies: dict[str, bytes], *, always_304: bool = False) -> None:
        self._lock = threading.Lock()
        self.bodies: dict[str, tuple[bytes, str]] = {}
        for path, body in bodies.items():
            self.set(path, body)
        self.always_304 = always_304
        self.counts: Counter[str] = Counter()
        self._httpd: ThreadingHTTPServer | None = None

    def set(self, path: str, body: bytes) -> None:
        with self._lock:
            self.bodies[path] = (body, etag_of(body))

    def start(self, port: int = 0) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                if path == "/_stats":
                    with server._lock:
                        body = json.dumps(dict(server.counts)).encode()
                    return self._send(200, body, {"Content-Type": "application/json"})
                with server._lock:
                    got = server.bodies.get(path)
                if server.always_304:
                    server._count("304")
                    return self._send(304, b"", {"ETag": '"static"'})
                if got is None:
                    server._count("404")
                    return self._send(404, b"not found", {})
                body, etag = got
                if self.headers.get("If-None-Match") == etag:
                    server._count("304")
                    return self._send(304, b"", {"ETag": etag})
                server._count("200")
                self._send(200, body, {"ETag": etag, "Content-Type": "application/xml"})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._httpd = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


def _serve_child(bodies: dict[str, bytes], always_304: bool, conn: Any) -> None:
    server = FeedServer(bodies, always_304=always_304).start()
    conn.send(server.port)
    conn.recv()  # block until the parent says stop (or dies)
    server.stop()


class ServerProcess:
    """A FeedServer in another process (so its CPU is not the client's)."""

    def __init__(self, bodies: dict[str, bytes], *, always_304: bool = False) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve_child, args=(bodies, always_304, child), daemon=True
        )
        self.process.start()
        self.port: int = self._conn.recv()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict[str, int]:
        import urllib.request

        with urllib.request.urlopen(self.url("/_stats"), timeout=10) as r:
            return dict(json.loads(r.read()))

    def stop(self) -> None:
        with suppress(OSError):
            self._conn.send("stop")
        self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def loopback_resolver(mapping_ip: str = "127.0.0.1") -> Any:
    """A Resolver sending every host name to 127.0.0.1 (the bench's outlets are named
    ``outletN.bench.test`` so the per-host limits apply as they would on the Internet)."""

    async def resolve(host: str, port: int) -> list[str]:
        return [mapping_ip]

    return resolve


# ---- config files for the real service -------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """A config.toml from plain data: tables of scalars, ``feeds``/``watches`` arrays of
    tables, ``notifiers`` a table of tables."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict) and key == "notifiers":
            for name, opts in value.items():
                lines.append(f"[notifiers.{name}]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in opts.items()]
        elif isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list):
            for item in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


class LogWatcher:
    """Drain a subprocess's stderr in a thread; wait for a line containing some text."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._drain, args=(stream,), daemon=True).start()

    def _drain(self, stream: Any) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, text: str, timeout: float, start: int = 0) -> int | None:
        """Index of the first line from ``start`` containing ``text``, or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    if text in self.lines[i]:
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 1.0))
