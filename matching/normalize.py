"""Text normalisation shared by keywords, queries and place names.

``normalize(text)`` gives a *folded* copy of a text plus, for every folded character, the index
of the original character it came from, so a match found in the folded text maps back to exact
offsets in the article (``text[start:end]``).

Folding, character by character:
  * NFKC, then ``casefold`` (``ALEPPO`` = ``aleppo``, ``ﬁ`` = ``fi``, ``ß`` = ``ss``);
  * canonical decomposition with every non-spacing mark dropped: accents and Arabic harakat
    (``Ḥalab`` = ``halab``, ``Alèp`` = ``alep``, ``حَلَب`` = ``حلب``, ``أ``/``إ``/``آ`` = ``ا``);
  * Arabic ``ى`` = ``ي`` and ``ة`` = ``ه``; modifier letters (tatweel, ``ʿ``, ``ʾ``) vanish;
  * every other character that is not a letter or digit (punctuation, apostrophes, hyphens,
    line breaks) becomes a space, and runs of spaces collapse into one.
So words are separated by exactly one space in the folded text, and a "word boundary" is a
space or either end of the text. Scripts written without spaces (CJK, Thai, Lao, Khmer) have no
boundaries to check.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_ARABIC_MAP = {"ى": "ي", "ة": "ه"}
_PLAIN = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """The folded form of one character: '' (dropped), ' ' (separator) or letters/digits."""
    out = []
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch).casefold()):
        cat = unicodedata.category(c)
        if cat in ("Mn", "Me", "Lm", "Cf"):
            continue
        c = _ARABIC_MAP.get(c, c)
        out.append(c if c.isalnum() else " ")
    return "".join(out)


@dataclass(frozen=True)
class Folded:
    """A folded text and, per folded character, the index of its original character."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the folded slice [start, end) (end > start)."""
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> Folded:
    """Fold ``text`` (see the module docstring) keeping the map back to original offsets.

    Plain stretches (ASCII words separated by single spaces) fold one to one, so they are
    copied lowercased in one step; only what lies between them is folded character by character.
    """
    parts: list[str] = []
    origin: list[int] = []
    space = True  # the folded text so far is empty or ends with a space
    pos = 0
    for m in _PLAIN.finditer(text):
        start, end = m.span()
        if start > pos:
            space = _fold_gap(text, pos, start, parts, origin, space)
        parts.append(m.group().lower())
        origin.extend(range(start, end))
        space = False
        pos = end
    if pos < len(text):
        space = _fold_gap(text, pos, len(text), parts, origin, space)
    folded = "".join(parts)
    if space and origin:  # a trailing separator
        folded = folded[:-1]
        origin.pop()
    return Folded(folded, tuple(origin))


def _fold_gap(
    text: str, start: int, end: int, parts: list[str], origin: list[int], space: bool
) -> bool:
    """Append the fold of ``text[start:end]``; return whether the folded text ends in a space."""
    gap = text[start:end]
    if gap.isascii():  # punctuation and whitespace only: one separator
        if not space:
            parts.append(" ")
            origin.append(start)
        return True
    folded, offsets = _fold_piece(gap)
    if not folded:
        return space
    if space and folded[0] == " ":
        folded, offsets = folded[1:], offsets[1:]
    parts.append(folded)
    origin.extend(start + o for o in offsets)
    return folded[-1] == " " if folded else space


@lru_cache(maxsize=16384)
def _fold_piece(piece: str) -> tuple[str, tuple[int, ...]]:
    """The fold of a piece of text (runs of spaces collapsed, a leading one kept) and, per
    folded character, its offset in the piece."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(piece):
        for c in fold_char(ch):
            if c == " " and chars and chars[-1] == " ":
                continue
            chars.append(c)
            offsets.append(i)
    return "".join(chars), tuple(offsets)


def fold(text: str) -> str:
    """The folded form of a term or a name (no offsets): ``fold(" Ḥalab's ") == "halab s"``."""
    if text.isascii():
        return " ".join(_ASCII_WORD.findall(text)).lower()
    return normalize(text).text


_SPACELESS = (  # scripts written without spaces between words
    (0x2E80, 0x9FFF),  # CJK radicals, kana, ideographs
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1780, 0x17FF),  # Khmer
    (0x1000, 0x109F),  # Myanmar
)
_ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges) + "]")


_SPACELESS_CHAR = _char_class(_SPACELESS)
_ARABIC_CHAR = _char_class(_ARABIC)
_SPECIAL_CHAR = _char_class(_SPACELESS + _ARABIC)


def is_spaceless(ch: str) -> bool:
    """True for characters of scripts written without spaces between words."""
    return _SPACELESS_CHAR.match(ch) is not None


def is_arabic(ch: str) -> bool:
    return _ARABIC_CHAR.match(ch) is not None


def only_spaced_words(text: str) -> bool:
    """True when no character of ``text`` is spaceless or Arabic: its word boundaries are
    then exactly its spaces and its two ends."""
    return _SPECIAL_CHAR.search(text) is None


def script_of(name: str) -> str:
    """The script of a name's letters ('latin', 'arabic', 'cyrillic', ...); '' if none or mixed."""
    scripts = {unicodedata.name(c, "?").split(" ")[0].lower() for c in name if c.isalpha()}
    scripts.discard("modifier")
    if "cjk" in scripts or "hiragana" in scripts or "katakana" in scripts:
        scripts -= {"cjk", "hiragana", "katakana"}
        scripts.add("cjk")
    return scripts.pop() if len(scripts) == 1 else ""
