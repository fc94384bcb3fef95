"""A local feed server in another process (127.0.0.1 only, started and stopped by the
benchmark), and config files / log watching for benchmarks that run the real service."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import threading
import time
from collections import Counter
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT  # noqa: F401

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
