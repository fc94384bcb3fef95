"""Real outlet feeds and other parsers' edge-case feeds, served on 127.0.0.1 and polled in one
cycle: nothing crashes, real feeds are archived, a syndicated link is one article."""

from __future__ import annotations

from pathlib import Path

from httpserver import Reply

import settings
from service.wiring import run_once
from storage import Store

FEED_SUFFIXES = {".xml", ".rss", ".atom", ".json"}


def _files(shared: Path) -> list[Path]:
    root = shared / "corpora" / "real-feeds"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in FEED_SUFFIXES)


def test_real_feeds_poll_cleanly(tmp_path, http_server, shared_dir):
    files = _files(shared_dir)
    assert len(files) > 100
    feeds = []
    for i, path in enumerate(files):
        http_server.route(
            f"/{i}", Reply(200, path.read_bytes(), {"Content-Type": "application/xml"})
        )
        feeds.append(
            {"name": f"{i}:{path.name}", "url": http_server.url(f"/{i}"), "full_text": False}
        )
    cfg = settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"timeout": "5s"},
            "feeds": feeds,
            "watches": [
                {"name": "Syria", "locations": ["Aleppo", "Palmyra"]},
                {"name": "Gaza", "keywords": ["Gaza"]},
            ],
        },
        base_dir=str(tmp_path),
    )
    report, _ = run_once(cfg, channels={})
    assert len(report.feeds) == len(files)
    outlet = [f for f in report.feeds if "fastfeedparser" not in f.feed]
    index = shared_dir / "corpora/real-feeds/fastfeedparser-benchmark_data/INDEX.tsv"
    outlets = {line.split("\t")[0] for line in index.read_text().splitlines()[1:]}
    real = [f for f in report.feeds if f.feed.split(":", 1)[1] in outlets]
    assert sum(1 for f in real if not f.error) >= len(real) - 2  # one is malformed, one JSON Feed
    assert report.new > 1000 and outlet
    with Store.open(cfg.db_path) as store:
        (n,) = store.db.execute("PRAGMA integrity_check").fetchone()
        assert n == "ok"
        dupes = store.db.execute(
            "SELECT count(*) FROM (SELECT article_id FROM feed_entries GROUP BY article_id"
            " HAVING count(DISTINCT feed_id) > 1)"
        ).fetchone()[0]
    assert dupes >= 1  # copies of the same real feeds share links: one article, two feeds
