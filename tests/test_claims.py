"""Work sharing through the database, on both backends: feed claims and their leases, the
outbox claim, and the invariants that hold when workers race (PostgreSQL, real threads on
their own connections)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from models import Entry, Match, Plan, PollSuccess
from settings import FeedSettings
from storage import Store
from storage.archive import Processed
from storage.claims import FEED_LEASE

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FEEDS = [FeedSettings(url=f"http://h{i % 3}/feed{i}", name=f"F{i}") for i in range(30)]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def pg_target(pg_url):
    return pg_url


def _polled(minutes: int) -> PollSuccess:
    return PollSuccess(200, Plan(NOW + timedelta(minutes=minutes), 900.0, "test"))


def _open(target):
    s = Store.open(target)
    s.sync_feeds(FEEDS, NOW)
    return s


def test_two_workers_claim_disjoint_batches_covering_every_due_feed(target):
    with _open(target) as a, Store.open(target) as b:
        first, second = a.claim_due_feeds(NOW, 20), b.claim_due_feeds(NOW, 20)
        assert len(first) == 20 and len(second) == 10
        assert not {f.id for f in first} & {f.id for f in second}
        assert a.claim_due_feeds(NOW, 20) == []  # all held
        assert all(f.lease_owner for f in first)


def test_a_recorded_poll_releases_and_an_expired_lease_is_taken_over(target):
    with _open(target) as a, Store.open(target) as b:
        f1, f2 = a.claim_due_feeds(NOW, 2)
        a.record_success(f1.id, NOW, _polled(30))
        assert b.feed(f1.name).lease_owner is None
        others = {f.id for f in b.claim_due_feeds(NOW, 50)}
        assert len(others) == 28 and f1.id not in others and f2.id not in others  # f2: held
        # f2 is still held; a worker that died leaves it until the lease runs out:
        past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        b.db.execute("UPDATE feeds SET lease_until = ? WHERE id = ?", [past, f2.id])
        assert [f.id for f in b.claim_due_feeds(NOW, 50)] == [f2.id]


def test_renewal_pushes_the_expiry_forward(target):
    with _open(target) as a:
        (f,) = a.claim_due_feeds(NOW, 1)
        a.db.execute("UPDATE feeds SET lease_until = '2000-01-01T00:00:00Z' WHERE id = ?", [f.id])
        assert a.renew_leases() >= 1
        until = a.feed(f.name).lease_until
        assert until and datetime.now(UTC) - timedelta(seconds=1) < until
        assert until <= datetime.now(UTC) + FEED_LEASE


def test_once_claims_every_enabled_feed_but_not_one_held_elsewhere(target):
    with _open(target) as a, Store.open(target) as b:
        (held,) = a.claim_due_feeds(NOW, 1)
        everything = b.claim_feeds("9999", 1000)
        assert len(everything) == 29 and held.id not in {f.id for f in everything}


def _entry(i: int, link: str) -> Entry:
    return Entry(guid=link, link=link, title=f"Shared story {i}", summary="s", published=NOW)


def test_same_article_from_two_feeds_at_the_same_moment_is_archived_once(pg_target):
    """Two workers save feeds that carry the same links, released together, 20 rounds."""
    stores = [_open(pg_target), Store.open(pg_target)]
    feeds = [stores[0].feed("F0"), stores[0].feed("F1")]
    try:
        for r in range(20):
            links = [f"http://x/{r}/{k}" for k in range(5)]
            new: list[list[int]] = [[], []]
            gate = threading.Barrier(2)

            def save(w: int, links=links, new=new, gate=gate) -> None:
                gate.wait()
                entries = [_entry(k, link) for k, link in enumerate(links)]
                new[w] = stores[w].save_entries(feeds[w], entries, "guid", NOW)

            threads = [threading.Thread(target=save, args=(w,)) for w in (0, 1)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            assert sorted(new[0] + new[1]) == sorted(set(new[0] + new[1]))  # no id twice
            assert len(new[0]) + len(new[1]) == 5
            marks = ",".join("?" * len(links))
            assert (
                stores[0]
                .db.execute(f"SELECT count(*) FROM articles WHERE url IN ({marks})", links)
                .fetchone()[0]
                == 5
            )
            memberships = (
                stores[0]
                .db.execute(
                    "SELECT count(*) FROM feed_entries fe JOIN articles a ON a.id = fe.article_id"
                    f" WHERE a.url IN ({marks})",
                    links,
                )
                .fetchone()[0]
            )
            assert memberships == 10
    finally:
        [s.close() for s in stores]


def _match(watch="W"):
    return Match(watch, "keyword", "t", "t", "title", 0, 1, "t", None)


def test_one_story_seen_by_two_workers_at_once_alerts_once(pg_target):
    """Two outlets' copies of one headline, completed by two workers at the same moment:
    one is the story, the other its duplicate; one alert."""
    stores = [_open(pg_target), Store.open(pg_target)]
    headline = "Rebels and government agree ceasefire around the city tonight"
    try:
        for r in range(10):
            ids = [
                stores[w].save_entries(
                    stores[0].feed(f"F{w}"),
                    [Entry(f"r{r}", f"http://o{w}/{r}", f"{headline} {r}", "s", NOW)],
                    "guid",
                    NOW,
                )[0]
                for w in (0, 1)
            ]
            gate = threading.Barrier(2)

            def complete(w: int, ids=ids, gate=gate) -> None:
                done = Processed(stores[w].article(ids[w]), "", "x", {}, (_match(),))
                gate.wait()
                stores[w].complete_articles([done], {"W": ["mail"]}, NOW)

            threads = [threading.Thread(target=complete, args=(w,)) for w in (0, 1)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            dups = (
                stores[0]
                .db.execute(
                    "SELECT count(*) FROM articles WHERE id IN (?, ?) AND duplicate_of IS NOT NULL",
                    ids,
                )
                .fetchone()[0]
            )
            alerts = (
                stores[0]
                .db.execute("SELECT count(*) FROM alerts WHERE article_id IN (?, ?)", ids)
                .fetchone()[0]
            )
            assert (dups, alerts) == (1, 1), f"round {r}"
    finally:
        [s.close() for s in stores]


def test_an_alert_is_claimed_by_one_sender(target):
    with _open(target) as a, Store.open(target) as b:
        (aid,) = a.save_entries(a.feed("F0"), [_entry(1, "http://x/1")], "guid", NOW)
        a.complete_articles(
            [Processed(a.article(aid), "", "x", {}, (_match(),))], {"W": ["mail", "chat"]}, NOW
        )
        ids = [al.id for al in a.due_alerts(NOW)]
        assert len(ids) == 2
        got_a = a.mark_sending(ids, NOW)
        assert sorted(got_a) == sorted(ids) and b.mark_sending(ids, NOW) == []
        b.mark_sent(got_a[:1], NOW, "ok")
        assert b.mark_sending(ids, NOW + timedelta(minutes=1)) == got_a[1:]  # lease expired


def test_feeds_and_alerts_say_which_worker_holds_them(target):
    from cli import feed_table
    from cli.alerts import _state
    from storage.outbox import OWNER

    with _open(target) as a:
        (f,) = a.claim_due_feeds(NOW, 1)
        assert feed_table.holder(a.feed(f.name)) == OWNER
        assert feed_table.schedule_text(a.feed(f.name)) == f"polling now: {OWNER}"
        a.record_success(f.id, NOW, _polled(60))
        assert feed_table.holder(a.feed(f.name)) is None
        (aid,) = a.save_entries(a.feed("F0"), [_entry(1, "http://x/1")], "guid", NOW)
        a.complete_articles(
            [Processed(a.article(aid), "", "x", {}, (_match(),))], {"W": ["m"]}, NOW
        )
        a.mark_sending([al.id for al in a.due_alerts(NOW)], NOW)
        (row,) = a.list_alerts("sending")
        assert _state(row) == f"being sent by {OWNER}"


def test_a_poll_is_recorded_only_under_a_lease_still_held(target):
    """A worker held up past its lease (SIGSTOP) finds the feed taken: its poll is not
    recorded and the others' leases and schedules are untouched."""
    with _open(target) as a:
        f1, f2 = a.claim_due_feeds(NOW, 2)
        assert a.lease_fresh(f1.id) and a.confirm_lease(f1.id)
        a.db.execute("UPDATE feeds SET lease_owner = 'elsewhere:1:x' WHERE id = ?", [f1.id])
        assert not a.record_success(f1.id, NOW, _polled(30), leased=True)
        assert not a.confirm_lease(f1.id) and not a.lease_fresh(f1.id)
        after = a.feed(f1.name)
        assert after.polls == 0 and after.lease_owner == "elsewhere:1:x"
        assert a.record_success(f2.id, NOW, _polled(30), leased=True)
        assert a.feed(f2.name).polls == 1 and a.feed(f1.name).polls == 0
