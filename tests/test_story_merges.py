"""Story merges on real reports, through the archive (real SQLite file, the real sentence
encoder): the thirteen labelled reports of one day of US-Iran talks in Geneva (a preview, "to
meet", "guiding principles agreed", the wrap-up) from eleven outlets, completed one by one in
the order they were published, as a worker completes them. A single pass cuts the day into
several stories (a report that would tie two of them comes after both started); the reports
that bridge two stories merge them, in storage as in the window."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models import Entry, Match
from settings import FeedSettings
from storage import Store
from storage.archive import Processed
from stories.clusterer import StoryClusterer
from stories.rule import DEFAULT

LABELS = Path(__file__).parent / "data" / "stories" / "labels.json"
NOW = datetime(2026, 2, 18, 6, 0, tzinfo=UTC)


def _talks() -> list[dict]:
    doc = json.loads(LABELS.read_text(encoding="utf-8"))
    talks = next(s for s in doc["stories"] if len(s["members"]) == 13)["members"]
    entries = [e for e in doc["entries"] if e["key"] in talks]
    return sorted(entries, key=lambda e: e["published"])


def _archive(tmp_path: Path, clusterer: StoryClusterer) -> Store:
    entries = _talks()
    outlets = sorted({e["outlet"] for e in entries})
    tmp_path.mkdir()
    store = Store.open(tmp_path / "archive.db")
    store.sync_feeds([FeedSettings(url=f"http://{o}/feed", name=o) for o in outlets], NOW)
    for e in entries:
        published = datetime.strptime(e["published"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        entry = Entry(
            guid=e["key"], link=e["key"], title=e["title"], summary=e["lead"], published=published
        )
        (aid,) = store.save_entries(store.feed(e["outlet"]), [entry], "guid", NOW)
        match = Match("Iran", "keyword", "Iran", "Iran", "title", 0, 4, "Iran")
        done = Processed(store.article(aid), e["lead"], "ok", {}, (match,))
        store.complete_articles([done], {"Iran": ["mail"]}, published, clusterer=clusterer)
    return store


def _stories(store: Store) -> list[set[str]]:
    return [{a.url for a in s.articles} for s in store.list_stories(limit=100)]


@pytest.mark.timeout(300)
def test_reports_bridging_pieces_of_one_day_of_talks_merge_them(tmp_path: Path) -> None:
    single = _stories(_archive(tmp_path / "a", StoryClusterer(replace(DEFAULT, bridge=9.0))))
    store = _archive(tmp_path / "b", StoryClusterer())
    merged = _stories(store)
    assert sum(map(len, merged)) == sum(map(len, single)) == 13  # every report, once
    assert len(merged) < len(single)
    for piece in single:  # merging only joins whole pieces: nothing is torn apart
        assert any(piece <= story for story in merged)
    merges = store.merges_since("")
    assert merges and all(store.story(gone) is None for gone, _ in merges)
    alerts = store.db.execute("SELECT DISTINCT story_id FROM alerts").fetchall()
    live = {s.id for s in store.list_stories(limit=100)}
    assert {store.live_story(r[0]) for r in alerts} <= live
