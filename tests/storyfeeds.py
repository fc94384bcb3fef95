"""The labelled reports of tests/data/stories served as feeds on loopback, one per outlet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedfactory import page, rss
from httpserver import Reply

import settings

LABELS = Path(__file__).parent / "data" / "stories" / "labels.json"
T_END = datetime(2026, 2, 18, 6, 0, tzinfo=UTC)  # after the last of the talks' reports


def talks_site(http_server: Any, tmp_path: Path, dates: str = "as published") -> settings.Settings:
    """Thirteen reports of one day of talks from eleven outlets (tests/data/stories), each
    outlet a feed on loopback (its items newest first); ``dates`` other than "as published"
    squeezes them, in the same order, into the last 18 minutes."""
    doc = json.loads(LABELS.read_text(encoding="utf-8"))
    talks = set(next(s for s in doc["stories"] if len(s["members"]) == 13)["members"])
    outlets: dict[str, list[tuple[str, str, str, str, datetime]]] = {}
    for n, e in enumerate(e for e in doc["entries"] if e["key"] in talks):
        when = datetime.strptime(e["published"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if dates != "as published":
            when = datetime.now(UTC) - (T_END - when) / 60
        url = http_server.url(f"/{n}.html")
        body = page(e["title"], [e["lead"], "Delegations met for several hours."])
        http_server.route(f"/{n}.html", Reply(200, body, {"Content-Type": "text/html"}))
        outlets.setdefault(e["outlet"], []).append((f"g{n}", e["title"], url, e["lead"], when))
    assert len(outlets) == 11
    names = {o: f"outlet{i}" for i, o in enumerate(outlets)}
    for outlet, items in outlets.items():
        feed = rss(sorted(items, key=lambda i: i[4], reverse=True), outlet)
        headers = {"Content-Type": "application/rss+xml"}
        http_server.route(f"/{names[outlet]}.xml", Reply(200, feed, headers))
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"allow_private_networks": True, "timeout": "5s"},
            "feeds": [{"name": n, "url": http_server.url(f"/{n}.xml")} for n in names.values()],
            "watches": [{"name": "Iran", "keywords": ["Iran"]}],
            "notifiers": {"file": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
        },
        base_dir=str(tmp_path),
    )
