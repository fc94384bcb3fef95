"""Inflected forms a term is also matched in: English plurals of the last word (Latin
script), Russian case forms (Cyrillic), Arabic phrases with and without the definite article
on each word (an adjective agrees with its noun: جيش سوري, الجيش السوري). Terms arrive folded
(``matching.normalize.fold``)."""

from __future__ import annotations

import re


def word_forms(key: str) -> list[str]:
    """A folded term, the plural forms of its last word (Latin script), its case forms
    (Cyrillic)."""
    if not key:
        return []
    forms = [key]
    last = key.rsplit(" ", 1)[-1]
    if last.isascii() and last.isalpha() and len(last) > 1:
        forms += [key + "s", key + "es"]
        if last.endswith("y"):
            forms.append(key[:-1] + "ies")
    return forms + slavic_forms(key) + arabic_forms(key)


_ARABIC_WORD = re.compile(r"[\u0600-\u06ff]+")


def arabic_forms(key: str) -> list[str]:
    """An Arabic phrase of two or more words, indefinite (جيش سوري) and definite on every word
    (جيش السوري: the article, like و ب ل, on the first word is a proclitic the automaton
    already allows); the phrase itself is matched anyway."""
    words = key.split(" ")
    if len(words) < 2 or not all(_ARABIC_WORD.fullmatch(w) for w in words):
        return []
    bare = [w[2:] if w.startswith("ال") and len(w) > 4 else w for w in words]
    forms = [" ".join(bare), " ".join([bare[0], *("ال" + w for w in bare[1:])])]
    return [f for f in dict.fromkeys(forms) if f != key]


_CYRILLIC = re.compile(r"[\u0400-\u04ff]{4,}")
_SLAVIC_ENDINGS = {"а": ("ы", "е", "у", "ой", "ою", "и"), "я": ("и", "е", "ю", "ей", "ею")}


def slavic_forms(key: str) -> list[str]:
    """Case forms of a Cyrillic name or word (folded): Пальмира -> Пальмиры, Пальмире,
    Пальмиру, Пальмирой; Дамаск -> Дамаска, Дамаске, Дамаском. Names ending in another vowel
    (Алеппо) do not decline."""
    last = key.rsplit(" ", 1)[-1]
    if not _CYRILLIC.fullmatch(last):
        return []
    if last[-1] in _SLAVIC_ENDINGS:
        return [key[:-1] + e for e in _SLAVIC_ENDINGS[last[-1]]]
    if last[-1] in "оеиуыэюёьй":
        return []
    return [key + e for e in ("а", "у", "е", "ом", "ы", "ой")]
