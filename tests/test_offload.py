"""A worker's event loop goes on while its articles wait for the fleet-wide stories lock
(PostgreSQL; real `bot.py once`, a real lock held by another session, a loopback site).

Completing articles (matches, alerts, story) takes the stories lock. A worker SIGSTOPped inside
that transaction holds it until the server ends its session (30 s idle in a transaction).
Completing used to run on the event loop: every other worker stood still for those 30 s, no
fetch, no heartbeat of its per-host gate. Now it runs in a thread of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from feedfactory import page, rss
from httpserver import Reply

ROOT = Path(__file__).resolve().parent.parent
HOLD = 8.0  # seconds the lock is held once the first article is on its way to completion
TITLE = {"a": "Shelling hits two Aleppo districts overnight", "b": "Aleppo old city loses power"}
STORY = {
    "a": ["Shelling hit two districts of Aleppo overnight.", "Rescue teams searched the ruins."],
    "b": ["Aleppo's old city lost power after a substation burned.", "Repairs may take weeks."],
}


def test_fetches_go_on_while_the_stories_lock_is_held(tmp_path, http_server, pg_url):
    pages: dict[str, float] = {}

    def article(name: str) -> Reply:
        pages[name] = time.monotonic()
        body = page(TITLE[name], STORY[name])
        return Reply(200, body, {"Content-Type": "text/html"})

    for name, delay in (("a", 0.0), ("b", 1.5)):
        link = http_server.url(f"/{name}/1.html")
        http_server.route(f"/{name}/1.html", lambda _r, n=name: article(n))
        feed = rss([(f"{name}-1", TITLE[name], link, STORY[name][0])])
        http_server.route(
            f"/{name}.xml", Reply(200, feed, {"Content-Type": "application/rss+xml"}, delay=delay)
        )
    feeds = "".join(
        f'[[feeds]]\nname = "{n}"\nurl = "{http_server.url(f"/{n}.xml")}"\n' for n in "ab"
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[storage]\nurl = "{pg_url}"\n[http]\nallow_private_networks = true\ntimeout = "5s"\n'
        '[notifiers.out]\ntype = "jsonl"\npath = "alerts.jsonl"\n'
        '[[watches]]\nname = "Aleppo"\nkeywords = ["Aleppo"]\n' + feeds,
        encoding="utf-8",
    )
    holder = psycopg.connect(pg_url)  # another worker, stopped inside its transaction
    holder.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["stories"])
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(cfg), "once"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "a" not in pages and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert "a" in pages, "the worker never fetched the first article"
        threading.Event().wait(HOLD)
        released = time.monotonic()
        holder.rollback()
        out, err = worker.communicate(timeout=120)
    finally:
        holder.close()
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert pages["b"] < released - 1.0, "the second feed waited for the lock to be released"
    alerts = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert sorted(a["title"] for a in alerts) == sorted(TITLE.values())
