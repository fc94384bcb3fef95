"""Does an archived article mention a given place? Resolution at search time, for places no
watch covered when the article was archived (``article_places`` holds only the names some
watch or ``place:`` term used then).

``place_filter(geonameid)`` compiles, once per place (a small cache), a ruleset with that
place as its only location: every alias of it (all scripts), each name's candidates and their
evidence, exactly as a watch on it would be compiled. Two things come out:

  * ``fts_query``: an FTS5 query (``"damascus" OR "دمشق" OR "дамаска" ...``) over the place's
    names and the forms the matcher also accepts (Russian case forms; Arabic names after the
    proclitics و ف ب ل ك and the article ال), the spelling as the gazetteer writes it and as
    folded; it picks the articles that may mention the place;
  * ``check(article, home)``: the mentions of the place in the article, resolved as at archive
    time (one referent per name, evidence, the feed's home region): the name as written and
    how many mentions count for the place, or None.

Names written in scripts without spaces (CJK) are found by FTS5 only as whole tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from matching.compiler import compile_rules
from matching.forms import slavic_forms
from matching.normalize import fold, is_arabic
from matching.places import Gazetteer
from matching.rules import Ruleset
from models import Article, Place
from settings import WatchSettings

_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ل", "ك")


@dataclass(frozen=True)
class PlaceFilter:
    place: Place
    fts_query: str
    names: frozenset[int]  # geonameids of every candidate of the place's names
    ruleset: Ruleset

    def check(self, article: Article, home: Mapping[str, float] = {}) -> tuple[str, int] | None:
        """(the name as first written, mentions that count) when a mention resolves to the
        place; None when none does."""
        matches = self.ruleset.analyse(article, (), home).matches
        if not matches:
            return None
        return matches[0].text, len(matches)


@lru_cache(maxsize=32)
def place_filter(geonameid: int) -> PlaceFilter | None:
    """The place's filter (None: no such GeoNames id in the gazetteer)."""
    gaz = Gazetteer.load()
    place = gaz.get(geonameid)
    if place is None:
        return None
    watch = WatchSettings(name=place.label, locations=[f"geonames:{geonameid}"])
    ruleset = compile_rules([watch], gaz)
    query = " OR ".join(_phrase(f) for f in _forms(gaz.aliases(place)))
    return PlaceFilter(place, query, ruleset.candidate_ids(), ruleset)


def _forms(aliases: Iterable[str]) -> list[str]:
    """Every spelling the full-text prefilter looks for (module docstring)."""
    out: dict[str, None] = {}
    for alias in aliases:
        for spelling in dict.fromkeys([alias, fold(alias)]):
            if not spelling.replace('"', " ").strip():
                continue
            out[spelling] = None
            out.update(dict.fromkeys(slavic_forms(fold(spelling))))
            if spelling and is_arabic(spelling[0]):
                out.update(dict.fromkeys(_proclitic_forms(spelling)))
    return list(out)


def _proclitic_forms(word: str) -> list[str]:
    """وحلب, بحلب, وبالرقة, للرقة ...: the forms the automaton accepts, spelled out."""
    definite = word.startswith("ال") and len(word) > 3
    stems = [word] if definite else [word, "ال" + word]
    out = [c + p + s for c in _CONJUNCTIONS for p in _PREPOSITIONS for s in stems]
    out += [c + "لل" + word[2:] for c in _CONJUNCTIONS] if definite else []
    return [f for f in out if f != word]


def _phrase(text: str) -> str:
    return '"' + " ".join(text.replace('"', " ").split()) + '"'
