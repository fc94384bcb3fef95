"""Shared helpers of the fault-injection suite (tests/test_faults_*.py).

- ``Receiver``: a webhook endpoint on 127.0.0.1 that records every POST by Idempotency-Key,
  answers with a scripted status, and can call a hook on each delivery (to kill a process).
- ``write_toml``: a tiny TOML writer for the configs the CLI subprocesses read.
- ``free_port``, ``integrity``, ``reset_peak_rss`` / ``peak_rss``: small probes.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from httpserver import LocalServer, Reply, Request

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
BOT = ROOT / "bot.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def integrity(db_path: str | Path) -> str:
    conn = sqlite3.connect(str(db_path))
    try:
        return ";".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    return _status_kb("VmHWM") / 1024


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


# -- TOML ---------------------------------------------------------------------------------------


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def _table(lines: list[str], header: str, data: dict[str, Any]) -> None:
    lines.append(header)
    for k, v in data.items():
        if not isinstance(v, dict):
            lines.append(f"{json.dumps(k)} = {_value(v)}")
    lines.append("")


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """Write the shape newsbot's config uses: tables, arrays of tables, one nested level."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
            if scalars or not value:
                _table(lines, f"[{key}]", scalars)
            for sub, subval in value.items():
                if isinstance(subval, dict):
                    _table(lines, f"[{key}.{json.dumps(sub)}]", subval)
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for item in value:
                _table(lines, f"[[{key}]]", item)
        else:
            lines.insert(0, f"{key} = {_value(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- webhook receiver ---------------------------------------------------------------------------


@dataclass
class Delivery:
    key: str
    payload: dict[str, Any]
    status: int


@dataclass
class Receiver:
    """POST /hook: records each request, answers ``script(n, key)`` (default 200).

    ``on_delivery(delivery)`` runs in the server thread before the reply is written."""

    server: LocalServer | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    script: Callable[[int, str], Reply] | None = None
    on_delivery: Callable[[Delivery], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Receiver:
        self.server = start_server()
        self.server.route("/hook", self._handle)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url("/hook")

    def _handle(self, req: Request) -> Reply:
        key = req.headers.get("idempotency-key", "")
        try:
            payload = json.loads(req.body or b"{}")
        except ValueError:
            payload = {}
        with self._lock:
            n = len(self.deliveries)
            reply = self.script(n, key) if self.script else Reply(200, b"ok")
            delivery = Delivery(key, payload, reply.status)
            self.deliveries.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        return reply

    def accepted(self) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if 200 <= d.status < 300]

    def counts(self) -> Counter[str]:
        """Accepted deliveries per Idempotency-Key."""
        return Counter(d.key for d in self.accepted())


# -- a small news site --------------------------------------------------------------------------

STORY = [
    "A convoy of forty trucks left the border crossing at dawn, officials said.",
    "Drivers described long waits at checkpoints along the highway north.",
    "The United Nations said the aid would reach families in Aleppo by Friday.",
]


def news_site(server: LocalServer, path: str, prefix: str, titles: list[str]) -> list[str]:
    """Serve an RSS feed at ``path`` whose items (one per title) all name Aleppo; returns links."""
    from feedfactory import page, rss

    links = [server.url(f"/{prefix}/{i}.html") for i in range(len(titles))]
    items = [
        (f"{prefix}-{i}", t, links[i], f"News from Aleppo, item {i}") for i, t in enumerate(titles)
    ]
    server.route(path, Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    for i, t in enumerate(titles):
        server.route(
            f"/{prefix}/{i}.html",
            Reply(200, page(t, STORY), {"Content-Type": "text/html; charset=utf-8"}),
        )
    return links


def queue_alerts(settings: Any) -> Any:
    """One poll cycle (no delivery): archive, match, queue alerts in the outbox."""
    import asyncio

    from service.wiring import build_ruleset, open_store, poll_cycle

    with open_store(settings) as store:
        return asyncio.run(poll_cycle(settings, store, build_ruleset(settings), everything=True))


class _Roomy(ThreadingHTTPServer):
    """A listen backlog that holds many simultaneous connects (the default 5 drops SYNs when a
    dozen fetches start at once: a 1 s retransmit, a spurious ConnectTimeout), and silence
    about clients that vanish (a killed bot)."""

    request_queue_size = 512

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start_server() -> LocalServer:
    """A started LocalServer built on ``_Roomy``."""
    import httpserver

    original = httpserver.ThreadingHTTPServer
    httpserver.ThreadingHTTPServer = _Roomy  # type: ignore[misc]
    try:
        return LocalServer().start()
    finally:
        httpserver.ThreadingHTTPServer = original  # type: ignore[misc]


@contextmanager
def roomy_server() -> Iterator[LocalServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
