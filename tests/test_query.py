"""matching.query: the watch query language (table-driven)."""

from __future__ import annotations

import pytest

from errors import QueryError
from matching.query import And, Near, Not, Or, Term, evaluate, parse_query

T = Term

PARSES = [
    ("term", "aleppo", T("aleppo")),
    ("implicit-and", "mass grave", And((T("mass"), T("grave")))),
    ("phrase", '"mass grave"', T("mass grave", phrase=True)),
    ("or-looser-than-and", "a OR b c", Or((T("a"), And((T("b"), T("c")))))),
    ("explicit-and", "a AND b OR c", Or((And((T("a"), T("b"))), T("c")))),
    ("not-tightest", "a NOT b", And((T("a"), Not(T("b"))))),
    ("leading-not", "NOT sport", Not(T("sport"))),
    ("double-not", "NOT NOT a", Not(Not(T("a")))),
    ("parentheses", "(a OR b) c", And((Or((T("a"), T("b"))), T("c")))),
    ("prefix", "evacuat*", T("evacuat", prefix=True)),
    ("near", "NEAR(rebels Aleppo, 5)", Near((T("rebels"), T("Aleppo")), 5)),
    ("near-default", 'NEAR(a "b c")', Near((T("a"), T("b c", phrase=True)), 10)),
    ("lowercase-operators-are-words", "war and peace", And((T("war"), T("and"), T("peace")))),
    ("unicode", "حلب OR Алеппо", Or((T("حلب"), T("Алеппо")))),
]


@pytest.mark.parametrize(("text", "ast"), [p[1:] for p in PARSES], ids=[p[0] for p in PARSES])
def test_parse(text: str, ast: object) -> None:
    assert parse_query(text) == ast


ERRORS = [
    ("empty", "   ", 0),
    ("unclosed-paren", "aleppo AND (evacuation", 22),
    ("stray-rparen", "aleppo)", 6),
    ("unclosed-quote", 'aleppo "mass grave', 7),
    ("empty-phrase", 'a ""', 2),
    ("dangling-or", "aleppo OR", 9),
    ("dangling-not", "aleppo NOT", 10),
    ("leading-and", "AND aleppo", 0),
    ("star-inside", "ev*ac", 0),
    ("lone-star", "a *", 2),
    ("near-one-term", "NEAR(a, 3)", 6),
    ("near-bad-distance", "NEAR(a b, x)", 10),
    ("near-no-paren", "NEAR a b", 5),
    ("comma-outside-near", "a, b", 1),
]


@pytest.mark.parametrize(("text", "position"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_parse_errors_carry_position(text: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(text)
    assert info.value.position == position
    assert f"position {position}" in info.value.message


def positions(doc: dict[str, list[tuple[int, int]]]):
    return lambda term: doc.get(term.text, [])


EVALS = [
    ("and-true", "a b", {"a": [(0, 1)], "b": [(2, 4)]}, True),
    ("and-false", "a b", {"a": [(0, 1)]}, False),
    ("or", "a OR b", {"b": [(0, 0)]}, True),
    ("not", "a NOT b", {"a": [(0, 0)], "b": [(0, 3)]}, False),
    ("near-in", "NEAR(a b, 3)", {"a": [(2, 10)], "b": [(2, 13)]}, True),
    ("near-out", "NEAR(a b, 3)", {"a": [(2, 10)], "b": [(2, 14)]}, False),
    ("near-other-field", "NEAR(a b, 3)", {"a": [(0, 1)], "b": [(2, 1)]}, False),
    (
        "near-three",
        "NEAR(a b c, 4)",
        {"a": [(2, 1), (2, 50)], "b": [(2, 52)], "c": [(2, 48), (2, 5)]},
        True,
    ),
    ("near-three-out", "NEAR(a b c, 4)", {"a": [(2, 1)], "b": [(2, 52)], "c": [(2, 48)]}, False),
]


@pytest.mark.parametrize(
    ("text", "doc", "expected"), [e[1:] for e in EVALS], ids=[e[0] for e in EVALS]
)
def test_evaluate(text: str, doc: dict[str, list[tuple[int, int]]], expected: bool) -> None:
    assert evaluate(parse_query(text), positions(doc)) is expected
