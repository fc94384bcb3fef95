"""What the clustering reads of an article's words: its title and lead, folded, the words that
can be evidence (not stop words), the proper names and numbers, and the word shingles a
MinHash is made of. Pure functions, any script."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

LEAD_WORDS = 60  # the lead: the first words of the summary (or the text when none)
SHINGLE = 3
_WORD = re.compile(r"\w+(?:['’]\w+)*")

# Words too common in news to count as shared evidence (English; other scripts rarely share
# words across outlets anyway). Kept short on purpose: rarity in the window does the rest.
_STOP_WORDS = """a about after again against all also am an and any are as at be because been before
    being between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my new no nor not now of off on once only or other our out over own
    said same says she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your amid among says say news live updates update
    latest first second third one two three four five six seven eight nine ten year years
    day days week weeks month months today tuesday monday wednesday thursday friday
    saturday sunday us u s people man woman men women world report reports new watch video
    photos what know how why here"""
STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Words:
    """An article's words as the clustering uses them."""

    title: frozenset[str]  # content words of the title (folded)
    body: frozenset[str]  # content words of title + lead
    names: frozenset[str]  # capitalised words and numbers of title + lead: names, figures
    shingles: frozenset[str]  # word 3-shingles of title + lead (for MinHash)
    script: str  # "latin", "arabic", "cyrillic", ... of the title
    key: str = ""  # the title's content words sorted (3 or more): what copies share


_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")} | {
    ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")
}
_POSSESSIVE = re.compile(r"['’]s\b")


def fold(text: str) -> str:
    """Case, accents, Unicode forms, Arabic-Indic digits and the English possessive folded
    (Jerí = Jeri, Navalny's = Navalny, ٢٨ = 28)."""
    if text.isascii():  # most titles: nothing to decompose (a third of clustering's time)
        return _POSSESSIVE.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_DIGITS))
    if decomposed.isascii() or max(decomposed) <= "\uffff":  # a table covers the BMP
        plain = decomposed.translate(_combining())
    else:
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _POSSESSIVE.sub("", plain)


@lru_cache(maxsize=1)
def _combining() -> dict[int, None]:
    """The combining marks of the BMP (accents, Arabic vowel marks), to be deleted."""
    return {c: None for c in range(0x10000) if unicodedata.combining(chr(c))}


def lead(summary: str, text: str = "", words: int = LEAD_WORDS) -> str:
    """The first ``words`` words of the summary, or of the text when there is no summary."""
    source = summary.strip() or text.strip()
    return " ".join(source.split()[:words])


def tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _content(words: list[str]) -> frozenset[str]:
    return frozenset(w for w in words if w not in STOP and (len(w) > 2 or w.isdigit()))


_fold_word = lru_cache(maxsize=100_000)(fold)


def _names(text: str) -> frozenset[str]:
    """Capitalised words not at a sentence start, and numbers: the names and figures that
    two reports of one event share (Jeri, Geneva, 28, 84)."""
    out: set[str] = set()
    for sentence in re.split(r"(?<=[.!?:])\s+", text):
        for i, w in enumerate(_WORD.findall(sentence)):
            if (
                w.isdigit()
                and len(w) < 5
                or i > 0
                and w[:1].isupper()
                and _fold_word(w) not in STOP
                and len(w) > 2
            ):
                out.add(fold(w))
    return frozenset(out)


def script(text: str) -> str:
    """The script of the first letter that has one ("latin" when none)."""
    for c in text:
        if c.isalpha():
            name = unicodedata.name(c, "LATIN").split()[0].lower()
            return name
    return "latin"


# wordfreq's word lists by script: how common a word is in the language at large (Zipf scale:
# 7 "the", 5 "market", 4 "Geneva", 3 "Kremlin", 2 "Navalny", 0 unknown).
_LISTS = {"latin": "en", "arabic": "ar", "cyrillic": "ru"}
_lists_lock = threading.Lock()


@lru_cache(maxsize=8)
def _frequencies(lang: str) -> dict[str, float]:
    from wordfreq import get_frequency_dict

    with _lists_lock:
        return get_frequency_dict(lang, wordlist="small")


@lru_cache(maxsize=200_000)
def zipf(word: str, script_name: str = "latin") -> float:
    """How common ``word`` is in its language (wordfreq's Zipf scale); 0 when unknown, and
    for a script without a word list."""
    lang = _LISTS.get(script_name)
    if lang is None:
        return 0.0
    freq = _frequencies(lang).get(word, 0.0)
    return round(math.log10(freq * 1e9), 2) if freq > 0 else 0.0


COPY_LEAD_WORDS = 20


@lru_cache(maxsize=4096)  # (asked twice of a new article: ahead of its transaction and in it)
def title_key(title: str, lead_text: str = "") -> str:
    """What copies share: the title's content words, sorted (3 or more); for a shorter
    title ("Labubu Diplomacy"), the whole title and the lead's first 20 words, in order
    ("" when there is neither)."""
    return _key(tokens(title), lambda: tokens(lead_text))


def _key(title_words: list[str], lead_words: Callable[[], list[str]]) -> str:
    content = _content(title_words)
    if len(content) >= 3:
        return " ".join(sorted(content))
    first = lead_words()[:COPY_LEAD_WORDS]
    return "~" + " ".join(title_words + first) if len(first) >= 8 else ""


def words(title: str, lead_text: str) -> Words:
    title_words, lead_words = tokens(title), tokens(lead_text)
    all_words = title_words + lead_words
    shingles = frozenset(
        " ".join(all_words[i : i + SHINGLE]) for i in range(max(len(all_words) - SHINGLE + 1, 1))
    )
    return Words(
        title=_content(title_words),
        body=_content(all_words),
        names=_names(f"{title}. {lead_text}"),
        shingles=shingles,
        script=script(title),
        key=_key(title_words, lambda: lead_words),
    )
