"""The archive: what is new (guid -> link -> hash, per feed), articles waiting to be processed,
and the one transaction that stores an article's text, its matches and its alerts together.
A crash between saving an entry and processing it loses nothing: the next cycle resumes
every article still marked unprocessed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from feeds.identity import (
    GuidMode,
    article_url,
    content_hash,
    entry_key,
    guid_reused,
    landing_links,
    names_an_article,
    normalize_url,
    other_item,
    own_url,
    same_site_other_story,
)
from models import Article, Entry, FeedState, Match, ResolvedPlace
from storage.db import article_of, iso, lock_keys, write
from storage.outbox import OWNER
from storage.places import insert_article_places, write_home_regions
from storage.stories import Clusterer, StoryStore
from storage.story_alerts import StoryAlerts

# An article none of whose feeds another live worker is polling right now (it is processing
# the article); parameters: OWNER, now, then the LIMIT.
NOT_POLLED_ELSEWHERE = (
    "NOT EXISTS (SELECT 1 FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id"
    " WHERE fe.article_id = articles.id AND f.lease_owner != ? AND f.lease_until > ?)"
    " ORDER BY id LIMIT ?"
)

MIN_DEDUP_TEXT = 400  # shorter texts (briefs, stubs) are too alike to call copies
MIN_HEADLINE_WORDS = 6  # "Live updates", "Morning briefing" are not one story
HEADLINE_WINDOW = timedelta(days=2)


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


def _places(d: Processed) -> frozenset[int]:
    """What an article's mentions and matches resolved to: evidence for its story."""
    found = {p.place.geonameid for p in d.places}
    return frozenset(found | {m.place.geonameid for m in d.matches if m.place is not None})


def _summary(entry: Entry) -> str:
    return entry.content if len(entry.content) > len(entry.summary) else entry.summary


