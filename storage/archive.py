"""The archive: what is new (guid -> link -> hash, per feed), articles waiting to be processed,
and the one transaction that stores an article's text, its matches and its alerts together.
A crash between saving an entry and processing it loses nothing: the next cycle resumes
every article still marked unprocessed. Which article is a copy of another lives in
storage/copies.py, matches recorded later (a backfill, an edit) in storage/match_log.py."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from errors import StorageError
from feeds.identity import (
    GuidMode,
    article_url,
    content_hash,
    entry_key,
    guid_reused,
    landing_links,
    normalize_url,
    other_item,
    own_url,
)
from models import Article, Entry, FeedState, Match, ResolvedPlace
from storage.claims import NOT_POLLED_ELSEWHERE
from storage.copies import Copies
from storage.db import STORIES_LOCK, article_of, iso, keys_free, lock_keys, write
from storage.match_log import MatchLog
from storage.outbox import OWNER
from storage.places import insert_article_places, write_home_regions
from storage.stories import Clusterer, StoryStore

MIN_DEDUP_TEXT = 400  # shorter texts (briefs, stubs) are too alike to call copies
MIN_HEADLINE_WORDS = 6  # "Live updates", "Morning briefing" are not one story


def _title_key(title: str) -> str | None:
    words = re.findall(r"\w+", title.casefold())
    return " ".join(words) if len(words) >= MIN_HEADLINE_WORDS else None


@dataclass(frozen=True)
class Processed:
    """An article after fetch/extract/match, ready to be completed in the archive."""

    article: Article
    text: str
    text_status: str
    meta: dict[str, Any]
    matches: tuple[Match, ...]
    places: tuple[ResolvedPlace, ...] = ()  # what its place mentions resolved to


def _decision_keys(done: Sequence[Processed]) -> list[str]:
    """What two workers completing articles at once could both take for 'the first of its
    kind' (a canonical URL, a text, a headline): locked for the transaction on PostgreSQL."""
    keys: list[str] = []
    for d in done:
        canonical = d.meta.get("canonical_url")
        title_key = _title_key(d.article.title)
        keys += [f"url:{d.article.url}", f"title:{title_key}" if title_key else ""]
        if canonical:
            keys.append(f"url:{normalize_url(canonical)}")
        if len(d.text) >= MIN_DEDUP_TEXT:
            keys.append(f"text:{content_hash(d.text)}")
    return keys


def place_ids(d: Processed) -> frozenset[int]:
    """What an article's mentions and matches resolved to: evidence for its story."""
    found = {p.place.geonameid for p in d.places}
    return frozenset(found | {m.place.geonameid for m in d.matches if m.place is not None})


def _summary(entry: Entry) -> str:
    return entry.content if len(entry.content) > len(entry.summary) else entry.summary


