"""Stories in the archive (real SQLite file): every article in exactly one story at every
moment, copies join their original's story, one alert per (watch, story, channel) with later
reports recorded on it, follow-ups for threaded channels, and the migration of old archives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlite_utils

from models import Article, Entry, Match
from settings import FeedSettings
from storage import Store
from storage.migrations import MIGRATIONS
from storage.stories import StoryStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    pg = request.param == "postgresql"
    s = Store.open(request.getfixturevalue("pg_url") if pg else tmp_path / "archive.db")
    feeds = [FeedSettings(url=f"http://{n}/feed", name=n) for n in ("A", "B", "C")]
    s.sync_feeds(feeds, NOW)
    yield s
    s.close()


def _e(i, title=None, feed="a"):
    return Entry(
        guid=f"g{i}",
        link=f"http://{feed}/{i}",
        title=title or f"title {i}",
        summary=f"summary {i}",
        published=NOW,
    )


def _match(watch="W"):
    return Match(watch, "keyword", "x", "x", "title", 0, 1, "x")


class JoinFirst:
    """A clusterer for these tests: every article joins the story of the first one."""

    def __init__(self) -> None:
        self.first: int | None = None

    def begin(self, store: StoryStore, now: datetime) -> None:
        pass

    def prepare(self, store, batch) -> None:
        pass

    def assign(self, store, article: Article, text: str, places) -> int | None:
        if self.first is None:
            self.first = store.story_of(article.id)
            return None
        return self.first

    def end(self, ok: bool) -> None:
        pass


def _complete(store, ids, clusterer=None, threads=frozenset(), watch="W"):
    from storage.archive import Processed

    done = [
        Processed(
            store.article(i),
            f"text {i}",
            "x",
            {},
            tuple(_match(w) for w in watch.split(",")) if watch else (),
        )
        for i in ids
    ]
    return [
        store.complete_articles(
            [d],
            {"W": ["mail", "chat"], "V": ["mail", "chat"]},
            NOW,
            clusterer=clusterer,
            threads=threads,
        )
        for d in done
    ]


def _all_in_one_story(store) -> bool:
    rows = store.db.execute(
        "SELECT count(*) FROM articles a WHERE a.story_id IS NULL OR NOT EXISTS"
        " (SELECT 1 FROM stories s WHERE s.id = a.story_id)"
    ).fetchone()
    return rows[0] == 0


def test_a_saved_article_is_a_story_of_its_own(store):
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2)], "guid", NOW)
    assert [store.story_of(i) for i in ids] == ids
    assert [s.id for s in store.list_stories()] == sorted(ids, reverse=True)
    assert _all_in_one_story(store)


def test_an_article_outside_any_story_is_left_out_not_a_crash(store):
    """Rows written around the app (a bulk load, an old tool) may lack a story: the pages that
    collapse results by story must not fail on them."""
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2)], "guid", NOW)
    store.db.execute("UPDATE articles SET story_id = NULL WHERE id = ?", [ids[1]])
    assert store.stories_of(ids) == {ids[0]: ids[0]}


def test_one_alert_per_story_and_later_reports_recorded(store):
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2), _e(3)], "guid", NOW)
    queued = _complete(store, ids, JoinFirst())
    assert queued == [2, 0, 0]  # two channels, once
    story = store.story(ids[0])
    assert story is not None and [a.id for a in story.articles] == ids and story.size == 3
    first = store.db.execute("SELECT id FROM alerts WHERE channel = 'mail'").fetchone()[0]
    assert store.alert_reports(first) == ids[1:]
    assert _all_in_one_story(store)
    assert store.db.execute("SELECT count(*) FROM stories").fetchone()[0] == 1


def test_threaded_channel_gets_follow_ups_under_the_first_alert(store):
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2)], "guid", NOW)
    queued = _complete(store, ids, JoinFirst(), threads=frozenset({"chat"}))
    assert queued == [2, 1]
    rows = store.db.execute(
        "SELECT kind, channel, thread_of, story_id FROM alerts ORDER BY created_at, kind"
    ).fetchall()
    first_chat = store.db.execute(
        "SELECT id FROM alerts WHERE channel = 'chat' AND kind = 'match'"
    ).fetchone()[0]
    updates = [r for r in rows if r[0] == "update"]
    assert updates == [("update", "chat", first_chat, ids[0])]


def test_a_resumed_article_queues_nothing_twice(store):
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2)], "guid", NOW)
    clusterer = JoinFirst()
    _complete(store, ids, clusterer, threads=frozenset({"chat"}))
    assert _complete(store, ids, clusterer, threads=frozenset({"chat"})) == [0, 0]
    assert store.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 3


def test_without_clusterer_every_article_alerts(store):
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2)], "guid", NOW)
    assert _complete(store, ids) == [2, 2]


def test_a_copy_joins_the_story_of_its_original(store):
    title = "Convoy reaches besieged district of Aleppo after nine days"
    a = store.save_entries(store.feed("A"), [_e(1, title)], "guid", NOW)
    b = store.save_entries(store.feed("B"), [_e(2, title, feed="b")], "guid", NOW)
    _complete(store, a + b)
    assert store.story_of(b[0]) == store.story_of(a[0]) == a[0]
    assert store.story(b[0]) is None  # its own story was dropped when it left it
    assert [s.as_dict()["story_id"] for s in store.list_stories()] == [a[0]]


def test_list_stories_filters_and_contract(store):
    a = store.save_entries(store.feed("A"), [_e(1), _e(2)], "guid", NOW)
    _complete(store, a[:1])
    _complete(store, a[1:], watch=None)
    assert [s.id for s in store.list_stories(watch="W")] == [a[0]]
    d = store.list_stories(limit=1)[0].as_dict()
    assert set(d) == {"story_id", "title", "first_seen", "articles"}
    assert set(d["articles"][0]) == {"url", "feed", "title", "published"}
    assert store.stories_of(a) == {a[0]: a[0], a[1]: a[1]}


def test_migration_gives_every_old_article_a_story(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before="m009_stories")
    db.execute(
        "INSERT INTO feeds (id, name, url, current_url, created_at) VALUES (1, 'A', 'u', 'u', 't')"
    )
    for i, dup in ((1, None), (2, 1), (3, None), (4, 1)):
        db.execute(
            "INSERT INTO articles (id, url, link, title, published, first_seen_at, feed,"
            " duplicate_of, processed) VALUES (?, ?, ?, ?, ?, ?, 'A', ?, 1)",
            [i, f"u{i}", f"u{i}", f"t{i}", f"2026-11-2{i}T00:00:00Z", "x", dup],
        )
    db.conn.commit()
    MIGRATIONS.apply(db)
    rows = dict(db.execute("SELECT id, story_id FROM articles").fetchall())
    assert rows == {1: 1, 2: 1, 3: 3, 4: 1}
    sizes = dict(db.execute("SELECT id, size FROM stories").fetchall())
    assert sizes == {1: 3, 3: 1}
    last = db.execute("SELECT last_seen FROM stories WHERE id = 1").fetchone()[0]
    assert last == "2026-11-24T00:00:00Z"


class Bridging:
    """A clusterer for these tests: the first two articles start stories of their own, the
    third joins the first's story and bridges the second's into it (as StoryClusterer does
    when a report links strongly to two stories that are themselves linked); any later one
    joins the story given."""

    def __init__(self, later: int | None = None) -> None:
        self.seen: list[int] = []
        self.later = later

    def begin(self, store: StoryStore, now: datetime) -> None:
        self.now = now

    def assign(self, store, article: Article, text: str, places) -> int | None:
        self.seen.append(article.id)
        if len(self.seen) < 3:
            return None
        if len(self.seen) == 3:
            store.merge_story(self.seen[1], self.seen[0], self.now)
            return self.seen[0]
        return self.later

    def end(self, ok: bool) -> None:
        pass


def test_a_bridged_story_merges_with_its_articles_and_alerts(store):
    """The second story's articles and its alerts for watch V move to the first; its alerts
    for W stay where they were (the first story has its own: both went out). A later report of
    the merged story that fires V or W alerts nothing more."""
    ids = store.save_entries(
        store.feed("A"), [_e(i, feed=f"f{i}") for i in range(1, 5)], "guid", NOW
    )
    clusterer = Bridging(later=ids[0])
    queued = [_complete(store, [ids[0]], clusterer, watch="W")[0]]
    queued += _complete(store, [ids[1]], clusterer, watch="V,W")
    queued += _complete(store, [ids[2]], clusterer, watch="W")
    queued += _complete(store, [ids[3]], clusterer, watch="V")
    assert queued == [2, 4, 0, 0]
    assert [store.story_of(i) for i in ids] == [ids[0]] * 4
    assert store.story(ids[1]) is None and store.story(ids[0]).size == 4  # type: ignore[union-attr]
    assert store.live_story(ids[1]) == ids[0] and store.live_story(ids[0]) == ids[0]
    assert store.merges_since("") == [(ids[1], ids[0])]
    alerts = store.db.execute(
        "SELECT watch, story_id FROM alerts WHERE kind = 'match' ORDER BY watch, story_id"
    ).fetchall()
    assert [tuple(r) for r in alerts] == [("V", ids[0])] * 2 + [("W", ids[0])] * 2 + [
        ("W", ids[1])
    ] * 2
    assert _all_in_one_story(store)


def test_an_article_sent_to_a_merged_story_lands_in_its_survivor(store):
    """A window that has not heard of a merge yet (another process made it) may still name
    the old story: the article goes where that story went, never to a story that is not."""
    ids = store.save_entries(
        store.feed("A"), [_e(i, feed=f"f{i}") for i in range(1, 5)], "guid", NOW
    )
    clusterer = Bridging()
    _complete(store, ids[:3], clusterer, watch=None)
    clusterer.later = ids[1]  # merged into ids[0] by the third article
    _complete(store, ids[3:], clusterer, watch=None)
    assert store.story_of(ids[3]) == ids[0] and store.story(ids[0]).size == 4  # type: ignore[union-attr]
    assert _all_in_one_story(store)


def test_another_process_window_learns_of_a_merge(store):
    """Two workers' clusterers over one archive: the one that did not merge moves the
    merged story's members in its window at its next transaction."""
    from storage.db import write
    from stories.clusterer import StoryClusterer

    ids = store.save_entries(
        store.feed("A"), [_e(i, feed=f"f{i}") for i in range(1, 3)], "guid", NOW
    )
    _complete(store, ids, watch=None)
    other = StoryClusterer(encode=lambda texts: None)  # type: ignore[arg-type,return-value]
    other.begin(store, NOW)
    other.end(True)
    assert {m.id: m.story for m in other.window.members.values()} == {
        ids[0]: ids[0],
        ids[1]: ids[1],
    }
    with write(store.db):
        store.merge_story(ids[1], ids[0], NOW)
    other.begin(store, NOW)
    other.end(True)
    assert {m.id: m.story for m in other.window.members.values()} == {
        ids[0]: ids[0],
        ids[1]: ids[0],
    }
