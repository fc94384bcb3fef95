"""Stories in the archive: every article belongs to exactly one (``articles.story_id``).

A new article starts as a story of its own when it is saved (its id is the story's id), so
the rule "every archived article is in exactly one story" holds at every moment; when it is
processed, the clustering (``stories/``) may move it into an existing story, in the same
transaction that stores its text, matches and alerts. Read side (CLI, web): ``list_stories``,
``story``, ``story_of``, ``story_articles``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlite_utils

from models import Article
from storage.db import iso, write


@dataclass(frozen=True)
class StoryArticle:
    id: int
    url: str  # the article's link as the feed gave it
    feed: str
    title: str
    published: str  # ISO 8601 UTC
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``stories`` JSON contract's article: url, feed, title, published."""
        return {
            "url": self.url,
            "feed": self.feed,
            "title": self.title,
            "published": self.published,
        }


@dataclass(frozen=True)
class Story:
    id: int
    title: str
    first_seen: str
    last_seen: str
    size: int
    articles: tuple[StoryArticle, ...] = ()

    @property
    def feeds(self) -> list[str]:
        """The outlets that reported it, in order of their first report."""
        return list(dict.fromkeys(a.feed for a in self.articles))

    def as_dict(self) -> dict[str, Any]:
        """The ``bot.py stories --format json`` contract."""
        return {
            "story_id": self.id,
            "title": self.title,
            "first_seen": self.first_seen,
            "articles": [a.as_dict() for a in self.articles],
        }


@dataclass(frozen=True)
class WindowRow:
    """What the clustering keeps of an archived article in its window."""

    id: int
    story_id: int
    title: str
    lead: str
    published: datetime
    feed: str
    language: str | None
    places: frozenset[int]
    processed_at: str = ""


_ARTICLE_COLS = "a.id, a.link, a.feed, a.title, a.published, a.language, a.story_id"


def _story_article(r: dict[str, Any]) -> StoryArticle:
    return StoryArticle(r["id"], r["link"], r["feed"], r["title"], r["published"], r["language"])


