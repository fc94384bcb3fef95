"""Snippets for search results, made in Python for the rows shown only.

FTS5's snippet() re-runs the whole query for every row it is asked about (a prefix query
re-merges every matching term's doclist each time): for 20 rows of a common prefix that is
seconds at a million articles. Here the query's words are found again in the row's title,
summary and text, accent- and case-insensitively, and marked in a window around the first.
Each field is read up to MAX_SOURCE characters: a 9 MB article costs a search no more than a
long one (unbounded, folding it took seconds and hundreds of MB for every search hitting it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_TOKEN = re.compile(r'"([^"]*)"|([^\s()"]+)')
_WORDS = re.compile(r"\w+\*?")
WINDOW = 110  # characters each side of the first hit
MAX_SOURCE = 10_000  # characters of a field searched for hits (a long article is ~10,000)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Case- and accent-folded text, and for each folded character its offset in ``text``."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        folded = (
            ch
            if ch.isascii()
            else "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
        )
        for c in folded.casefold():
            out.append(c)
            where.append(i)
    return "".join(out), where


def query_pattern(query: str) -> re.Pattern[str] | None:
    """A regex over folded text for the query's positive words, phrases and prefixes."""
    alts: list[str] = []
    negate = False
    for phrase, bare in _TOKEN.findall(query):
        if bare in OPERATORS:
            negate = bare == "NOT"
            continue
        words = _WORDS.findall(fold_with_map(phrase or bare.split(":")[-1])[0])
        if words and not negate:
            alts.append(r"\W+".join(_word(w) for w in words))
        negate = False
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")", re.UNICODE) if alts else None


def _word(w: str) -> str:
    return re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) + r"(?!\w)"


def snippet(fields: Sequence[str], query: str, marks: tuple[str, str] = ("[", "]")) -> str:
    """~220 characters around the first hit in the first field that has one, hits marked."""
    pattern = query_pattern(query[:MAX_SOURCE])
    for text in (f[:MAX_SOURCE] if f else "" for f in fields):
        if not text:
            continue
        folded, where = fold_with_map(text)
        hits = list(pattern.finditer(folded)) if pattern else []
        if hits:
            return _window(text, folded, where, hits, marks)
    first = next((f for f in fields if f), "")
    return " ".join(first[: 2 * WINDOW].split())


def highlight(text: str, query: str, marks: tuple[str, str] = ("[", "]")) -> str:
    """The whole ``text`` with every hit of the query marked (for titles; at most MAX_SOURCE
    characters are marked, the rest is kept as it is)."""
    text, rest = text[:MAX_SOURCE], text[MAX_SOURCE:]
    pattern = query_pattern(query[:MAX_SOURCE])
    folded, where = fold_with_map(text)
    hits = list(pattern.finditer(folded)) if pattern and text else []
    return (_window(text, folded, where, hits, marks, whole=True) if hits else text) + rest


def _window(
    text: str,
    folded: str,
    where: list[int],
    hits: list[re.Match[str]],
    marks: tuple[str, str],
    *,
    whole: bool = False,
) -> str:
    start = 0 if whole else max(where[hits[0].start()] - WINDOW, 0)
    end = len(text) if whole else min(where[hits[0].start()] + WINDOW, len(text))
    pieces, cursor = [], start
    for h in hits:
        a, b = where[h.start()], where[h.end() - 1] + 1
        if a < cursor or b > end:
            continue
        pieces += [text[cursor:a], marks[0], text[a:b], marks[1]]
        cursor = b
    pieces.append(text[cursor:end])
    body = " ".join("".join(pieces).split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
