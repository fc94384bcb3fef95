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

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_ARABIC_MAP = {"ى": "ي", "ة": "ه"}


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
    """Fold ``text`` (see the module docstring) keeping the map back to original offsets."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = (ch.lower() if ch.isalnum() else " ") if ch.isascii() else fold_char(ch)
        for c in folded:
            if c == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(c)
            origin.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Folded("".join(chars), tuple(origin))


def fold(text: str) -> str:
    """The folded form of a term or a name (no offsets): ``fold(" Ḥalab's ") == "halab s"``."""
    return normalize(text).text


def is_spaceless(ch: str) -> bool:
    """True for characters of scripts written without spaces between words."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # CJK radicals, kana, ideographs
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
        or 0x0E00 <= o <= 0x0EFF  # Thai, Lao
        or 0x1780 <= o <= 0x17FF  # Khmer
        or 0x1000 <= o <= 0x109F  # Myanmar
    )


def is_arabic(ch: str) -> bool:
    return 0x0600 <= ord(ch) <= 0x06FF or 0x0750 <= ord(ch) <= 0x077F


def script_of(name: str) -> str:
    """The script of a name's letters ('latin', 'arabic', 'cyrillic', ...); '' if none or mixed."""
    scripts = {unicodedata.name(c, "?").split(" ")[0].lower() for c in name if c.isalpha()}
    scripts.discard("modifier")
    if "cjk" in scripts or "hiragana" in scripts or "katakana" in scripts:
        scripts -= {"cjk", "hiragana", "katakana"}
        scripts.add("cjk")
    return scripts.pop() if len(scripts) == 1 else ""