class ArchiveStore(StoryAlerts, StoryStore):
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

    def rematch(
        self,
        edited: Sequence[tuple[Article, Sequence[Match]]],
        channels: dict[str, list[str]],
        now: datetime,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        """Archived articles whose headline or summary was edited, each with its matches on
        what it says now ("Blast reported in northern Syria" -> "Blast in Aleppo kills 12"):
        the watches an article fires now and did not before get their matches and alerts (the
        usual ids: once); nothing else changes. In the same transaction each is marked
        matched again, unless it was edited once more since it was read (``rematch_pending``:
        an edit a crash kept from being matched is matched on the next cycle). Returns the
        alerts queued."""
        queued = 0
        with write(self.db):
            for article, matches in edited:
                queued += self._rematch(article, matches, channels, now, threads)
        return queued

    def _rematch(
        self,
        article: Article,
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
        threads: frozenset[str],
    ) -> int:
        self.db.execute(
            "UPDATE articles SET rematch_due = 0 WHERE id = ? AND rematch_due != 0"
            " AND coalesce(title, '') = ? AND coalesce(summary, '') = ?",
            [article.id, article.title, article.summary],
        )
        row = self.db.execute(
            "SELECT processed, duplicate_of, alerting FROM articles WHERE id = ?", [article.id]
        ).fetchone()
        if row is None or not row[0] or row[1] is not None:
            return 0  # not done yet (it will be matched then), or a copy of another
        before = {
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT watch FROM matches WHERE article_id = ?", [article.id]
            ).fetchall()
        }
        fresh = [m for m in matches if m.watch not in before]
        if not fresh:
            return 0
        return self._record_matches(article, fresh, channels, now, bool(row[2]), threads)

    def rematch_pending(self, limit: int = 500) -> list[int]:
        """Edited articles not yet matched again (a crash came between saving the edit and
        matching it); not those of a feed another live worker is polling right now."""
        rows = self.db.execute(
            f"SELECT id FROM articles WHERE rematch_due = 1 AND {NOT_POLLED_ELSEWHERE}",
            [OWNER, iso(datetime.now(UTC)), limit],
        ).fetchall()
        return [int(r[0]) for r in rows]

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

    def complete_articles(
        self,
        done: Sequence[Processed],
        channels: dict[str, list[str]],
        now: datetime,
        homes: dict[str, dict[str, float]] | None = None,
        *,
        clusterer: Clusterer | None = None,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        """Several processed articles in ONE transaction (a feed's new articles at once):
        each gets its text, matches, resolved places, story, alerts and 'processed' together,
        or none does; ``homes``: feeds' learned home regions, written in the same transaction.
        ``clusterer`` decides which story a new article joins (none: copies only);
        ``threads`` names the channels that get a follow-up for later reports of a story."""
        ok = False
        try:
            with write(self.db):
                # a clusterer compares with every recent story: one decider at a time, fleet-wide
                keys = _decision_keys(done) + (["stories"] if clusterer is not None else [])
                lock_keys(self.db, keys)
                if clusterer is not None:
                    clusterer.begin(self, now)
                    prepare = getattr(clusterer, "prepare", None)  # optional: batch the work
                    if prepare is not None:
                        prepare(self, [(d.article, d.text, _places(d)) for d in done])
                queued = sum(self._complete(d, channels, now, clusterer, threads) for d in done)
                write_home_regions(self.db, homes or {})
            ok = True
            return queued
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
            joined = clusterer.assign(self, d.article, d.text, _places(d))
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

    def _duplicate_of(
        self, article: Article, canonical: str | None, text_hash: str | None
    ) -> int | None:
        """The article this one repeats: same canonical URL (tracking links, AMP pages), or
        the same extracted text word for word (a wire story syndicated under other links).
        Not a site's standing page: a canonical URL of the site's root, or the same site's
        text or canonical under a title sharing no word with this one (a consent or paywall
        interstitial, every page pointing at its section) are no copies."""
        if canonical and names_an_article(canonical):
            row = self.db.execute(
                "SELECT id, url, title FROM articles WHERE id != ? AND (url = ? OR"
                " canonical_url = ?) AND duplicate_of IS NULL ORDER BY id LIMIT 1",
                [article.id, canonical, canonical],
            ).fetchone()
            if row and not same_site_other_story(article.url, article.title, row[1], row[2]):
                return int(row[0])
        if text_hash:
            row = self.db.execute(
                "SELECT id, url, title FROM articles WHERE text_hash = ? AND id != ?"
                " AND duplicate_of IS NULL ORDER BY id LIMIT 1",
                [text_hash, article.id],
            ).fetchone()
            if row and not same_site_other_story(article.url, article.title, row[1], row[2]):
                return int(row[0])
        return None

    def _same_headline(
        self, article: Article, title_key: str, matches: Sequence[Match] = ()
    ) -> int | None:
        """A wire story carried by two outlets under their own links and page furniture:
        the same headline (6+ words) within two days of each other is one story. Not when
        this one's text fires a watch none of the pages with that headline fired: the same
        headline over other words (a daily "Morning briefing: what you need to know today",
        a live page of the day, a copy with the paragraph naming the town) is matched and
        alerted on its own (its story, by the same headline, is still theirs)."""
        low, high = article.published - HEADLINE_WINDOW, article.published + HEADLINE_WINDOW
        rows = self.db.execute(
            "SELECT id FROM articles WHERE title_key = ? AND id != ? AND duplicate_of IS NULL"
            " AND published BETWEEN ? AND ? ORDER BY id LIMIT 20",
            [title_key, article.id, iso(low), iso(high)],
        ).fetchall()
        if not rows:
            return None
        ids = [int(r[0]) for r in rows]
        fired = self.db.execute(
            f"SELECT DISTINCT watch FROM matches WHERE article_id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
        return ids[0] if {m.watch for m in matches} <= {r[0] for r in fired} else None

    def _insert_matches(self, article_id: int, matches: Iterable[Match], now: datetime) -> None:
        for m in matches:
            p = m.place
            self.db.execute(
                "INSERT INTO matches (article_id, watch, kind, term, matched_text,"
                ' field, start, "end", snippet, geonameid, place, country_code, admin1,'
                " latitude, longitude, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                [
                    article_id,
                    m.watch,
                    m.kind,
                    m.term,
                    m.text,
                    m.field,
                    m.start,
                    m.end,
                    m.snippet,
                    p and p.geonameid,
                    p and p.name,
                    p and p.country_code,
                    p and p.admin1,
                    p and p.latitude,
                    p and p.longitude,
                    iso(now),
                ],
            )

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

    def add_matches(
        self,
        article: Article,
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
        *,
        alert: bool,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        """Record matches of an archived article (a backfill); queue alerts only when asked."""
        with write(self.db):
            return self._record_matches(article, matches, channels, now, alert, threads)

    def _record_matches(
        self,
        article: Article,
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
        alert: bool,
        threads: frozenset[str],
    ) -> int:
        self._insert_matches(article.id, matches, now)
        if not alert:
            return 0
        return self._queue_alerts(article, {m.watch for m in matches}, channels, now, threads)
