"""One alert per story, end to end: four feeds on loopback (two English outlets, an agency
whose copy is the wire's text under a new headline, and an Arabic outlet) report the same
event in Aleppo, one of them also another event there; a real
SMTP server and a jsonl file receive the alerts. Each story alerts once per channel; the
email channel (updates = "thread") gets one follow-up naming the other outlets, threaded
under the story's first message; `bot.py stories --format json` honours its contract.
Uses the real sentence encoder (loaded once, a few seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from feedfactory import page, rss
from httpserver import Reply

import settings
from service.wiring import run_once

ROOT = Path(__file__).resolve().parent.parent

REPORTS = {
    "wire": [
        (
            "Aid convoy reaches besieged district of Aleppo after nine days",
            "The convoy of 40 trucks carried flour and medicine into the besieged district,"
            " where residents had gone without deliveries for more than a week, the local"
            " council said on Tuesday.",
        ),
        (
            "Aleppo opens its first public library since the war",
            "Readers queued outside the restored building in the old city of Aleppo.",
        ),
    ],
    "daily": [
        (
            "UN trucks enter besieged east Aleppo after nine-day standoff",
            "United Nations trucks loaded with flour entered the besieged east of Aleppo.",
        ),
    ],
    "agency": [  # a rewrite: the wire's text, retitled, its last clause trimmed
        (
            "Nine days on, help arrives in besieged Aleppo district",
            "The convoy of 40 trucks carried flour and medicine into the besieged district,"
            " where residents had gone without deliveries for more than a week.",
        ),
    ],
    "arabic": [
        (
            "قافلة مساعدات تصل إلى حي محاصر في حلب بعد تسعة أيام",
            "وصلت قافلة من أربعين شاحنة تحمل الطحين والأدوية إلى الحي المحاصر في حلب.",
        ),
    ],
}


def _serve(server) -> None:
    for feed, reports in REPORTS.items():
        items = []
        for i, (title, text) in enumerate(reports):
            url = server.url(f"/{feed}/{i}.html")
            items.append((f"{feed}-{i}", title, url, text))
            body = page(title, [text, "Witnesses described long queues and cautious relief."])
            server.route(f"/{feed}/{i}.html", Reply(200, body, {"Content-Type": "text/html"}))
        server.route(
            f"/{feed}.xml",
            Reply(200, rss(items, title=feed), {"Content-Type": "application/rss+xml"}),
        )


def _settings(tmp_path, server, smtp_server):
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"allow_private_networks": True, "timeout": "5s"},
            "feeds": [{"name": n.title(), "url": server.url(f"/{n}.xml")} for n in REPORTS],
            "watches": [{"name": "Aleppo", "locations": ["Aleppo"]}],
            "notifiers": {
                "mail": {
                    "type": "email",
                    "host": "127.0.0.1",
                    "port": smtp_server.port,
                    "security": "none",
                    "to": ["analyst@example.org"],
                    "updates": "thread",
                    "update_every": "0s",  # the follow-up as soon as it comes (test below)
                },
                "file": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")},
            },
        },
        base_dir=str(tmp_path),
    )


def test_a_multi_outlet_story_alerts_once_per_watch(tmp_path, http_server, smtp_server):
    _serve(http_server)
    s = _settings(tmp_path, http_server, smtp_server)
    report, sent = run_once(s)
    assert report.new == 5

    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert len(lines) == 2, [x["title"] for x in lines]  # two stories, one line each
    assert len({x["story_id"] for x in lines}) == 2

    inbox = smtp_server.inbox.messages
    firsts = [m for m in inbox if not str(m["Subject"]).startswith("Re: ")]
    follow_ups = [m for m in inbox if str(m["Subject"]).startswith("Re: ")]
    assert len(firsts) == 2 and len(follow_ups) == 1
    convoy = next(m for m in firsts if "library" not in str(m["Subject"]))
    follow = follow_ups[0]
    assert follow["In-Reply-To"] == convoy["Message-ID"]
    assert convoy["Message-ID"] in str(follow["References"])
    text = follow.get_body(("plain",)).get_content()
    assert "also reported by" in text and text.count(",") >= 2  # the three other outlets

    run_once(s)  # nothing new: nothing sent again
    assert len(smtp_server.inbox.messages) == 3

    out = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "stories", "--db", str(tmp_path / "a.db")]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    stories = json.loads(out.stdout)
    assert all(set(st) == {"story_id", "title", "first_seen", "articles"} for st in stories)
    urls = [a["url"] for st in stories for a in st["articles"]]
    assert len(urls) == len(set(urls)) == 5  # every archived article in exactly one story
    sizes = sorted(len(st["articles"]) for st in stories)
    assert sizes == [1, 4]
    assert {x["story_id"] for x in lines} == {st["story_id"] for st in stories}
