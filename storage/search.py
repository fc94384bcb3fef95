"""Search the archive: SQLite FTS5 (unicode61, diacritics folded), bm25 with the title weighted
above the summary and the body, snippets with the matched words marked.

This is the one search definition: `bot.py search` and the web pages (search, a watch's page,
a place's page) all call ``search()``. An empty query lists the articles the filters select,
newest first.

Query syntax is FTS5's, which is the watches' where they overlap: words (all required),
"quoted phrases", AND / OR / NOT, parentheses, prefix*, NEAR(a b, 10). A query FTS5 cannot
parse is a QueryError naming the position.

``place:NAME`` (``place:Aleppo``, ``place:"Paris, US-TN"``, ``place:حلب``) keeps the articles
where a mention resolved to that place (table ``article_places``): NAME is resolved in the
gazetteer as a watch's location is, so any of its names finds the article whatever script it
was written in. A place: term is a filter ANDed with the rest of the query (not inside OR/NOT);
a query of place: terms only lists those articles newest first.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlite_utils

from errors import PlaceError, QueryError
from models import Place
from storage.db import iso
from storage.place_scan import PlaceScan, scan_place
from storage.snippets import snippet

WEIGHTS = (10.0, 3.0, 1.0)  # title, summary, text
MARK = ("[", "]")
RANK_POOL = 1000
ORDERS = ("rank", "newest")


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


_PLACE_TERM = re.compile(r'(?<![\w:])place:(?:"([^"]*)"|([^\s()",]+))', re.IGNORECASE)
_DANGLING = re.compile(r"^\s*(?:AND\s+)*|(?:\s+AND)*\s*$")


def split_places(query: str) -> tuple[str, list[str]]:
    """``'place:Aleppo evacuation'`` -> (``'evacuation'``, ``['Aleppo']``)."""
    names = [(m.group(1) or m.group(2) or "").strip() for m in _PLACE_TERM.finditer(query)]
    if not names:
        return query, []
    rest = _PLACE_TERM.sub(" ", query)
    rest = " ".join(_DANGLING.sub("", re.sub(r"\bAND\s+AND\b", "AND", rest)).split())
    if re.search(r"(?:^|\s)(?:OR|NOT)$|^(?:OR)(?:\s|$)|\(\s*\)", rest):
        raise QueryError("search: place:NAME is a filter: AND it with the rest of the query", 0)
    return rest, names


def resolve_places(names: Sequence[str]) -> list[Place]:
    """Each place: name resolved as a watch location is (PlaceError -> QueryError)."""
    from matching.places import Gazetteer

    gaz = Gazetteer.load() if names else None
    found = []
    for name in names:
        try:
            found.append(gaz.resolve(name))  # type: ignore[union-attr]
        except PlaceError as exc:
            raise QueryError(f"search: place:{name}: {exc.message}", 0, exc.hint) from exc
    return found


@dataclass(frozen=True)
class Filters:
    """What narrows a search besides its words; every field optional."""

    watch: str | None = None
    feed: str | None = None
    location: str | None = None  # a place's name as matched (or the term, or the text)
    places: Sequence[int] = ()  # GeoNames ids: a mention resolved to each (article_places)
    since: datetime | None = None
    until: datetime | None = None
    scanned: Mapping[int, Collection[int]] = field(default_factory=dict)  # place -> articles
    # where it was resolved at search time (storage.place_scan)

    def sql(self, row: str) -> tuple[str, list[Any]]:
        """Per-row checks on ``row`` (the article id: EXISTS ... = articles_fts.rowid): a
        `rowid IN (set)` would make FTS5 look every id of the set up, one by one."""
        where: list[str] = []
        args: list[Any] = []
        if self.watch:
            where.append(
                f"EXISTS (SELECT 1 FROM matches m WHERE m.article_id = {row} AND m.watch = ?)"
            )
            args.append(self.watch)
        if self.feed:
            where.append(
                f"EXISTS (SELECT 1 FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id"
                f" WHERE fe.article_id = {row} AND f.name = ?)"
            )
            args.append(self.feed)
        if self.location:
            where.append(
                f"EXISTS (SELECT 1 FROM matches m WHERE m.article_id = {row} AND"
                " (lower(m.place) = lower(?) OR lower(m.term) = lower(?)"
                " OR lower(m.matched_text) = lower(?)))"
            )
            args += [self.location] * 3
        for gid in self.places:
            extra = sorted(self.scanned.get(gid, ()))
            also = f" OR {row} IN ({','.join('?' * len(extra))})" if extra else ""
            where.append(
                f"(EXISTS (SELECT 1 FROM article_places p WHERE p.article_id = {row}"
                f" AND p.geonameid = ?){also})"
            )
            args += [gid, *extra]
        if self.since or self.until:
            where.append(
                f"EXISTS (SELECT 1 FROM articles d WHERE d.id = {row}"
                " AND d.published >= ? AND d.published < ?)"
            )
            args += [
                iso(self.since) if self.since else "",
                iso(self.until) if self.until else "9999",
            ]
        return "".join(f" AND {w}" for w in where), args


def search(
    db: sqlite_utils.Database,
    query: str,
    *,
    watch: str | None = None,
    feed: str | None = None,
    location: str | None = None,
    places: Sequence[int] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
    offset: int = 0,
    order: str = "rank",
    marks: tuple[str, str] = MARK,
    notes: list[str] | None = None,
    earlier: list[int] | None = None,
) -> list[Hit]:
    """Ranked hits (order="rank": bm25, title weighted above summary and body, over the
    newest matches) or newest first (order="newest"; always so for an empty query, which
    lists what the filters select). ``places``: GeoNames ids, as place: terms do. A bounded
    plan: the FTS query picks the ids, then article columns and snippets are made for the
    rows shown only. A place no watch covered is resolved at search time in the articles
    naming it (``storage.place_scan``); ``notes`` receives a line when that was capped.
    ``earlier`` receives the ids of the hits ranked before ``offset`` (ids only: what earlier
    pages showed, so a page can leave out the stories they already listed)."""
    words, names = split_places(query)
    words = words.strip()
    ids = (*(p.geonameid for p in resolve_places(names)), *places)
    filters = Filters(watch, feed, location, (), since, until)
    try:
        scans = _scan_places(db, ids, words, filters)
        filters = replace(filters, places=ids, scanned={s.geonameid: s.found for s in scans})
        picked = _pick(db, words, filters, limit, offset, order)
        if earlier is not None and offset:
            earlier.extend(i for i, _ in _pick(db, words, filters, offset, 0, order))
    except sqlite3.OperationalError as exc:
        raise _query_error(query, exc) from exc
    except (UnicodeEncodeError, ValueError) as exc:  # lone surrogates from a non-UTF-8 argv
        raise QueryError(f"search: the query is not valid text: {exc}", 0) from exc
    if notes is not None:
        notes.extend(s.note for s in scans if s.note)
    found = {i: w for s in scans for i, (w, _) in s.found.items()}
    return _hits(db, picked, words, filters.places, marks, found) if picked else []


def _scan_places(
    db: sqlite_utils.Database, ids: Sequence[int], words: str, filters: Filters
) -> list[PlaceScan]:
    """Each place resolved at search time where the archive did not resolve it."""
    return [scan_place(db, gid, words, filters.sql) for gid in dict.fromkeys(ids)]


def _pick(
    db: sqlite_utils.Database, query: str, filters: Filters, limit: int, offset: int, order: str
) -> list[tuple[int, float]]:
    if not query:
        return _pick_listed(db, filters, limit, offset)
    if getattr(db, "dialect", "sqlite") == "postgresql":  # tsvector instead of FTS5
        from storage import pg_search

        where, args = filters.sql("a.id")
        return pg_search.pick(db, query, where, args, limit, offset, order, RANK_POOL)
    where, args = filters.sql("articles_fts.rowid")
    if order == "rank":
        return _pick_ranked(db, query, where, args, limit, offset)
    # newest first among the newest RANK_POOL matches by arrival (FTS5 stops there; an article
    # is archived when it is published or later, so the newest are among them): a common
    # word costs a thousand rows to sort, not all of its matches
    return db.execute(
        "SELECT id, 0 FROM articles WHERE id IN (SELECT rowid FROM articles_fts"
        f" WHERE articles_fts MATCH ?{where} ORDER BY rowid DESC LIMIT ?)"
        " ORDER BY published DESC LIMIT ? OFFSET ?",
        [query, *args, max(RANK_POOL, limit + offset), limit, offset],
    ).fetchall()


SMALL_SET = 20_000  # a place's or watch's articles sorted at once; more: walk the dates


def _pick_listed(
    db: sqlite_utils.Database, filters: Filters, limit: int, offset: int
) -> list[tuple[int, float]]:
    """No words: the filtered articles, newest first. A place or a watch with few articles
    has them picked by index and sorted; one with many walks the date index newest first
    and stops at the page (a common place is met every few rows)."""
    where, args = filters.sql("a.id")
    narrowed, values = "", list[Any]()
    if filters.places:
        gid = filters.places[0]
        extra = sorted(filters.scanned.get(gid, ()))
        narrowed = "SELECT article_id FROM article_places WHERE geonameid = ?"
        if extra:
            marks = ",".join("?" * len(extra))
            narrowed += f" UNION ALL SELECT id FROM articles WHERE id IN ({marks})"
        values = [gid, *extra]
    elif filters.watch:
        narrowed, values = "SELECT article_id FROM matches WHERE watch = ?", [filters.watch]
    if narrowed and _fewer_than(db, narrowed, values, SMALL_SET):
        where, args = f" AND a.id IN ({narrowed}){where}", [*values, *args]
    return db.execute(
        f"SELECT a.id, 0 FROM articles a WHERE a.duplicate_of IS NULL{where}"
        " ORDER BY a.published DESC LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()


def _fewer_than(db: sqlite_utils.Database, sql: str, values: Sequence[Any], n: int) -> bool:
    """Does ``sql`` select fewer than n rows? (counts at most n, by index)"""
    return bool(
        db.execute(f"SELECT count(*) < ? FROM ({sql} LIMIT ?) AS s", [n, *values, n]).fetchone()[0]
    )


def _pick_ranked(
    db: sqlite_utils.Database, query: str, where: str, args: list[Any], limit: int, offset: int
) -> list[tuple[int, float]]:
    """bm25 over the newest RANK_POOL matches: FTS5 walks its doclists newest first and stops
    once it has them, then ranks only those. A common word in a million articles costs a
    thousand rows, not all of its matches. Older articles: --since/--until, or --newest."""
    recent = db.execute(
        f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?{where}"
        " ORDER BY rowid DESC LIMIT ?",
        [query, *args, max(RANK_POOL, limit + offset)],
    ).fetchall()
    if not recent:
        return []
    weights = ", ".join(str(w) for w in WEIGHTS)
    return db.execute(  # bm25() as a column, not FTS5's rank: the rowid bound is then honoured
        f"SELECT rowid, bm25(articles_fts, {weights}) AS score FROM articles_fts"
        f" WHERE articles_fts MATCH ? AND rowid >= ?{where} ORDER BY score LIMIT ? OFFSET ?",
        [query, recent[-1][0], *args, limit, offset],
    ).fetchall()


def _hits(
    db: sqlite_utils.Database,
    picked: list[tuple[int, float]],
    query: str,
    places: Sequence[int],
    marks: tuple[str, str],
    found: dict[int, str],
) -> list[Hit]:
    """Article columns and snippets for the picked rows only. Without words, the snippet
    shows the places searched for as the article wrote them (حلب), else what the watches
    matched."""
    ids = [r[0] for r in picked]
    written = {**found, **_written(db, ids, places)} if not query and places else {}
    rows = {
        r["id"]: r
        for r in db.query(
            "SELECT a.id, a.title, a.summary, a.text, a.link, a.feed, a.published, a.duplicate_of,"
            " (SELECT group_concat(DISTINCT m.watch) FROM matches m WHERE m.article_id = a.id) AS watches,"
            " (SELECT group_concat(DISTINCT m.place) FROM matches m WHERE m.article_id = a.id) AS places,"
            " (SELECT group_concat(DISTINCT m.matched_text) FROM matches m WHERE m.article_id = a.id)"
            f" AS matched FROM articles a WHERE a.id IN ({','.join('?' * len(ids))})",
            ids,
        )
    }
    return [
        Hit(
            i,
            r["title"],
            r["link"],
            r["feed"],
            r["published"],
            snippet(
                (r["text"], r["summary"], r["title"]),
                query or _as_query(written.get(i) or r["matched"]),
                marks,
            ),
            r["watches"] or "",
            r["places"] or "",
            rank,
        )
        for i, rank in picked
        if (r := rows.get(i)) and r["duplicate_of"] is None
    ]


def _written(db: sqlite_utils.Database, ids: list[int], places: Sequence[int]) -> dict[int, str]:
    """Article id -> the names of ``places`` as it wrote them ("حلب,Halab")."""
    rows = db.execute(
        "SELECT article_id, group_concat(written) FROM article_places"
        f" WHERE article_id IN ({','.join('?' * len(ids))})"
        f" AND geonameid IN ({','.join('?' * len(places))}) AND written != ''"
        " GROUP BY article_id",
        [*ids, *places],
    ).fetchall()
    return dict(rows)


def _as_query(matched: str | None) -> str:
    """The texts a watch matched, as a query that marks them: "حلب" OR "Aleppo"."""
    texts = [t.replace('"', " ") for t in (matched or "").split(",") if t.strip()]
    return " OR ".join(f'"{t}"' for t in texts)


def _query_error(query: str, exc: sqlite3.OperationalError) -> QueryError:
    msg = str(exc).removeprefix("fts5: ")
    near = re.search(r'syntax error near "(.*)"', msg)
    pos = query.find(near.group(1)) if near and near.group(1) else len(query)
    if "no such column" in msg:
        col = msg.split(":")[-1].strip()
        pos = query.find(col)
        return QueryError(
            f'search: {col!r} at position {pos} is read as a column filter; quote it ("{col}:...")',
            max(pos, 0),
        )
    return QueryError(
        f"search: cannot parse the query at position {max(pos, 0)}: {msg}", max(pos, 0)
    )


def recent_matches(
    db: sqlite_utils.Database,
    *,
    watch: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
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