class StoryStore:
    db: sqlite_utils.Database

    # -- read side (CLI, web) --------------------------------------------------------------

    def list_stories(
        self,
        *,
        since: datetime | None = None,
        watch: str | None = None,
        limit: int = 50,
        offset: int = 0,
        min_size: int = 1,
    ) -> list[Story]:
        """Stories newest first (by their latest article), each with its articles oldest
        first. ``since`` filters on the story's latest article; ``watch`` keeps stories with
        at least one article that watch matched."""
        where: list[str] = ["s.size >= ?"]
        args: list[Any] = [min_size]
        if since:
            where.append("s.last_seen >= ?")
            args.append(iso(since))
        if watch:
            where.append(
                "EXISTS (SELECT 1 FROM articles a JOIN matches m ON m.article_id = a.id"
                " WHERE a.story_id = s.id AND m.watch = ?)"
            )
            args.append(watch)
        rows = list(
            self.db.query(
                f"SELECT * FROM stories s WHERE {' AND '.join(where)}"
                " ORDER BY s.last_seen DESC, s.id DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            )
        )
        members = self._members([r["id"] for r in rows])
        return [_story(r, members.get(r["id"], ())) for r in rows]

    def story(self, story_id: int) -> Story | None:
        row = next(self.db.query("SELECT * FROM stories WHERE id = ?", [story_id]), None)
        if row is None:
            return None
        return _story(row, self.story_articles(story_id))

    def story_of(self, article_id: int) -> int | None:
        """The story an article belongs to (None for an unknown article)."""
        row = self.db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def story_articles(self, story_id: int) -> tuple[StoryArticle, ...]:
        """The articles of one story, oldest first."""
        return self._members([story_id]).get(story_id, ())

    def stories_of(self, article_ids: Sequence[int]) -> dict[int, int]:
        """article id -> story id, for collapsing a page of search results."""
        return self._pairs("SELECT id, story_id FROM articles WHERE id IN ({})", article_ids)

    def story_sizes(self, story_ids: Sequence[int]) -> dict[int, int]:
        """story id -> number of articles."""
        return self._pairs("SELECT id, size FROM stories WHERE id IN ({})", story_ids)

    def _pairs(self, sql: str, ids: Sequence[int]) -> dict[int, int]:
        """{first column: second column} of ``sql`` over ``ids``, 500 ids a query."""
        out: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self.db.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
            out.update((int(r[0]), int(r[1])) for r in rows if r[1] is not None)
        return out

    def _members(self, story_ids: Sequence[int]) -> dict[int, tuple[StoryArticle, ...]]:
        out: dict[int, list[StoryArticle]] = {}
        for start in range(0, len(story_ids), 500):
            chunk = list(story_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for r in self.db.query(
                f"SELECT {_ARTICLE_COLS} FROM articles a WHERE a.story_id IN ({marks})"
                " ORDER BY a.published, a.id",
                chunk,
            ):
                out.setdefault(r["story_id"], []).append(_story_article(r))
        return {k: tuple(v) for k, v in out.items()}

    # -- write side (called inside the archive's transactions) --------------------------------

    def _new_story(self, article_id: int, title: str, published: str, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, size, created_at)"
            " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING",
            [article_id, title, published, published, iso(now)],
        )
        self.db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [article_id, article_id])

    def _move_to_story(self, article_id: int, story_id: int) -> None:
        """Move an article into ``story_id``; the story it leaves is dropped when empty.
        The common case, a new article leaving the story of its own, costs no aggregate."""
        row = self.db.execute(
            "SELECT a.story_id, a.published, s.size FROM articles a"
            " LEFT JOIN stories s ON s.id = a.story_id WHERE a.id = ?",
            [article_id],
        ).fetchone()
        old, published, old_size = row if row else (None, None, None)
        story_id = self.live_story(story_id)
        if old == story_id or published is None:
            return
        self.db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
        self.db.execute(
            "UPDATE stories SET size = size + 1,"
            " first_seen = CASE WHEN first_seen > ? THEN ? ELSE first_seen END,"
            " last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END WHERE id = ?",
            [published, published, published, published, story_id],
        )
        if old is not None and old_size == 1:
            self.db.execute("DELETE FROM stories WHERE id = ?", [old])
        elif old is not None:
            self._refresh_story(old)

    def merge_story(self, story: int, into: int, now: datetime) -> None:
        """Merge ``story`` into ``into`` (a report bridged them): its articles and alerts
        move, and where it went is recorded (``story_merges``: other processes' windows,
        links to it). An alert of both stories for one watch and channel stays where it
        was: both went out, and the survivor's stands for the story from now on."""
        story, into = self.live_story(story), self.live_story(into)
        if story == into:
            return
        self.db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", [into, story])
        self.db.execute(
            "UPDATE alerts SET story_id = ? WHERE story_id = ? AND NOT (kind = 'match' AND"
            " EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = ? AND x.kind = 'match'"
            " AND x.watch = alerts.watch AND x.channel = alerts.channel))",
            [into, story, into],
        )
        self.db.execute(
            "UPDATE story_merges SET into_story = ? WHERE into_story = ?", [into, story]
        )
        self.db.execute(
            "INSERT INTO story_merges (story, into_story, merged_at) VALUES (?, ?, ?)"
            " ON CONFLICT (story) DO UPDATE SET into_story = excluded.into_story,"
            " merged_at = excluded.merged_at",
            [story, into, iso(now)],
        )
        self.db.execute("DELETE FROM stories WHERE id = ?", [story])
        self._refresh_story(into)

    def live_story(self, story: int) -> int:
        """The story ``story`` is now: itself, or the one it merged into."""
        row = self.db.execute(
            "SELECT into_story FROM story_merges WHERE story = ?", [story]
        ).fetchone()
        return int(row[0]) if row else story

    def merges_since(self, at: str) -> list[tuple[int, int]]:
        """(story, the story it merged into) of the merges made at ``at`` or later, oldest
        first (the second ``at`` is in is read again: merging twice changes nothing)."""
        rows = self.db.execute(
            "SELECT story, into_story FROM story_merges WHERE merged_at >= ? ORDER BY merged_at",
            [at],
        ).fetchall()
        return [(int(a), int(b)) for a, b in rows]

    def regroup(self, assignment: dict[int, int], now: datetime) -> None:
        """Put each article (and its copies) into the story given, in one transaction; a
        story's id is the id of its first article, its title that article's title."""
        with write(self.db):
            touched: set[int] = set()
            for article_id, story_id in assignment.items():
                old = self.story_of(article_id)
                self.db.execute(
                    "INSERT OR IGNORE INTO stories (id, title, first_seen, last_seen, size,"
                    " created_at) SELECT id, title, published, published, 0, ? FROM articles"
                    " WHERE id = ?",
                    [iso(now), story_id],
                )
                self.db.execute(
                    "UPDATE articles SET story_id = ? WHERE id = ? OR duplicate_of = ?",
                    [story_id, article_id, article_id],
                )
                touched |= {story_id} | ({old} if old is not None else set())
            for sid in touched:
                self._refresh_story(sid)

    def _refresh_story(self, story_id: int) -> None:
        size, first, last = self.db.execute(
            "SELECT count(*), min(published), max(published) FROM articles WHERE story_id = ?",
            [story_id],
        ).fetchone()
        if not size:
            self.db.execute("DELETE FROM stories WHERE id = ?", [story_id])
            return
        self.db.execute(
            "UPDATE stories SET size = ?, first_seen = ?, last_seen = ? WHERE id = ?",
            [size, first, last, story_id],
        )

    def window_rows(self, since: datetime, processed_since: str = "") -> Iterator[WindowRow]:
        """Processed, non-duplicate articles published since ``since`` and processed after
        ``processed_since`` (second precision: a row another process completed in that very
        second is not read again; it only misses a chance to be linked): what the clustering
        compares a new article with. Its places: what its mentions and matches resolved to."""
        rows = self.db.query(
            "SELECT a.id, a.story_id, a.title, a.summary, substr(a.text, 1, 600) AS head,"
            " a.published, a.feed, a.language, a.processed_at,"
            " (SELECT group_concat(DISTINCT CAST(g AS TEXT)) FROM (SELECT m.geonameid AS g"
            "  FROM matches m WHERE m.article_id = a.id AND m.geonameid IS NOT NULL UNION"
            "  SELECT p.geonameid FROM article_places p WHERE p.article_id = a.id) AS found)"
            " AS places"
            " FROM articles a WHERE a.processed = 1 AND a.duplicate_of IS NULL"
            " AND a.processed_at > ? AND a.published >= ? ORDER BY a.processed_at, a.id",
            [processed_since, iso(since)],
        )
        for r in rows:
            yield _window_row(r)


