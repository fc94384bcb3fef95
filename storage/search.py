"""Search the archive: SQLite FTS5 (unicode61, diacritics folded), bm25 with the title weighted
above the summary and the body, snippets with the matched words marked.

Query syntax is FTS5's, which is the watches' where they overlap: words (all required),
"quoted phrases", AND / OR / NOT, parentheses, prefix*, NEAR(a b, 10). A query FTS5 cannot
parse is a QueryError naming the position.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from errors import QueryError
from storage.db import iso

WEIGHTS = (10.0, 3.0, 1.0)  # title, summary, text
MARK = ("[", "]")


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    url: str
    feed: str
    published: str
    snippet: str
    watches: str
    places: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _filters(watch: str | None, feed: str | None, location: str | None,
             since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:  # fmt: skip
    where, args = ["a.duplicate_of IS NULL"], []
    if watch:
        where.append("EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id AND m.watch = ?)")
        args.append(watch)
    if feed:
        where.append("EXISTS (SELECT 1 FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id"
                     " WHERE fe.article_id = a.id AND f.name = ?)")  # fmt: skip
        args.append(feed)
    if location:
        where.append("EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id AND"
                     " (m.place = ? COLLATE NOCASE OR m.term = ? COLLATE NOCASE"
                     " OR m.matched_text = ? COLLATE NOCASE))")  # fmt: skip
        args += [location] * 3
    if since:
        where.append("a.published >= ?")
        args.append(iso(since))
    if until:
        where.append("a.published < ?")
        args.append(iso(until))
    return " AND ".join(where), args


def search(
    db: sqlite_utils.Database, query: str, *, watch: str | None = None, feed: str | None = None,
    location: str | None = None, since: datetime | None = None, until: datetime | None = None,
    limit: int = 20, order: str = "rank",
) -> list[Hit]:  # fmt: skip
    """Ranked hits (order="rank") or newest first (order="newest")."""
    where, args = _filters(watch, feed, location, since, until)
    w = ", ".join(str(x) for x in WEIGHTS)
    order_sql = "score" if order == "rank" else "a.published DESC"
    sql = f"""
        SELECT a.id, a.title, a.link, a.feed, a.published, bm25(articles_fts, {w}) AS score,
               snippet(articles_fts, -1, '{MARK[0]}', '{MARK[1]}', '…', 24) AS snip,
               (SELECT group_concat(DISTINCT m.watch) FROM matches m WHERE m.article_id = a.id) AS watches,
               (SELECT group_concat(DISTINCT m.place) FROM matches m WHERE m.article_id = a.id) AS places
        FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
        WHERE articles_fts MATCH ? AND {where}
        ORDER BY {order_sql} LIMIT ?"""
    try:
        rows = db.execute(sql, [query, *args, limit]).fetchall()
    except sqlite3.OperationalError as exc:
        raise _query_error(query, exc) from exc
    return [Hit(r[0], r[1], r[2], r[3], r[4], r[6] or "", r[7] or "", r[8] or "", r[5])
            for r in rows]  # fmt: skip


def _query_error(query: str, exc: sqlite3.OperationalError) -> QueryError:
    msg = str(exc)
    near = re.search(r'syntax error near "(.*)"', msg)
    pos = query.find(near.group(1)) if near and near.group(1) else len(query)
    if "no such column" in msg:
        col = msg.split(":")[-1].strip()
        pos = query.find(col)
        return QueryError(f"search: {col!r} at position {pos} is read as a column filter; "
                          f"quote it (\"{col}:...\")", max(pos, 0))  # fmt: skip
    return QueryError(f"search: cannot parse the query at position {max(pos, 0)}: {msg}",
                      max(pos, 0))  # fmt: skip


def recent_matches(
    db: sqlite_utils.Database, *, watch: str | None = None, since: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:  # fmt: skip
    """What fired, newest first: one row per (article, watch)."""
    where, args = ["1=1"], []
    if watch:
        where.append("m.watch = ?")
        args.append(watch)
    if since:
        where.append("m.created_at >= ?")
        args.append(iso(since))
    sql = f"""
        SELECT m.watch, a.id AS article_id, a.title, a.link AS url, a.feed, a.published,
               max(m.created_at) AS matched_at, group_concat(DISTINCT m.matched_text) AS matched,
               group_concat(DISTINCT m.place) AS places
        FROM matches m JOIN articles a ON a.id = m.article_id
        WHERE {" AND ".join(where)}
        GROUP BY m.watch, a.id ORDER BY matched_at DESC, a.published DESC LIMIT ?"""
    return list(db.query(sql, [*args, limit]))
