"""Hostile text through every output, in one real cycle (fault suite): a JSON Feed whose
headlines carry every class in tests/hostile.py (Rich markup, ANSI and OSC-8 escapes, C1
controls, bidi overrides, characters XML cannot carry, chat mentions, Markdown links, HTML,
CR/LF) is polled, matched and delivered to e-mail (a real SMTP server), a webhook, chat
(Apprise to a Mattermost-shaped endpoint) and a JSON-lines file; then the archive is read back
through the command line, the web pages and the Atom feed. Each output shows the text as text.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import HOSTILE, TERMINAL_UNSAFE, json_feed
from httpserver import LocalServer, Reply

import settings
import web
from service.wiring import run_once

pytestmark = pytest.mark.fault

ROOT = Path(__file__).resolve().parent.parent
BIDI = ("\u202e", "\u202c", "\u2066", "\u2069")


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One cycle of the hostile feed, every channel on loopback; what each one received."""
    from smtpserver import SmtpServer

    tmp = tmp_path_factory.mktemp("hostile-text")
    server = LocalServer().start()
    smtp = SmtpServer().start()
    server.route(
        "/feed.json",
        Reply(200, json_feed(server.url("")), {"Content-Type": "application/feed+json"}),
    )
    for path in ("/hook", "/hooks/chattok3n"):
        server.route(path, Reply(200, b"{}", {"Content-Type": "application/json"}))
    cfg = settings.from_dict(
        {
            "storage": {"path": str(tmp / "archive.db")},
            "http": {"allow_private_networks": True, "timeout": "2s"},
            "feeds": [{"name": "Hostile", "url": server.url("/feed.json"), "full_text": False}],
            "watches": [{"name": "Aleppo", "keywords": ["Aleppo"]}],
            "notifiers": {
                "mail": {
                    "type": "email",
                    "host": "127.0.0.1",
                    "port": smtp.port,
                    "security": "none",
                    "to": ["analyst@example.org"],
                },
                "hook": {"type": "webhook", "url": server.url("/hook")},
                "chat": {"type": "apprise", "urls": [f"mmost://127.0.0.1:{server.port}/chattok3n"]},
                "file": {"type": "jsonl", "path": str(tmp / "alerts.jsonl")},
            },
        },
        base_dir=str(tmp),
    )
    report, sent = run_once(cfg)
    try:
        yield {
            "config": cfg,
            "report": report,
            "sent": sent,
            "mail": list(smtp.inbox.messages),
            "hook": [json.loads(r.body) for r in server.hits("/hook")],
            "chat": [json.loads(r.body)["text"] for r in server.hits("/hooks/chattok3n")],
            "jsonl": [json.loads(line) for line in (tmp / "alerts.jsonl").read_text().splitlines()],
        }
    finally:
        server.stop()
        smtp.stop()


def test_every_hostile_headline_is_archived_and_delivered_everywhere(cycle: dict[str, Any]) -> None:
    assert cycle["report"].new == len(HOSTILE) and not cycle["report"].failed
    assert cycle["sent"].failed == 0
    for channel in ("mail", "hook", "chat", "jsonl"):
        assert len(cycle[channel]) == len(HOSTILE), channel


def test_mail_headers_and_bodies(cycle: dict[str, Any]) -> None:
    for msg in cycle["mail"]:
        subject = str(msg["Subject"])
        assert not TERMINAL_UNSAFE.search(subject) and "\n" not in subject
        assert msg["Bcc"] is None
        html = msg.get_body(("html",)).get_content()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert not any(c in html for c in BIDI)
        text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert not TERMINAL_UNSAFE.search(text)


def test_chat_payloads_are_inert_markdown(cycle: dict[str, Any]) -> None:
    for text in cycle["chat"]:
        assert "@everyone" not in text and "@here" not in text
        assert "](http://evil.example/login)" not in text.replace("\\]\\(", "")
        assert "<script>" not in text and not TERMINAL_UNSAFE.search(text.replace("\n", " "))


def test_machine_outputs_keep_the_data(cycle: dict[str, Any]) -> None:
    """JSON carries the headline as data: exactly as the feed wrote it."""
    titles = {a["title"] for a in cycle["jsonl"]}
    assert HOSTILE["bidi-override"] in titles and HOSTILE["rich-link"] in titles
    assert {a["title"] for a in cycle["hook"]} == titles


def test_web_pages_and_atom(cycle: dict[str, Any]) -> None:
    ds = web.make_datasette(cycle["config"].db_path, cycle["config"].watches)

    async def fetch(*urls: str) -> list[Any]:
        return [await ds.client.get(u) for u in urls]

    with sqlite3.connect(cycle["config"].db_path) as db:
        stories = [f"/story/{r[0]}" for r in db.execute("SELECT DISTINCT story_id FROM articles")]
    assert stories
    pages = asyncio.run(
        fetch("/", "/search?q=Aleppo", "/watch/Aleppo", "/archive/articles", "/map", *stories)
    )
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert not any(c in page.text for c in BIDI)
        assert not TERMINAL_UNSAFE.search(page.text.replace("\n", " ").replace("\t", " "))
    (atom,) = asyncio.run(fetch("/watch/Aleppo/feed.atom"))
    assert atom.status_code == 200
    titles = [
        e.text or "" for e in ET.fromstring(atom.content).iter("{http://www.w3.org/2005/Atom}title")
    ]
    assert len(titles) == len(HOSTILE) + 1  # the feed's own title, then one per entry
    assert not any(c in t for t in titles for c in BIDI)


def test_command_line(cycle: dict[str, Any]) -> None:
    cfg = Path(cycle["config"].base_dir) / "config.toml"
    cfg.write_text(f'[storage]\npath = "{cycle["config"].db_path}"\n')
    for command in (
        ["search", "Aleppo", "--limit", "50"],
        ["matches", "--limit", "50"],
        ["alerts", "list"],
        ["stories"],
        ["stories", "--format", "json"],
        ["stories", "--format", "csv"],
        ["search", "Aleppo", "--format", "json"],
    ):
        r = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(cfg), *command],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert r.returncode == 0, r.stderr
        assert not TERMINAL_UNSAFE.search(r.stdout), command