def _window_row(r: dict[str, Any]) -> WindowRow:
    from storage.db import from_iso

    places = frozenset(int(p) for p in (r["places"] or "").split(",") if p)
    return WindowRow(
        id=r["id"],
        story_id=r["story_id"] or r["id"],
        title=r["title"],
        lead=r["summary"] or r["head"] or "",
        published=from_iso(r["published"]),  # type: ignore[arg-type]
        feed=r["feed"],
        language=r["language"],
        places=places,
        processed_at=r["processed_at"] or "",
    )


def _story(row: dict[str, Any], articles: Sequence[StoryArticle]) -> Story:
    return Story(
        id=row["id"],
        title=row["title"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        size=row["size"],
        articles=tuple(articles),
    )


class Clusterer(Protocol):
    """What the archive asks, inside the transaction that completes articles: which story
    does this article join (None: it stays a story of its own)? ``begin`` is called once per
    transaction (refresh the window from what others committed), then, if the clusterer has
    one, ``prepare(store, [(article, text, places)])`` with the whole batch, then ``assign``
    per article, ``end`` after it (``ok`` False:
    it rolled back, forget what was assigned in it)."""

    def begin(self, store: StoryStore, now: datetime) -> None: ...

    def assign(
        self, store: StoryStore, article: Article, text: str, places: frozenset[int]
    ) -> int | None: ...

    def end(self, ok: bool) -> None: ...
