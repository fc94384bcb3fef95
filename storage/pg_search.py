"""Search on PostgreSQL: the query language of watches and `bot.py search` (matching/query.py)
translated to a tsquery, over the weighted ``articles.search`` column (storage/pg_schema.py).

    word              'word'             (folded by the ``newsbot`` configuration: case, accents)
    "two words"       'two' <-> 'words'
    pref*             'pref':*
    a AND b / a b     a & b;   a OR b: a | b;   NOT a: !a
    NEAR(a b, N)      a and b at most N words apart, either order: (a <1> b | ... | b <N> a);
                      three or more terms: every pair within N

The plan is bounded like the FTS5 one: the newest RANK_POOL matches (by id, as FTS5's
rowid) are taken first, then ranked with ts_rank (title weight 1.0, summary 0.3, body 0.1;
divided by 1 + log(length), which orders like FTS5's bm25 on the web tests' archive; ties:
oldest id first, as FTS5) or, for --newest, sorted by date. storage/search.py does the rest,
the same on both backends: filters, place: terms, snippets for the rows shown only.

The newest matches are found in steps (``newest``), because neither of the planner's own
plans is bounded: walking the id index backwards reads (detoasts, ~4 KB) every row until the
pool is full, 19,000 rows for a word in 5% of the articles (190 ms at 100k, 740 ms for a rare
phrase); the GIN index alone yields every match, all of them fetched to sort by id.
  1. the rows of the newest WALK ids are read one by one: a word most articles have fills
     the pool there (its GIN entry, a million ids, would cost more to read);
  2. then windows of older ids, each sized from the density of matches met so far, through
     the GIN index ANDed with the id index (a BitmapAnd: only the window's matches are read;
     ``enable_indexscan`` is off for that statement, else the planner walks the id index);
  3. phrases and NEAR need each candidate row read for word positions: the rows holding all
     the words (their density met in step 1) are read CHECKS at most, so a phrase of common
     words ranks its matches among the newest ~CHECKS articles that have its words; a phrase
     of rare words is found however old it is.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from matching.query import And, Node, Not, Or, Term, parse_query

WEIGHTS = "{0.1, 0.0, 0.3, 1.0}"  # ts_rank's order: D (text), C, B (summary), A (title)
MAX_NEAR = 30  # a NEAR distance above this is read as 30 (each step is one alternative)
WALK = 2000  # the newest ids whose rows are checked one by one before the GIN index is asked
CHECKS = 5_000  # rows read for word positions at most, by a phrase or NEAR query
GROWTH = 4  # a window of older ids covers at least this many times the ids examined before


def to_tsquery(query: str, loose: bool = False) -> str:
    """The tsquery text for a query (operands are normalised by to_tsquery('newsbot', ...)).
    ``loose``: phrases and NEAR read as their words ANDed (not under NOT): a query that
    matches every row the exact one does, answered by the GIN index without reading a row."""
    return _node(parse_query(query), loose)


def _lexeme(word: str, prefix: bool = False) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + (":*" if prefix else "")


def _term(t: Term, loose: bool = False) -> str:
    words = t.text.split()
    if not words:
        return "''"
    parts = [_lexeme(w) for w in words]
    if t.prefix:
        parts[-1] = _lexeme(words[-1], prefix=True)
    return parts[0] if len(parts) == 1 else "(" + (" & " if loose else " <-> ").join(parts) + ")"


def _near(a: str, b: str, distance: int) -> str:
    steps = range(1, min(distance, MAX_NEAR) + 1)
    return "(" + " | ".join(f"{x} <{n}> {y}" for n in steps for x, y in ((a, b), (b, a))) + ")"


def _node(node: Node, loose: bool = False) -> str:
    if isinstance(node, Term):
        return _term(node, loose)
    if isinstance(node, And):
        return "(" + " & ".join(_node(c, loose) for c in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " | ".join(_node(c, loose) for c in node.children) + ")"
    if isinstance(node, Not):
        return "!" + _node(node.child)
    terms = [_term(t, loose) for t in node.terms]
    if loose:
        return "(" + " & ".join(terms) + ")"
    pairs = [_near(a, b, node.distance) for a, b in combinations(terms, 2)]
    return pairs[0] if len(pairs) == 1 else "(" + " & ".join(pairs or terms) + ")"


def pick(
    db: Any,
    query: str,
    where: str,
    args: list[Any],
    limit: int,
    offset: int,
    order: str,
    pool: int,
) -> list[tuple[int, float]]:
    """(article id, score) of the rows to show, lower score first like bm25; ``where`` and
    ``args``: the search's filters as checks on ``a.id``; ``pool``: the newest matches ranked
    (order="rank") or sorted by date (order="newest"), as FTS5 does."""
    ids = newest(db, query, where, args, max(pool, limit + offset))
    if not ids:
        return []
    if order == "rank":
        sql = (
            f"SELECT a.id, -ts_rank('{WEIGHTS}', a.search, to_tsquery('newsbot', ?), 1) AS score"
            " FROM articles a WHERE a.id = ANY(?) ORDER BY score, a.id LIMIT ? OFFSET ?"
        )
        rows = db.execute(sql, [to_tsquery(query), ids, limit, offset]).fetchall()
    else:
        rows = db.execute(
            "SELECT a.id, 0 FROM articles a WHERE a.id = ANY(?)"
            " ORDER BY a.published DESC LIMIT ? OFFSET ?",
            [ids, limit, offset],
        ).fetchall()
    return [(int(i), float(score)) for i, score in rows]


def newest(db: Any, query: str, where: str, args: list[Any], n: int) -> list[int]:
    """The ids of the n newest matches, newest first: the rows of the newest WALK ids checked
    one by one, then windows of older ids through the GIN index (module docstring)."""
    exact, loose = to_tsquery(query), to_tsquery(query, loose=True)
    top = db.execute("SELECT max(id) FROM articles").fetchone()[0]
    if top is None:
        return []
    hi = max(int(top) - WALK, 0)
    positions = exact != loose  # a phrase or NEAR: the rows with its words are candidates
    check = "a.search @@ to_tsquery('newsbot', ?)" if positions else "TRUE"
    walked = db.execute(  # OFFSET 0: these rows are read one by one, not through the GIN index
        f"SELECT a.id, {check} FROM (SELECT id, search, duplicate_of FROM articles"
        " WHERE id > ? OFFSET 0) a WHERE a.search @@ to_tsquery('newsbot', ?)"
        f" AND a.duplicate_of IS NULL{where} ORDER BY a.id DESC",
        [*([exact] if positions else []), hi, loose, *args],
    ).fetchall()
    ids = [int(i) for i, ok in walked if ok][:n]
    budget = Budget(len(walked), int(top) - hi) if positions else None
    while len(ids) < n and hi > 0:
        span = _span(len(ids), int(top) - hi, n)
        if budget is not None:
            span = budget.spend(span)
        if span <= 0:
            break
        lo = max(hi - span, 0)
        ids += _window(db, exact, where, args, lo, hi, n - len(ids))
        hi = lo
    return ids


def _window(db: Any, tsq: str, where: str, args: list[Any], lo: int, hi: int, n: int) -> list[int]:
    """The n newest matches with ids in (lo, hi]: the GIN index ANDed with the id range."""
    with db.transaction():  # else the id index is walked backwards, every row read: not that
        db.execute("SET LOCAL enable_indexscan = off")
        rows = db.execute(
            "SELECT a.id FROM articles a WHERE a.id > ? AND a.id <= ? AND a.search @@"
            f" to_tsquery('newsbot', ?) AND a.duplicate_of IS NULL{where}"
            " ORDER BY a.id DESC LIMIT ?",
            [lo, hi, tsq, *args, n],
        ).fetchall()
    return [int(r[0]) for r in rows]


def _span(found: int, examined: int, n: int) -> int:
    """How many older ids the next window covers: enough for the matches still wanted at the
    density seen so far (with a margin), and at least GROWTH times what was examined."""
    wanted = (n - found) * examined * 3 // (2 * found) if found else 0
    return max(wanted, examined * GROWTH)


class Budget:
    """Rows whose word positions may be checked (phrases, NEAR): the GIN index finds the rows
    holding all the words, each is then read; CHECKS of them at most, at the density of
    such rows met among the newest ids."""

    def __init__(self, candidates: int, examined: int) -> None:
        self.density = candidates / max(examined, 1)
        self.left = float(CHECKS - candidates)

    def spend(self, span: int) -> int:
        """The span of ids (at most ``span``) the checks left afford; counted as spent."""
        if self.density:
            span = min(span, int(self.left / self.density))
        self.left -= span * self.density
        return span
