"""Inflected forms a term is also matched in: English plurals of the last word (Latin
script), Russian case forms (Cyrillic). Terms arrive folded (``matching.normalize.fold``)."""

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
    return forms + slavic_forms(key)


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
