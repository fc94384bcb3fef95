"""A place's name used as a person's: "Paris Hilton", "Jack London", "Sen. Warren".

A mention is a person's name (no place) when, in the article's own casing:
 1. a title stands right before it: "Sen. Warren", "Coach Jackson", "President Lincoln",
    "Mayor London Breed" (``TITLES``, a closed class of honorifics and offices);
 2. a given name stands right before it, with or without a middle initial: "Jack London",
    "Denzel Washington", "John F. Kennedy" (the given name is no place of note itself, so
    "Austin Texas" and "Paris Texas" stay places);
 3. it is a given name itself, written as one ("Paris", not the dateline "PARIS"), and a
    surname follows it: "Paris Hilton", "Jordan Peterson", "Sydney Sweeney" (not "Paris
    Police", "Jordan River", "Georgia Tech", "London Bridge", "LONDON Pope Francis": a surname
    here is no title, no English word and no word that names a place's part or institution).
Given names and surnames are Faker's English-language lists (en, en_US, en_GB, en_IE,
en_CA, en_AU, en_NZ), read once; organisations named after a place ("Georgia Tech", "Washington
Post") are handled as places or institutions elsewhere (``matching.mentions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from matching.normalize import fold

TITLES = frozenset(
    ["mr", "mrs", "ms", "miss", "dr", "sen", "senator", "rep", "gov", "governor", "lt", "sgt"]
    + ["capt", "col", "gen", "maj", "det", "cpl", "pvt", "prof", "rev", "fr", "sir", "dame"]
    + ["lord", "lady", "president", "coach", "judge", "justice", "sheriff", "officer"]
    + ["deputy", "detective", "sergeant", "captain", "mayor", "councilman", "councilwoman"]
    + ["councillor", "alderman", "commissioner", "trooper", "pastor", "father", "actor"]
    + ["actress", "singer", "quarterback", "pitcher", "coordinator", "superintendent"]
    + ["pope", "king", "queen", "prince", "princess", "bishop", "cardinal", "rabbi", "imam"]
)
# words after a place's name that make a name of the place, not of a person ("Paris City",
# "Aberdeen Harbour"): feature and institution words are in matching.mentions
_PLACE_PARTS = frozenset(
    ["city", "town", "hall", "hill", "park", "green", "street", "bridge", "church", "port"]
    + ["police", "council", "county", "state", "university", "college", "airport", "station"]
    + ["harbour", "harbor", "mayor", "north", "south", "east", "west", "central", "junior"]
)
_LOCALES = ("en", "en_US", "en_GB", "en_IE", "en_CA", "en_AU", "en_NZ")
_BEFORE = re.compile(r"(?:^|(?<=[\s\"'(“‘]))([A-Z][\w'-]*)(\.)?[ \t]+(?:([A-Z])\.[ \t]+)?$")
_AFTER = re.compile(r"[ \t]+([A-Z][a-z][\w'-]*)")


def person(
    text: str, start: int, end: int, notable: Callable[[str], bool] = lambda key: False
) -> str | None:
    """Why the mention ``text[start:end]`` is a person's name (rules 1-3), or None;
    ``notable``: is this folded name a place of note (a region, a country, a big city)?"""
    before = _BEFORE.search(text, max(0, start - 40), start)
    if before:
        word, initial = before.group(1), before.group(3)
        key = fold(word)
        if key in TITLES and not initial:
            return f"a person's name: the title {word!r} before it"
        given = key in given_names() and key not in _PLACE_PARTS and not before.group(2)
        if given and not notable(key):
            return f"a person's name: the given name {word!r} before it"
    after = _AFTER.match(text, end)
    written = text[start:end]
    if after and written.istitle() and fold(written) in given_names():  # not "LONDON Pope"
        key = fold(after.group(1))
        if key in surnames() and key not in TITLES and not _place_word(key):
            return f"a person's name: the surname {after.group(1)!r} after it"
    return None


def _place_word(key: str) -> bool:
    from matching.mentions import FEATURE_WORDS, INSTITUTION_WORDS
    from matching.places import english_words

    parts = _PLACE_PARTS | FEATURE_WORDS | INSTITUTION_WORDS
    return key in parts or key.rstrip("s") in parts or key in english_words()


@cache
def given_names() -> frozenset[str]:
    """Folded English given names (Faker's lists)."""
    names: set[str] = set()
    for provider in _providers():
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names.update(fold(n) for n in getattr(provider, attr, ()) or ())
    return frozenset(names)


@cache
def surnames() -> frozenset[str]:
    out: set[str] = set()
    for provider in _providers():
        out.update(fold(n) for n in getattr(provider, "last_names", ()) or ())
    return frozenset(out)


def _providers() -> list[type]:
    import importlib

    out = []
    for loc in _LOCALES:
        try:
            out.append(importlib.import_module(f"faker.providers.person.{loc}").Provider)
        except ModuleNotFoundError:
            continue
    return out
