"""Search on PostgreSQL: the query language of watches and `bot.py search` (matching/query.py)
translated to a tsquery, over the weighted ``articles.search`` column (storage/pg_schema.py).

    word              'word'             (folded by the ``newsbot`` configuration: case, accents)
    "two words"       'two' <-> 'words'
    pref*             'pref':*
    a AND b / a b     a & b;   a OR b: a | b;   NOT a: !a
    NEAR(a b, N)      a and b at most N words apart, either order: (a <1> b | ... | b <N> a);
                      three or more terms: every pair within N

The plan is bounded like the FTS5 one: the newest RANK_POOL matches are taken first (the
planner walks the id index backwards for a common word, the GIN index for a rare one), then
ranked with ts_rank (title weight 1.0, summary 0.3, body 0.1; divided by 1 + log(length),
which orders like FTS5's bm25 on the web tests' archive; ties: oldest id first, as FTS5). storage/search.py does the
rest, the same on both backends: filters, place: terms, snippets for the rows shown only.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from matching.query import And, Node, Not, Or, Term, parse_query

WEIGHTS = "{0.1, 0.0, 0.3, 1.0}"  # ts_rank's order: D (text), C, B (summary), A (title)
MAX_NEAR = 30  # a NEAR distance above this is read as 30 (each step is one alternative)


def to_tsquery(query: str) -> str:
    """The tsquery text for a query (operands are normalised by to_tsquery('newsbot', ...))."""
    return _node(parse_query(query))


def _lexeme(word: str, prefix: bool = False) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + (":*" if prefix else "")


def _term(t: Term) -> str:
    words = t.text.split()
    if not words:
        return "''"
    parts = [_lexeme(w) for w in words]
    if t.prefix:
        parts[-1] = _lexeme(words[-1], prefix=True)
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _near(a: str, b: str, distance: int) -> str:
    steps = range(1, min(distance, MAX_NEAR) + 1)
    return "(" + " | ".join(f"{x} <{n}> {y}" for n in steps for x, y in ((a, b), (b, a))) + ")"


def _node(node: Node) -> str:
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, And):
        return "(" + " & ".join(_node(c) for c in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " | ".join(_node(c) for c in node.children) + ")"
    if isinstance(node, Not):
        return "!" + _node(node.child)
    terms = [_term(t) for t in node.terms]
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
    ``args``: the search's filters as checks on ``a.id``; ``pool``: the newest matches ranked."""
    tsq = to_tsquery(query)
    match = "a.search @@ to_tsquery('newsbot', ?) AND a.duplicate_of IS NULL"
    if order == "rank":
        sql = (
            f"WITH q AS (SELECT to_tsquery('newsbot', ?) AS q), recent AS (SELECT a.id, a.search"
            f" FROM articles a WHERE {match}{where} ORDER BY a.id DESC LIMIT ?)"
            f" SELECT id, -ts_rank('{WEIGHTS}', recent.search, q.q, 1) AS score FROM recent, q"
            " ORDER BY score, id LIMIT ? OFFSET ?"
        )
        rows = db.execute(
            sql, [tsq, tsq, *args, max(pool, limit + offset), limit, offset]
        ).fetchall()
    else:
        rows = db.execute(
            f"SELECT a.id, 0 FROM articles a WHERE {match}{where}"
            " ORDER BY a.published DESC LIMIT ? OFFSET ?",
            [tsq, *args, limit, offset],
        ).fetchall()
    return [(int(i), float(score)) for i, score in rows]
