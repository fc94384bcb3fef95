"""Which mentions of a place name are places at all: the shape of the text around a
mention, no gazetteer look-up (``matching.rules`` sets such mentions aside before resolution).

 1. Case: in scripts with capitals, it starts with one ("reading" is not Reading), and a name
    of several words has no later word in lower case but a particle ("Perth city hall" is not
    the alias "Perth City"; "Kingston upon Thames" is a name).
 2. Neighbours: ``New X``; followed by a feature word (``Palmyra Atoll``, ``... Township``,
    ``... Lake``, ``... County``), a capitalised institution word (``Palmyra High School``,
    ``Washington Post``; not "Birmingham schools") or a thing named after a place (``Aleppo
    pepper``, ``Palmyra palm``).
 3. People (``matching.persons``): a title before it ("Sen. Warren", "Coach Jackson"), a given
    name before it ("Jack London", "John F. Kennedy"), or a given name followed by a surname
    ("Paris Hilton", "Jordan Peterson").
Evidence names are not glued to another capitalised word ("European Union": ``glued``).
"""

from __future__ import annotations

import re

from matching.normalize import fold
from matching.places import english_words

FEATURE_WORDS = frozenset(
    [
        "atoll",
        "township",
        "twp",
        "island",
        "islands",
        "isle",
        "county",
        "lake",
        "river",
        "creek",
        "bay",
        "beach",
        "street",
        "st",
        "road",
        "rd",
        "avenue",
        "ave",
        "boulevard",
        "blvd",
        "park",
        "mountain",
        "mountains",
        "valley",
        "springs",
        "heights",
        "falls",
        "hills",
        "village",
        "borough",
        "parish",
        "reef",
        "canyon",
        # streets: "Dover Drive", "Lincoln Highway", "Paris Pike"
        "drive",
        "lane",
        "circle",
        "terrace",
        "highway",
        "hwy",
        "pike",
        "parkway",
        "pkwy",
        "trail",
        "plaza",
        "square",
        "crescent",
        "grove",
        "gardens",
    ]
)
NON_PLACE_WORDS = frozenset(  # things named after a place: "Aleppo pepper", "Palmyra palm"
    ["pepper", "peppers", "soap", "soaps", "pine", "pines", "palm", "palms", "button"]
    + ["boil", "boils"]
)
INSTITUTION_WORDS = frozenset(  # capitalised, a name: "Palmyra High School", "Washington Post"
    ["high", "school", "schools", "post", "times", "journal", "herald", "tribune", "gazette"]
    + ["chronicle", "elementary", "middle", "academy", "hospital", "church", "cemetery"]
    + ["library", "hotel", "theatre", "theater", "stadium", "arena", "mall", "inc", "corp"]
    # newspapers, which local news quotes: "the Paris Post-Intelligencer", "Dover Post"
    + ["news", "courier", "register", "observer", "star", "daily", "press"]
    + ["telegraph", "examiner", "sentinel", "globe", "bulletin", "dispatch", "enterprise"]
    + ["democrat", "republican", "advocate", "advertiser", "intelligencer", "recorder"]
)

_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w'-]*)")
# a world event named after its city: "Paris Olympics", "the Paris Agreement", "London
# Marathon": the best known place of the name is meant (matching.resolve.FAME_MARK)
WORLD_EVENTS = frozenset(
    ["olympics", "olympic", "paralympics", "paralympic", "games", "agreement", "accord"]
    + ["accords", "summit", "treaty", "convention", "protocol", "marathon", "expo"]
    + ["peace", "climate", "fashion", "motor", "biennale", "declaration", "communique"]
)


def world_event_after(text: str, end: int) -> bool:
    """Is the mention followed by a capitalised world event word ("Paris Olympics")?"""
    m = _NEXT_WORD.match(text, end)
    return m is not None and m.group(1)[0].isupper() and fold(m.group(1)) in WORLD_EVENTS


def no_place(text: str, start: int, end: int) -> str | None:
    """Why the mention ``text[start:end]`` is no place at all (rules 1-2), or None."""
    written = text[start:end]
    if not capitalised(written):
        return "not capitalised: a word, not a name"
    if not cased_as_name(written):
        return "a later word in lower case: not this name"
    if blocked_by_neighbours(text, start, end):
        return "next to a word that makes it something else (New ..., ... pepper, ... Atoll)"
    return None


def blocked_by_neighbours(text: str, start: int, end: int) -> bool:
    """Rule 2's word lists and ``New X``: the mention is part of another name or a thing."""
    before = text[max(0, start - 4) : start]
    if before == "New " or before.endswith("New-"):
        return True
    m = _NEXT_WORD.match(text, end)
    if not m:
        return False
    word = m.group(1)
    key = fold(word).split(" ")[0]
    named = word[0].isupper() and (key in FEATURE_WORDS or key in INSTITUTION_WORDS)
    return key in NON_PLACE_WORDS or named


_PREV_WORD = re.compile(r"([^\W\d_][\w'-]*) $")


def glued(text: str, start: int, end: int) -> bool:
    """Evidence names only: a capitalised word right before or after (one space apart) makes
    the name part of another one: "European Union", "Boston Globe", "Union Pacific"."""
    m = _NEXT_WORD.match(text, end)
    if m and m.group(0).startswith(" ") and m.group(1)[0].isupper():
        return True
    prev = _PREV_WORD.search(text, max(0, start - 40), start)
    word = prev.group(1) if prev else ""
    return bool(word) and word[0].isupper() and fold(word) not in english_words()


def capitalised(mention: str) -> bool:
    """Rule 1: a mention in a cased script starts with a capital letter."""
    first = next((c for c in mention if c.isalpha()), "")
    return not first or first.lower() == first.upper() or first.isupper()


_PARTICLES = frozenset(
    [
        "upon",
        "under",
        "on",
        "in",
        "im",
        "am",
        "an",
        "aan",
        "sur",
        "sous",
        "les",
        "des",
        "del",
        "della",
        "delle",
        "der",
        "den",
        "de",
        "du",
        "di",
        "da",
        "la",
        "le",
        "of",
        "the",
        "and",
        "by",
        "en",
        "et",
        "y",
        "al",
        "el",
        "au",
        "aux",
    ]
)


def cased_as_name(mention: str) -> bool:
    """Rule 1 for names of several words: no later word in lower case but a particle
    ("Perth city hall" is not the alias "Perth City"; "Kingston upon Thames" is a name)."""
    words = re.split(r"[\s-]+", mention)[1:]
    return all(not w[:1].islower() or w in _PARTICLES for w in words)
