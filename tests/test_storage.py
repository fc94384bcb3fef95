"""The archive on a real SQLite file: what is new, memberships, the one-transaction article
completion and the outbox's states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Entry, Match, Place
from settings import FeedSettings
from storage import Store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    target = (
        tmp_path / "archive.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    s = Store.open(target)
    s.sync_feeds(
        [FeedSettings(url="http://a/feed", name="A"), FeedSettings(url="http://b/feed", name="B")],
        NOW,
    )
    yield s
    s.close()


def _e(i, guid=None, link=None, title=None):
    return Entry(
        guid=guid if guid is not None else f"g{i}",
        link=link or f"http://a/{i}",
        title=title or f"title {i}",
        summary=f"summary {i}",
        published=NOW,
    )


def test_new_entries_once(store):
    a = store.feed("A")
    assert len(store.save_entries(a, [_e(1), _e(2)], "guid", NOW)) == 2
    assert store.save_entries(a, [_e(1), _e(2), _e(3)], "guid", NOW) == [
        store.db.execute("SELECT id FROM articles WHERE url='http://a/3'").fetchone()[0]
    ]


def test_same_link_from_two_feeds_is_one_article(store):
    store.save_entries(store.feed("A"), [_e(1)], "guid", NOW)
    other = _e(1, guid="other-guid", link="http://A/1?utm_source=b#top")
    assert store.save_entries(store.feed("B"), [other], "guid", NOW) == []
    (art,) = store.db.execute("SELECT id FROM articles").fetchall()
    assert sorted(store.article_feeds(art[0])) == ["A", "B"]


def test_items_that_all_link_the_home_page_are_articles_of_their_own(store):
    """Some feeds link every item to the site's root (press-release pages, bridges): each
    item is still an article (they were all one, and the later ones were lost)."""
    items = [_e(i, link="http://a/", title=f"Ministry statement {w}") for i, w in enumerate("xyz")]
    assert len(store.save_entries(store.feed("A"), items, "guid", NOW)) == 3
    assert store.save_entries(store.feed("A"), items, "guid", NOW) == []
    links = {r[0] for r in store.db.execute("SELECT link FROM articles")}
    assert links == {"http://a/"} and store.db["articles"].count == 3


def test_a_page_several_items_link_is_no_one_article(store):
    live = "http://a/live/war"
    first = [_e(1, link=live, title="Shelling reported near Kharkiv"), _e(2, link=live)]
    assert len(store.save_entries(store.feed("A"), first, "guid", NOW)) == 2
    later = _e(3, link=live, title="Grain corridor talks resume in Istanbul")
    assert len(store.save_entries(store.feed("A"), [later], "guid", NOW)) == 1
    moved = _e(4, link=live, title="Grain corridor talks resume in Istanbul")  # a new guid
    assert store.save_entries(store.feed("A"), [moved], "guid", NOW) == []
    assert store.db["articles"].count == 3


def test_a_guid_given_to_another_item_is_a_new_article(store):
    """A feed that numbers its items by position: guid "1" is today's top story, another
    one tomorrow. The new story is an article (it overwrote the old one's title, unseen);
    an edit of the same item (same link, new headline) still updates it."""
    a = store.feed("A")
    store.save_entries(a, [_e(1, guid="1", title="Dam breach floods three villages")], "guid", NOW)
    edited = _e(1, guid="1", title="Dam breach floods four villages, dozens missing")
    assert store.save_entries(a, [edited], "guid", NOW) == []
    other = _e(2, guid="1", title="Election results delayed by court ruling")
    (new_id,) = store.save_entries(a, [other], "guid", NOW)
    assert store.save_entries(a, [other], "guid", NOW) == []  # and it is known from then on
    titles = dict(store.db.execute("SELECT id, title FROM articles").fetchall())
    assert titles[new_id] == "Election results delayed by court ruling"
    assert "Dam breach floods four villages, dozens missing" in titles.values()


def test_an_edit_is_reported_and_matched_again_once(store):
    a = store.feed("A")
    (aid,) = store.save_entries(a, [_e(1, title="Blast reported in the north")], "guid", NOW)
    store.complete_article(
        store.article(aid), text="", text_status="x", meta={}, matches=[], channels={}, now=NOW
    )
    updated: list[int] = []
    edit = _e(1, title="Blast in Aleppo kills 12")
    assert store.save_entries(a, [edit], "guid", NOW, updated=updated) == [] and updated == [aid]
    again: list[int] = []
    store.save_entries(a, [edit], "guid", NOW, updated=again)
    assert again == []  # nothing new said
    art, mail = store.article(aid), {"W": ["mail"], "V": ["mail"]}
    assert store.rematch([(art, [_match("W")])], mail, NOW) == 1
    assert store.rematch([(art, [_match("W")])], mail, NOW) == 0  # W fired already
    assert store.rematch([(art, [_match("W"), _match("V")])], mail, NOW) == 1  # V is new
    assert store.db["alerts"].count == 2 and store.db["matches"].count == 2


def test_an_edit_stays_due_until_it_is_matched_again(store):
    """The edit and its new matches are two transactions: a crash between them left the edit
    saved (a later poll sees nothing new) and its watch silent for good. Now the edit is
    marked due with it and cleared with the matches; an edit made after the rematch read the
    article stays due; an article not yet processed is matched as it is processed."""
    a = store.feed("A")
    (aid,) = store.save_entries(a, [_e(1, title="Blast reported in the north")], "guid", NOW)
    store.save_entries(a, [_e(1, title="Blast reported in the north, 3 hurt")], "guid", NOW)
    assert store.rematch_pending() == []  # not processed yet: nothing to match again
    store.complete_article(
        store.article(aid), text="", text_status="x", meta={}, matches=[], channels={}, now=NOW
    )
    store.save_entries(a, [_e(1, title="Blast in Aleppo kills 12")], "guid", NOW)
    assert store.rematch_pending() == [aid]
    read = store.article(aid)
    store.save_entries(a, [_e(1, title="Blast in Aleppo kills 14")], "guid", NOW)
    assert store.rematch([(read, [_match("W")])], {"W": ["mail"]}, NOW) == 1
    assert store.rematch_pending() == [aid]  # the newer edit is still to be matched
    assert store.rematch([(store.article(aid), [_match("W")])], {"W": ["mail"]}, NOW) == 0
    assert store.rematch_pending() == []


def test_changing_guids_do_not_make_new_articles(store):
    a = store.feed("A")
    store.save_entries(a, [_e(1, guid="x1")], "guid", NOW)
    assert store.save_entries(a, [_e(1, guid="x2")], "guid", NOW) == []
    assert store.db["articles"].count == 1


def test_republished_entry_is_an_update(store):
    a = store.feed("A")
    store.save_entries(a, [_e(1)], "guid", NOW)
    assert store.save_entries(a, [_e(1, title="corrected title")], "guid", NOW) == []
    assert store.db.execute("SELECT title FROM articles").fetchone()[0] == "corrected title"


def _match(watch="W"):
    place = Place(170063, "Aleppo", "SY", "09", 36.2, 37.16)
    return Match(watch, "location", "Aleppo", "Aleppo", "title", 0, 6, "Aleppo …", place)


def test_complete_article_writes_matches_and_alerts_once(store):
    (aid,) = store.save_entries(store.feed("A"), [_e(1)], "guid", NOW)
    art = store.article(aid)
    n = store.complete_article(
        art,
        text="body",
        text_status="extracted",
        meta={},
        matches=[_match()],
        channels={"W": ["mail", "chat"]},
        now=NOW,
    )
    assert n == 2
    assert store.unprocessed() == []
    # processing again (e.g. after a crash) adds nothing
    n = store.complete_article(
        art,
        text="body",
        text_status="extracted",
        meta={},
        matches=[_match()],
        channels={"W": ["mail", "chat"]},
        now=NOW,
    )
    assert n == 0 and store.db["alerts"].count == 2 and store.db["matches"].count == 1


def test_backlog_archive_stores_matches_without_alerts(store):
    (aid,) = store.save_entries(store.feed("A"), [_e(1)], "guid", NOW, alerting=False)
    n = store.complete_article(
        store.article(aid),
        text="",
        text_status="x",
        meta={},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    assert n == 0 and store.db["matches"].count == 1


def test_canonical_duplicate_alerts_nothing(store):
    ids = store.save_entries(store.feed("A"), [_e(1), _e(2, link="http://amp.a/1")], "guid", NOW)
    first, second = (store.article(i) for i in ids)
    store.complete_article(
        first,
        text="",
        text_status="x",
        meta={"canonical_url": "http://a/1"},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    n = store.complete_article(
        second,
        text="",
        text_status="x",
        meta={"canonical_url": "http://a/1?utm_medium=amp"},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    assert n == 0 and store.db["alerts"].count == 1


def test_outbox_lease_retry_fail_and_requeue(store):
    (aid,) = store.save_entries(store.feed("A"), [_e(1)], "guid", NOW)
    store.complete_article(
        store.article(aid),
        text="",
        text_status="x",
        meta={},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    (alert,) = store.due_alerts(NOW)
    assert alert.matches[0].place.name == "Aleppo" and alert.url == "http://a/1"
    store.mark_sending([alert.id], NOW)
    assert store.due_alerts(NOW) == []  # leased
    assert len(store.due_alerts(NOW + timedelta(minutes=6))) == 1  # lease expired: resend
    store.mark_retry([alert.id], NOW + timedelta(minutes=1), "down")
    assert store.due_alerts(NOW) == [] and store.due_alerts(NOW + timedelta(minutes=1))
    store.mark_failed([alert.id], "boom")
    assert store.due_alerts(NOW + timedelta(days=1)) == []
    assert store.list_alerts("failed")[0]["last_error"] == "boom"
    assert store.retry_alert(alert.id[:8], NOW) == 1
    assert store.due_alerts(NOW)[0].attempts == 0


def test_sync_feeds_disables_removed_and_resets_moved(store):
    store.db["feeds"].update(store.feed("A").id, {"etag": "x"})
    store.sync_feeds([FeedSettings(url="http://a/new", name="A")], NOW)
    a = store.feed("A")
    assert a.url == "http://a/new" and a.etag is None
    assert [f.name for f in store.all_feeds()] == ["A"]


def test_fts_is_kept_in_sync(store):
    (aid,) = store.save_entries(store.feed("A"), [_e(1, title="Ḥalab under fire")], "guid", NOW)
    store.complete_article(
        store.article(aid),
        text="convoy reached Halab",
        text_status="x",
        meta={},
        matches=[],
        channels={},
        now=NOW,
    )
    from storage.search import search

    assert [h.id for h in search(store.db, "halab")] == [aid]


def test_same_text_under_another_link_is_a_duplicate(store):
    story = "Wire copy about the convoy that reached the city at dawn. " * 10
    ids = store.save_entries(
        store.feed("A"), [_e(1), _e(2, link="http://other.example/x")], "guid", NOW
    )
    first, second = (store.article(i) for i in ids)
    store.complete_article(
        first,
        text=story,
        text_status="x",
        meta={},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    n = store.complete_article(
        second,
        text=" ".join(story.split()),
        text_status="x",
        meta={},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    assert n == 0 and store.db["alerts"].count == 1
    short = store.save_entries(store.feed("A"), [_e(3), _e(4)], "guid", NOW)
    for i in short:  # short briefs with equal text are not called copies
        store.complete_article(
            store.article(i),
            text="Brief.",
            text_status="x",
            meta={},
            matches=[_match()],
            channels={"W": ["mail"]},
            now=NOW,
        )
    assert store.db["alerts"].count == 3


def _alerts_for(store, entries, texts, metas):
    ids = store.save_entries(store.feed("A"), entries, "guid", NOW)
    for aid, text, meta in zip(ids, texts, metas, strict=True):
        store.complete_article(
            store.article(aid),
            text=text,
            text_status="extracted",
            meta=meta,
            matches=[_match()],
            channels={"W": ["mail"]},
            now=NOW,
        )
    return store.db["alerts"].count


def test_a_canonical_url_of_the_sites_root_names_no_article(store):
    """A misconfigured site puts its home page as the canonical URL of every page: the
    second story must still alert (it was called a copy of the first)."""
    entries = [
        _e(1, title="Convoy reaches Aleppo district"),
        _e(2, title="Shelling hits Idlib market"),
    ]
    root = {"canonical_url": "http://a/"}
    assert _alerts_for(store, entries, ["", ""], [root, root]) == 2


def test_one_sites_standing_page_is_no_copy(store):
    """Every article of a site extracted to the same consent wall (or the same section page
    as canonical): stories with nothing in common are not copies of one another; the same
    headline under a second URL of the site still is."""
    wall = "We value your privacy. We and our partners store and access information. " * 8
    section = {"canonical_url": "http://a/world/middle-east"}
    entries = [
        _e(1, title="Convoy reaches Aleppo district"),
        _e(2, title="Shelling hits Idlib market"),
        _e(3, title="Talks resume in Geneva on Syria"),
        _e(4, title="Talks resume in Geneva on Syria", link="http://a/print/3"),
    ]
    assert _alerts_for(store, entries, [wall, wall, "", ""], [{}, {}, section, section]) == 3
    (dup,) = store.db.execute("SELECT duplicate_of FROM articles WHERE url = 'http://a/print/3'")
    assert (
        dup[0] == store.db.execute("SELECT id FROM articles WHERE url = 'http://a/3'").fetchone()[0]
    )


def test_leases_of_a_dead_process_are_reclaimed(store):
    import socket

    (aid,) = store.save_entries(store.feed("A"), [_e(1)], "guid", NOW)
    store.complete_article(
        store.article(aid),
        text="",
        text_status="x",
        meta={},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    (alert,) = store.due_alerts(NOW)
    store.mark_sending([alert.id], NOW)
    assert store.reclaim_leases(NOW) == 0  # our own lease: kept
    dead = f"{socket.gethostname()}:{2**22 + 12345}:abcd"  # above pid_max: no such process
    store.db.execute("UPDATE alerts SET lease_owner = ?", [dead])
    assert store.due_alerts(NOW) == []
    assert store.reclaim_leases(NOW) == 1
    assert [a.id for a in store.due_alerts(NOW)] == [alert.id]


def test_lease_of_a_predecessor_with_our_pid_is_reclaimed(store):
    import os
    import socket

    (aid,) = store.save_entries(store.feed("A"), [_e(1)], "guid", NOW)
    store.complete_article(
        store.article(aid),
        text="",
        text_status="x",
        meta={},
        matches=[_match()],
        channels={"W": ["mail"]},
        now=NOW,
    )
    (alert,) = store.due_alerts(NOW)
    store.mark_sending([alert.id], NOW)
    store.db.execute(
        "UPDATE alerts SET lease_owner = ?", [f"{socket.gethostname()}:{os.getpid()}:0ld0"]
    )
    assert store.reclaim_leases(NOW) == 1


def test_same_headline_from_two_outlets_is_one_story(store):
    title = "Convoy reaches besieged district of Aleppo after nine days"
    ids = store.save_entries(store.feed("A"), [_e(1, title=title)], "guid", NOW)
    ids += store.save_entries(
        store.feed("B"), [_e(2, link="http://b.example/x", title=title.upper() + "!")], "guid", NOW
    )
    ids += store.save_entries(store.feed("B"), [_e(3, title="Live updates")], "guid", NOW)
    ids += store.save_entries(store.feed("A"), [_e(4, title="Live updates")], "guid", NOW)
    queued = [
        store.complete_article(
            store.article(i),
            text=f"text {i}",
            text_status="x",
            meta={},
            matches=[_match()],
            channels={"W": ["mail"]},
            now=NOW,
        )
        for i in ids
    ]
    assert queued == [1, 0, 1, 1]  # short generic headlines are not merged


def test_the_same_headline_over_words_naming_the_place_is_no_copy(store):
    """A recurring headline ("Morning briefing: what you need to know today") or a copy with
    the paragraph that names the town: its text fires a watch no page with that headline
    fired, so it is matched and alerted, not folded into the first. A page that fires only
    what those pages fired between them is a copy."""
    title = "Morning briefing: what you need to know today"
    later = NOW + timedelta(days=1)
    ids = [
        store.save_entries(store.feed(feed), [_e(i, title=title)], "guid", NOW)[0]
        for i, feed in enumerate("AAB")
    ]
    mail = {"W": ["mail"], "V": ["mail"]}
    fired: list[list[Match]] = [[], [_match("W")], [_match("V")], [_match("W"), _match("V")]]
    ids.append(store.save_entries(store.feed("B"), [_e(3, title=title)], "guid", NOW)[0])
    queued = [
        store.complete_article(
            store.article(i),
            text=f"text {i}",
            text_status="x",
            meta={},
            matches=m,
            channels=mail,
            now=later,
        )
        for i, m in zip(ids, fired, strict=True)
    ]
    assert queued == [0, 1, 1, 0]  # the last fires what the second and third fired
    dups = dict(store.db.execute("SELECT id, duplicate_of FROM articles").fetchall())
    assert [dups[i] for i in ids] == [None, None, None, ids[0]]


def test_an_older_archive_opened_to_read_is_upgraded_first(tmp_path):
    """search and serve open the archive read-only: one written by an older newsbot (here:
    before article_places) gets its missing migrations instead of 'no such table' later."""
    import sqlite_utils

    from storage.migrations import MIGRATIONS
    from storage.search import search

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="m007_article_places")
    old.close()
    with Store.open(path, readonly=True) as store:
        assert "article_places" in store.db.table_names()
        assert search(store.db, "convoy") == []
    assert not MIGRATIONS.pending(sqlite_utils.Database(path))


def test_a_migration_that_fails_midway_leaves_nothing(tmp_path):
    """An error (or a kill) inside a migration must not leave half of it behind, or the next
    start fails on 'already exists'. Here m001 fails on its FTS table, after the others: its
    executescript runs inside the migration's transaction (the connection is in autocommit
    mode, so Python adds no COMMIT of its own)."""
    import sqlite3

    import sqlite_utils

    from errors import StorageError
    from storage.migrations import MIGRATIONS

    path = tmp_path / "a.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE articles_fts_data (x)")  # FTS5's shadow table name: m001 fails
    conn.commit()
    conn.close()
    with pytest.raises(StorageError):
        Store.open(path)
    db = sqlite_utils.Database(path)
    assert "feeds" not in db.table_names() and "alerts" not in db.table_names()
    assert MIGRATIONS.applied(db) == []