class ArchiveStore(MatchLog, Copies, StoryStore):
    db: sqlite_utils.Database

    def save_entries(
        self,
        feed: FeedState,
        entries: Sequence[Entry],
        mode: GuidMode,
        now: datetime,
        *,
        alerting: bool = True,
        updated: list[int] | None = None,
    ) -> list[int]:
        """Store a poll's entries in one transaction; return the ids of NEW articles only.
        A known entry whose title or summary changed is updated, not new (unless its guid now
        names another item: other link, no title word in common), and its id added to
        ``updated`` (to be matched again: ``rematch``); a link already in the archive
        (another feed, or a changed guid) only gains a membership row."""
        new: list[int] = []
        with write(self.db):
            # Two workers saving feeds that share links wait for each other here, in one
            # order, instead of deadlocking on each other's inserted rows (PostgreSQL).
            lock_keys(self.db, [f"url:{article_url(e)}" for e in entries])
            landing = landing_links(entries)
            for entry in entries:
                article_id = self._save_entry(feed, entry, mode, now, alerting, landing, updated)
                if article_id is not None:
                    new.append(article_id)
        return new

    def _save_entry(
        self,
        feed: FeedState,
        entry: Entry,
        mode: GuidMode,
        now: datetime,
        alerting: bool,
        landing: frozenset[str] | set[str] = frozenset(),
        updated: list[int] | None = None,
    ) -> int | None:
        key = entry_key(entry, mode)
        known = self._known(feed.id, key)
        if known and guid_reused(entry, known[1], known[2]):  # a guid given to another item
            key = f"{key}~{content_hash(normalize_url(entry.link or ''), entry.title)}"
            known = self._known(feed.id, key)
        if known:
            if self._maybe_update(known[0], entry, now) and updated is not None:
                updated.append(known[0])
            return None
        url = article_url(entry)
        url = own_url(entry) if url in landing else url
        existing = self._article_at(url)
        if existing and other_item(entry.title, existing[1]):  # the link is a landing page
            url = own_url(entry)
            existing = self._article_at(url)
        new_id = None
        if existing:
            article_id = existing[0]
        else:  # another worker may insert the same URL right now: its row wins, ours is none
            inserted = self.db.execute(
                "INSERT INTO articles (url, link, title, summary, author, published,"
                " first_seen_at, feed, content_hash, alerting) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (url) DO NOTHING RETURNING id",
                [
                    url,
                    entry.link or url,
                    entry.title,
                    _summary(entry),
                    entry.author or None,
                    iso(entry.published or now),
                    iso(now),
                    feed.name,
                    content_hash(entry.title, entry.summary),
                    int(alerting),
                ],
            ).fetchone()
            if inserted:
                article_id = new_id = inserted[0]
            else:
                article_id = self.db.execute(
                    "SELECT id FROM articles WHERE url = ?", [url]
                ).fetchone()[0]
            if new_id is not None:
                self._new_story(int(new_id), entry.title, iso(entry.published or now), now)
        self.db.execute(
            "INSERT INTO feed_entries (feed_id, entry_key, article_id, first_seen_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [feed.id, key, article_id, iso(now)],
        )
        return new_id

    def _known(self, feed_id: int, key: str) -> tuple[int, str, str] | None:
        """The article a feed's entry key already names: (id, link, title)."""
        row = self.db.execute(
            "SELECT a.id, a.link, a.title FROM feed_entries fe JOIN articles a"
            " ON a.id = fe.article_id WHERE fe.feed_id = ? AND fe.entry_key = ?",
            [feed_id, key],
        ).fetchone()
        return (int(row[0]), row[1] or "", row[2] or "") if row else None

    def _article_at(self, url: str) -> tuple[int, str] | None:
        row = self.db.execute(
            "SELECT id, title FROM articles WHERE url = ? OR canonical_url = ? LIMIT 1", [url, url]
        ).fetchone()
        return (int(row[0]), row[1] or "") if row else None

    def _maybe_update(self, article_id: int, entry: Entry, now: datetime) -> bool:
        """Whether the entry said something new (its title or summary was edited)."""
        digest = content_hash(entry.title, entry.summary)
        return (
            self.db.execute(
                "UPDATE articles SET title = ?, summary = ?, content_hash = ?, updated_at = ?,"
                " rematch_due = processed WHERE id = ? AND coalesce(content_hash, '') != ?"
                " RETURNING id",
                [entry.title, _summary(entry), digest, iso(now), article_id, digest],
            ).fetchone()
            is not None
        )

    def unprocessed(self, limit: int = 500) -> list[Article]:
        """Articles a crash left half done; not those of a feed another live worker is
        polling right now (it is processing them)."""
        rows = self.db.query(
            f"SELECT * FROM articles WHERE processed = 0 AND {NOT_POLLED_ELSEWHERE}",
            [OWNER, iso(datetime.now(UTC)), limit],
        )
        return [article_of(r) for r in rows]

    def articles(self, ids: Sequence[int]) -> list[Article]:
        out: list[Article] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY id", chunk)
            out += [article_of(r) for r in rows]
        return out

    def unprocessed_among(self, ids: Sequence[int]) -> list[int]:
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id FROM articles WHERE processed = 0 AND id IN ({marks})", list(ids)
        ).fetchall()
        return [r[0] for r in rows]

    def article(self, article_id: int) -> Article:
        return article_of(next(self.db.query("SELECT * FROM articles WHERE id = ?", [article_id])))

    def article_page(self, article_id: int) -> str | None:
        """Where an article's own page is: its link; its guid when its link is a landing
        page (``feeds.identity.own_url``); None when it has no page of its own."""
        row = self.db.execute(
            "SELECT url, link FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        if row is None:
            return None
        url, link = row[0] or "", row[1] or ""
        if url.startswith(("http://", "https://")) and url != normalize_url(link):
            return url
        return None if url.startswith("urn:") else link

    def article_feeds(self, article_id: int) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT f.name FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id"
            " WHERE fe.article_id = ?",
            [article_id],
        ).fetchall()
        return [r[0] for r in rows]

    def complete_article(
        self,
        article: Article,
        *,
        text: str,
        text_status: str,
        meta: dict[str, Any],
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
    ) -> int:
        """ONE transaction: text + matches + alert rows (the outbox) + processed.
        Returns the number of alerts queued. An article whose canonical URL is already in
        the archive under another link is marked a duplicate and alerts nothing."""
        done = Processed(article, text, text_status, meta, tuple(matches))
        return self.complete_articles([done], channels, now)

    def stories_free(self) -> bool:
        """Outside a transaction: is the fleet's stories lock, which completing articles
        with a clusterer takes, free right now? A look, not a lock (always free on SQLite);
        a storage error says yes, for the write that follows to meet and report."""
        try:
            return keys_free(self.db, [STORIES_LOCK])
        except StorageError:
            return True

    def complete_articles(
        self,
        done: Sequence[Processed],
        channels: dict[str, list[str]],
        now: datetime,
        homes: dict[str, dict[str, float]] | None = None,
        *,
        clusterer: Clusterer | None = None,
        threads: frozenset[str] = frozenset(),
        counts: dict[int, int] | None = None,
    ) -> int:
        """Several processed articles in ONE transaction (a feed's new articles at once):
        each gets its text, matches, resolved places, story, alerts and 'processed' together,
        or none does; ``homes``: feeds' learned home regions, written in the same transaction.
        ``clusterer`` decides which story a new article joins (none: copies only);
        ``threads`` names the channels that get a follow-up for later reports of a story;
        ``counts``, if given, gets the alerts each article queued (once committed)."""
        ok = False
        try:
            with write(self.db):
                # a clusterer compares with every recent story: one decider at a time, fleet-wide
                keys = _decision_keys(done) + ([STORIES_LOCK] if clusterer is not None else [])
                lock_keys(self.db, keys)
                if clusterer is not None:
                    clusterer.begin(self, now)
                    prepare = getattr(clusterer, "prepare", None)  # optional: batch the work
                    if prepare is not None:
                        prepare(self, [(d.article, d.text, place_ids(d)) for d in done])
                each = {
                    d.article.id: self._complete(d, channels, now, clusterer, threads) for d in done
                }
                write_home_regions(self.db, homes or {})
            ok = True
            if counts is not None:
                counts.update(each)
            return sum(each.values())
        finally:
            if clusterer is not None:
                clusterer.end(ok)

    def _complete(
        self,
        d: Processed,
        channels: dict[str, list[str]],
        now: datetime,
        clusterer: Clusterer | None = None,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        meta = d.meta
        canonical = normalize_url(meta["canonical_url"]) if meta.get("canonical_url") else None
        text_hash = content_hash(d.text) if len(d.text) >= MIN_DEDUP_TEXT else None
        title_key = _title_key(d.article.title)
        dup = self._duplicate_of(d.article, canonical, text_hash)
        if dup is None and title_key:
            dup = self._same_headline(d.article, title_key, d.matches)
        self.db.execute(
            "UPDATE articles SET text = ?, text_status = ?, canonical_url = ?, duplicate_of = ?,"
            " language = ?, text_hash = ?, title_key = ?, processed = 1, processed_at = ?"
            " WHERE id = ?",
            [
                d.text,
                d.text_status,
                canonical,
                dup,
                meta.get("language") or d.article.language,
                text_hash,
                title_key,
                iso(now),
                d.article.id,
            ],
        )
        if dup is not None:
            self._move_to_story(d.article.id, self.story_of(dup) or dup)
            return 0
        insert_article_places(self.db, d.article.id, d.places)
        self._insert_matches(d.article.id, d.matches, now)
        if clusterer is not None:
            joined = clusterer.assign(self, d.article, d.text, place_ids(d))
            if joined is not None:
                self._move_to_story(d.article.id, joined)
        if not d.matches:
            return 0
        alerting = self.db.execute(
            "SELECT alerting FROM articles WHERE id = ?", [d.article.id]
        ).fetchone()[0]
        if not alerting:
            return 0
        watches = {m.watch for m in d.matches}
        return self._queue_alerts(d.article, watches, channels, now, threads)

    def articles_since(self, since: datetime | None, batch: int = 500) -> Iterator[Article]:
        """Processed, non-duplicate articles published since ``since``, oldest first, read in
        batches so a large archive is never loaded at once."""
        last = 0
        while True:
            rows = list(
                self.db.query(
                    "SELECT * FROM articles WHERE id > ? AND processed = 1 AND duplicate_of IS NULL"
                    " AND published >= ? ORDER BY id LIMIT ?",
                    [last, iso(since) if since else "", batch],
                )
            )
            if not rows:
                return
            for r in rows:
                yield article_of(r)
            last = rows[-1]["id"]
