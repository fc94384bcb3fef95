"""The watch query language: text -> AST (``parse_query``), AST + term hits -> bool (``evaluate``).

Syntax (operators are upper case; lower-case ``and``/``or``/``not`` are ordinary words):

    war crimes             two terms, implicit AND
    "mass grave"           a phrase: the words in this order, adjacent
    a AND b, a OR b        OR binds looser than AND: ``a OR b c`` = ``a OR (b AND c)``
    NOT a, a NOT b         NOT binds tightest: ``a NOT b`` = ``a AND (NOT b)``
    (a OR b) c             parentheses group
    evacuat*               prefix: any word starting with ``evacuat``
    NEAR(a b, 10)          every term (or "phrase") within 10 words of each other, same field;
                           the distance defaults to 10
    place:Aleppo           a mention in the article resolved to that place (any script, any
    place:"Paris, US-TN"   alias: حلب counts, Aleppo pepper does not; see ``matching.resolve``);
                           NAME is a location spec as in a watch's ``locations``

Terms and phrases are folded like keywords (case, accents, Unicode forms; see ``normalize``) and
match on word boundaries in the title, summary or text, with the same plural and possessive forms
as keywords. Syntax errors raise ``errors.QueryError`` with the 0-based position in the query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from errors import QueryError

NEAR_DEFAULT = 10
MAX_DEPTH = 100  # nested parentheses / NOTs: deeper is refused, never a RecursionError


@dataclass(frozen=True)
class Term:
    text: str  # as written (without quotes or the trailing *); for place: the location spec
    phrase: bool = False
    prefix: bool = False
    place: bool = False  # place:NAME


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Near:
    terms: tuple[Term, ...]
    distance: int = NEAR_DEFAULT


Node = Term | And | Or | Not | Near

_TOKEN = re.compile(
    r'(?P<ws>\s+)|(?P<lp>\()|(?P<rp>\))|(?P<comma>,)|(?P<place>place:(?:"[^"]*"?|[^\s()",]*))'
    r'|(?P<phrase>"[^"]*"?)|(?P<word>[^\s()",]+)',
    re.IGNORECASE,
)
PLACE_PREFIX = "place:"
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # lp rp comma phrase word AND OR NOT NEAR end
    value: str
    pos: int


def _closed(value: str) -> bool:
    quoted = value[len(PLACE_PREFIX) :]
    return len(quoted) >= 2 and quoted.endswith('"')


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        kind, value = m.lastgroup or "", m.group()
        if kind == "ws":
            continue
        if kind == "phrase" and (len(value) < 2 or not value.endswith('"')):
            raise QueryError(f"unclosed quote at position {m.start()}", m.start())
        if kind == "place" and not value[len(PLACE_PREFIX) :].strip('"').strip():
            raise QueryError(f"place: needs a place name, at position {m.start()}", m.start())
        if kind == "place" and value[len(PLACE_PREFIX)] == '"' and not _closed(value):
            raise QueryError(f"unclosed quote at position {m.start()}", m.start())
        if kind == "word" and value in _OPERATORS:
            kind = value
        toks.append(_Tok(kind, value, m.start()))
    toks.append(_Tok("end", "", len(text)))
    return toks


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(f"the query nests deeper than {MAX_DEPTH} levels", self.tok)

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str) -> _Tok:
        tok = self.tok
        if tok.kind != kind:
            want = {"rp": "')'", "lp": "'('", "comma": "','"}.get(kind, kind)
            raise _error(f"expected {want}", tok)
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        if self.tok.kind != "end":
            raise _error("unexpected", self.tok)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.tok.kind == "OR":
            self.i += 1
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while self.tok.kind in ("AND", "NOT", "word", "phrase", "place", "lp", "NEAR"):
            if self.tok.kind == "AND":
                self.i += 1
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else And(tuple(children))

    def not_expr(self) -> Node:
        if self.tok.kind == "NOT":
            self.i += 1
            self.deeper()
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "lp":
            self.i += 1
            self.deeper()
            node = self.or_expr()
            self.take("rp")
            self.depth -= 1
            return node
        if tok.kind == "NEAR":
            return self.near()
        if tok.kind in ("word", "phrase", "place"):
            self.i += 1
            return _term(tok)
        raise _error("expected a term, a \"phrase\", place:NAME, NOT, NEAR or '('", tok)

    def near(self) -> Near:
        self.i += 1
        self.take("lp")
        terms: list[Term] = []
        while self.tok.kind in ("word", "phrase"):
            terms.append(_term(self.tok))
            self.i += 1
        if len(terms) < 2:
            raise _error("NEAR needs at least two terms", self.tok)
        distance = NEAR_DEFAULT
        if self.tok.kind == "comma":
            self.i += 1
            num = self.take("word") if self.tok.kind == "word" else self.tok
            if not (num.value.isascii() and num.value.isdigit()):
                raise _error("NEAR distance must be a whole number", num)
            distance = int(num.value)
        self.take("rp")
        return Near(tuple(terms), distance)


def _error(what: str, tok: _Tok) -> QueryError:
    found = "end of query" if tok.kind == "end" else repr(tok.value)
    return QueryError(f"{what}, found {found} at position {tok.pos}", tok.pos)


def _term(tok: _Tok) -> Term:
    if tok.kind == "place":
        return Term(tok.value[len(PLACE_PREFIX) :].strip('"').strip(), place=True)
    if tok.kind == "phrase":
        inner = tok.value[1:-1].strip()
        if not inner:
            raise QueryError(f"empty phrase at position {tok.pos}", tok.pos)
        return Term(inner, phrase=True)
    prefix = tok.value.endswith("*")
    word = tok.value.rstrip("*")
    if not word or "*" in word:
        raise QueryError(f"'*' only ends a term, at position {tok.pos}", tok.pos)
    return Term(word, prefix=prefix)


def parse_query(text: str) -> Node:
    """Parse a query into its AST; ``errors.QueryError`` (with ``.position``) on bad syntax."""
    if not text.strip():
        raise QueryError("empty query at position 0", 0)
    return _Parser(text).parse()


def terms_of(node: Node) -> list[Term]:
    """Every term of the query, NOT-ed ones included, in order."""
    return _terms(node, negated=True)


def positive_terms(node: Node) -> list[Term]:
    """Terms whose hits explain a match (those not under a NOT)."""
    return _terms(node, negated=False)


def _terms(node: Node, *, negated: bool) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Near):
        return list(node.terms)
    if isinstance(node, Not):
        return _terms(node.child, negated=negated) if negated else []
    return [t for child in node.children for t in _terms(child, negated=negated)]


# a term's hits: (field index, word index) pairs, in order
Positions = Sequence[tuple[int, int]]


def evaluate(node: Node, hits: Callable[[Term], Positions]) -> bool:
    """True when the article whose term hits ``hits`` gives satisfies the query."""
    if isinstance(node, Term):
        return bool(hits(node))
    if isinstance(node, Not):
        return not evaluate(node.child, hits)
    if isinstance(node, And):
        return all(evaluate(c, hits) for c in node.children)
    if isinstance(node, Or):
        return any(evaluate(c, hits) for c in node.children)
    return _near(node, hits)


def _near(node: Near, hits: Callable[[Term], Positions]) -> bool:
    """Smallest window holding one hit of every term, per field, compared with the distance."""
    events = sorted((f, w, i) for i, t in enumerate(node.terms) for f, w in hits(t))
    need = len(node.terms)
    count: dict[int, int] = {}
    lo = 0
    for field, word, term in events:
        count[term] = count.get(term, 0) + 1
        while events[lo][0] != field:
            count[events[lo][2]] -= 1
            lo += 1
        while len([c for c in count.values() if c]) == need:
            if word - events[lo][1] <= node.distance:
                return True
            count[events[lo][2]] -= 1
            lo += 1
    return False
