"""One Aho-Corasick automaton for every pattern of every watch.

Patterns are folded strings (see ``normalize``); each carries one or more integer *payloads* (the
caller's ids). ``scan`` runs the automaton once over a folded text and yields the hits that stand
on word boundaries:

  * the hit starts at the start of the text or after a space, and ends at the end of the text or
    before a space (scripts written without spaces skip the check on that side);
  * a *prefix* pattern (query ``gov*``) needs only the boundary at its start;
  * an Arabic pattern may also start inside a word when what precedes it in that word is a
    string of proclitics: conjunction و/ف, then preposition ب/ل/ك, then the article ال
    ("وحلب", "بحلب", "وبحلب", "والرقة"); ``لل`` + noun is ``ل`` + ``ال`` + noun, so a pattern
    starting with ال also gets a variant starting with لل.

The cost of a scan depends on the text and the number of hits, not on the number of patterns:
10,000 watches cost about what 10 do. A text with no spaceless or Arabic character (most news)
is scanned by a second automaton whose patterns carry their boundaries (`` gov``, `` aleppo ``)
over the text padded with a space at each end, so it reports only the hits on boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import ahocorasick

from matching.normalize import is_arabic, is_spaceless, only_spaced_words

_PROCLITICS = re.compile(r"^[وف]?[بلك]?(ال)?$|^[وف]?لل$")


class Hit(NamedTuple):
    start: int  # offsets in the folded text
    end: int
    payloads: tuple[int, ...]


class PatternSet:
    """Collects (folded pattern, payload, prefix?) and builds the automaton once."""

    def __init__(self) -> None:
        self._payloads: dict[tuple[str, bool], dict[int, None]] = {}  # ordered sets
        self._automaton: ahocorasick.Automaton | None = None
        self._padded: ahocorasick.Automaton | None = None  # for texts of spaced words only

    def add(self, pattern: str, payload: int, *, prefix: bool = False) -> None:
        """Adding the same (pattern, payload, prefix) again changes nothing."""
        if not pattern.strip():
            return
        for variant in _variants(pattern):
            self._payloads.setdefault((variant, prefix), {})[payload] = None

    def build(self) -> None:
        by_word: dict[str, list[tuple[bool, tuple[int, ...]]]] = {}
        for (pattern, prefix), payloads in self._payloads.items():
            by_word.setdefault(pattern, []).append((prefix, tuple(payloads)))
        automaton = ahocorasick.Automaton()
        for pattern, entries in by_word.items():
            automaton.add_word(pattern, (len(pattern), tuple(entries)))
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton
            self._padded = _padded(self._payloads)

    def __len__(self) -> int:
        return len(self._payloads)

    def scan(self, text: str) -> Iterator[Hit]:
        """Every hit on word boundaries, in text order of their end (give or take one)."""
        if self._automaton is None or not text:
            return
        if only_spaced_words(text):
            if self._padded is not None:
                for last, (length, tail, payloads) in self._padded.iter(f" {text} "):
                    yield Hit(last - tail - length, last - tail, payloads)
            return
        for last, (length, entries) in self._automaton.iter(text):
            start, end = last - length + 1, last + 1
            if not _left_ok(text, start):
                continue
            right = _right_ok(text, end)
            payloads = tuple(p for prefix, ps in entries if right or prefix for p in ps)
            if payloads:
                yield Hit(start, end, payloads)


def _padded(payloads: dict[tuple[str, bool], dict[int, None]]) -> ahocorasick.Automaton | None:
    """`` pattern `` (`` pattern`` for a prefix), for texts padded with a space at each end; the
    value says how to get back to the pattern's span: its length and the padding after it."""
    automaton = ahocorasick.Automaton()
    for (pattern, prefix), ids in payloads.items():
        if only_spaced_words(pattern):  # others cannot occur in such a text
            tail = 0 if prefix else 1
            automaton.add_word(f" {pattern}{' ' * tail}", (len(pattern), tail, tuple(ids)))
    if not len(automaton):
        return None
    automaton.make_automaton()
    return automaton


def _variants(pattern: str) -> list[str]:
    if pattern.startswith("ال") and len(pattern) > 3:
        return [pattern, "لل" + pattern[2:]]
    return [pattern]


def _left_ok(text: str, start: int) -> bool:
    if start == 0 or text[start - 1] == " ":
        return True
    first = text[start]
    if is_spaceless(first) or is_spaceless(text[start - 1]):
        return True
    if is_arabic(first):
        word_start = text.rfind(" ", 0, start) + 1
        return bool(_PROCLITICS.match(text[word_start:start]))
    return False


def _right_ok(text: str, end: int) -> bool:
    if end == len(text) or text[end] == " ":
        return True
    return is_spaceless(text[end - 1]) or is_spaceless(text[end])
