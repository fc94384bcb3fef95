"""`bot.py demo`: the bot at work in seconds, offline.

Serves the bundled sample site (examples/site: feeds in RSS and Atom, and their article
pages) on an ephemeral loopback port, writes a temporary config pointing at it with the
watches of your config, and runs ONE real cycle through the same function `once` calls
(fetch, SSRF guard with loopback allowed for this demo only, extraction, matching, outbox,
console delivery). Then it explains a match, runs a search, and says what to try next.
Nothing is written outside a temporary folder unless --db is given.
"""

from __future__ import annotations

import mimetypes
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import settings as settings_mod
from cli.common import say
from errors import ConfigError
from matching.rules import Ruleset

SITE = Path(__file__).resolve().parent.parent / "examples" / "site"
FEEDS = [
    ("Levant Wire", "/levant-wire/rss.xml"),
    ("Northern Dispatch", "/northern-dispatch/atom.xml"),
    ("Levant Wire Arabic", "/arabic/rss.xml"),
]
DEFAULT_WATCHES = [
    {"name": "Syria hotspots", "locations": ["Aleppo", "Palmyra"]},
    {"name": "Atrocities", "keywords": ["mass grave", "chemical attack"]},
]


class _SiteHandler(SimpleHTTPRequestHandler):
    """Static files with {{BASE}} replaced by this server's address."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path.split("?")[0]))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or SITE not in path.resolve().parents:
            self.send_error(404)
            return
        base = f"http://127.0.0.1:{self.server.server_port}"  # type: ignore[attr-defined]
        body = path.read_bytes().replace(b"{{BASE}}", base.encode())
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".xml":
            ctype = "application/atom+xml" if "atom" in path.name else "application/rss+xml"
        self.send_response(200)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_site() -> Iterator[str]:
    handler = partial(_SiteHandler, directory=str(SITE))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _watches(config_path: str) -> list[dict[str, Any]]:
    try:
        shipped = settings_mod.load(config_path)
    except ConfigError:
        return DEFAULT_WATCHES
    watches = [w.model_dump(exclude={"notify", "feeds"}) for w in shipped.watches]
    return watches or DEFAULT_WATCHES


def demo_settings(base: str, db_path: str, workdir: str, config_path: str) -> settings_mod.Settings:
    return settings_mod.from_dict(
        {
            "storage": {"path": db_path},
            "http": {"allow_private_networks": True, "timeout": "10s"},
            "feeds": [{"name": n, "url": base + p} for n, p in FEEDS],
            "watches": _watches(config_path),
            "notifiers": {
                "console": {"type": "console"},
                "demo-jsonl": {"type": "jsonl", "path": "alerts.jsonl"},
            },
        },
        base_dir=workdir,
    )


def run(config_path: str, keep_db: str | None = None) -> int:
    from service.wiring import build_ruleset, run_once

    with tempfile.TemporaryDirectory(prefix="newsbot-demo-") as tmp, serve_site() as base:
        db_path = str(Path(keep_db).resolve()) if keep_db else str(Path(tmp) / "demo.db")
        if keep_db and Path(db_path).exists():
            say(
                f"note: {keep_db} exists; what it already holds is not new and does not "
                f"alert again (delete it to start over)"
            )
        s = demo_settings(base, db_path, tmp, config_path)
        say(
            f"newsbot demo: sample site at {base}, {len(s.feeds)} feeds, "
            f"{len(s.watches)} watches: {', '.join(w.name for w in s.watches)}"
        )
        say("loading the gazetteer and compiling watches...", flush=True)
        ruleset = build_ruleset(s)
        say(
            "polling (one full cycle: fetch feeds, fetch pages, extract, match, alert)\n",
            flush=True,
        )
        report, sent = run_once(s, ruleset=ruleset)
        say(
            f"\n{len(report.feeds)} feeds polled in {report.seconds:.1f}s: {report.new} new "
            f"articles, {report.alerts} alerts queued, {sent.sent} delivered."
        )
        _epilogue(s, ruleset, keep_db)
    return 0


def _epilogue(s: settings_mod.Settings, ruleset: Ruleset, keep_db: str | None) -> None:
    from cli import demo_report

    demo_report.print_quiet_articles(s, ruleset)
    demo_report.print_stories(s)
    demo_report.print_explanation(s, ruleset)
    demo_report.print_search(s, "Aleppo")  # words: the pepper too, not the Arabic reports
    demo_report.print_search(s, "place:Aleppo")  # the place, in any script, not the pepper
    db = keep_db or "demo.db"
    steps = [] if keep_db else [(f"demo --db {db}", "run again, keeping the archive, then:")]
    steps += [
        (f"search Palmyra --db {db}", "search it"),
        (f"stories --db {db}", "the stories, each with its reports"),
        (f"serve --db {db}", "browse it: http://127.0.0.1:8001/"),
        ("check", "your config's watches, places resolved"),
        ("run", "the service on config.toml"),
    ]
    say("\nWhat next:")
    width = max(len(cmd) for cmd, _ in steps)
    for cmd, why in steps:
        say(f"  .venv/bin/python bot.py {cmd:<{width}}  {why}")
