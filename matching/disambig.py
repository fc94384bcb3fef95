"""Is this mention of a watched place's name really about that place?

A watch on Aleppo, SY or Tadmur (Palmyra), SY fires on a mention of one of its aliases only when
the article does not point to ANOTHER place or thing of that name. For each mention, in order:

 1. Case: in scripts with capitals, a place name starts with one ("reading" is not Reading).
 2. Longer names: the mention must not sit inside a longer place name that is not an alias of
    the watched place: ``New Palmyra``, any ``New X``, gazetteer names such as ``New London``;
    nor be followed by a feature word (``Palmyra Atoll``, ``Palmyra Township``, ``... Lake``,
    ``... County``) or a non-place word (``Aleppo pepper``, ``Aleppo soap``, ``Aleppo pine``,
    ``Palmyra palm``, ``Washington Post``). Lists: ``FEATURE_WORDS``, ``NON_PLACE_WORDS``.
 3. Qualifier: ``Palmyra, N.Y.`` / ``Palmyra, New York`` / ``Palmyra, Pa.`` / ``Palmyra, Syria``:
    a country, US state, state abbreviation or ``US-XX`` right after a comma decides alone: it
    keeps the mention when it names the watched place's country (and state), else drops it.
 4. Evidence: every place that bears the same name (homonyms from the gazetteer: other cities,
    countries, US states; the 25 most populous; those within 50 km of the watched place are the
    same area and no rivals) is scored against the watched place with the names found anywhere
    in the article (title, summary, text), the watched place's own aliases excepted:
        3 points  each distinct name of a town within 50 km of the candidate (200 biggest),
        1 point   each of: its US state, a county of that state, one of its region's 5 biggest
                  cities, its country name or demonym (``Syria``, ``Syrian``), one of the
                  country's 5 biggest cities.
    Evidence names, like mentions, must be capitalised in the article ("economy" is not
    Economy, PA).
    A name is evidence only when it mainly denotes that place (its most populous bearer, not a
    country name: ``Geneva`` near Palmyra, NY is no evidence). The mention is dropped when some
    homonym scores at least ``MARGIN`` (2) points more than the watched place, so a country name
    alone ("the United States" near "Cairo") never outweighs it; with no evidence at all a
    mention counts (the user asked for that place).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, field

from matching.normalize import fold
from matching.places import Gazetteer, distance_km, english_words
from models import Place

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
    ]
)
NON_PLACE_WORDS = frozenset(
    [
        "pepper",
        "peppers",
        "high",  # Palmyra High (School)
        "school",
        "schools",
        "soap",
        "soaps",
        "pine",
        "pines",
        "palm",
        "palms",
        "oil",
        "button",
        "boil",
        "boils",
        "post",
        "times",
        "journal",
        "herald",
        "tribune",
        "gazette",
        "chronicle",
    ]
)
_AP_STATES = {
    "ala": "AL",
    "ariz": "AZ",
    "ark": "AR",
    "calif": "CA",
    "cal": "CA",
    "colo": "CO",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ga": "GA",
    "ill": "IL",
    "ind": "IN",
    "kan": "KS",
    "kans": "KS",
    "ky": "KY",
    "la": "LA",
    "md": "MD",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "mo": "MO",
    "mont": "MT",
    "neb": "NE",
    "nebr": "NE",
    "nev": "NV",
    "n h": "NH",
    "n j": "NJ",
    "n m": "NM",
    "n y": "NY",
    "n c": "NC",
    "n d": "ND",
    "okla": "OK",
    "ore": "OR",
    "pa": "PA",
    "penn": "PA",
    "r i": "RI",
    "s c": "SC",
    "s d": "SD",
    "tenn": "TN",
    "tex": "TX",
    "vt": "VT",
    "va": "VA",
    "wash": "WA",
    "w va": "WV",
    "wis": "WI",
    "wisc": "WI",
    "wyo": "WY",
    "d c": "DC",
}
_QUALIFIER = re.compile(r"\s*,\s*((?:[A-Z][\w.'-]*)(?:\s+[A-Z][\w.'-]*){0,2})")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w'-]*)")
LOCAL, REGION, COUNTRY = 3, 1, 1
LOCAL_KM = 50.0
MARGIN = 2
NEARBY_LIMIT = 200


@dataclass
class Candidate:
    place: Place
    evidence: dict[str, int] = field(default_factory=dict)  # folded name -> points (shared)


@dataclass
class AliasModel:
    """What is needed to judge mentions of one alias of one watched place."""

    watched: Candidate
    others: list[Candidate]
    blockers: frozenset[str]  # folded longer place names containing the alias
    own: frozenset[str] = frozenset()  # the watched place's aliases: never evidence


class Evidence:
    """Builds (and caches) evidence tables from the gazetteer at compile time."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gaz = gazetteer
        self._evidence: dict[int, dict[str, int]] = {}
        self._primary: dict[str, int | None] = {}
        self._own: dict[tuple[str, ...], frozenset[str]] = {}
        self.qualifiers = self._qualifier_table()

    def model(self, place: Place, alias: str, aliases: Iterable[str]) -> AliasModel:
        names = tuple(aliases)
        if names not in self._own:
            self._own[names] = frozenset(fold(a) for a in names)
        own = self._own[names]
        watched = Candidate(place, self.evidence_for(place))
        rivals = [h for h in self.gaz.homonyms(alias, place) if distance_km(h, place) > LOCAL_KM]
        others = [Candidate(h, self.evidence_for(h)) for h in rivals]
        blockers = frozenset(fold(n) for n in self.gaz.longer_names(alias)) - own
        return AliasModel(watched, others, blockers, own)

    def evidence_for(self, place: Place) -> dict[str, int]:
        if place.geonameid not in self._evidence:
            self._evidence[place.geonameid] = self._build(place)
        return self._evidence[place.geonameid]

    def _build(self, place: Place) -> dict[str, int]:
        gaz, ev = self.gaz, {}
        country = gaz.country_name(place.country_code)
        for name in [country, *_demonyms(country)]:
            ev[fold(name)] = COUNTRY
        for p in gaz.top_of_country(place.country_code, 5):
            self._add(ev, p, COUNTRY)
        if place.country_code == "US" and place.admin1:
            ev[fold(gaz.state_name(place.admin1))] = REGION
            ev.update({fold(c): REGION for c in gaz.counties(place.admin1)})
        if gaz.kind(place) == "city":
            for p in gaz.top_of_region(place, 5):
                self._add(ev, p, REGION)
            for p in gaz.nearby(place, LOCAL_KM)[:NEARBY_LIMIT]:
                self._add(ev, p, LOCAL)
        ev.pop("", None)
        for name in [place.name, *gaz.aliases(place)]:
            ev.pop(fold(name), None)
        return ev

    def _add(self, ev: dict[str, int], p: Place, points: int) -> None:
        key = fold(p.name)
        if len(key) > 3 and key not in english_words() and self._primary_of(key) == p.geonameid:
            ev[key] = max(points, ev.get(key, 0))

    def _primary_of(self, key: str) -> int | None:
        if key not in self._primary:
            bearers = self.gaz.by_name(key)
            top = bearers[0] if bearers else None
            ok = top is not None and self.gaz.kind(top) == "city"
            self._primary[key] = top.geonameid if ok and top else None
        return self._primary[key]

    def _qualifier_table(self) -> dict[str, tuple[str, str | None]]:
        table: dict[str, tuple[str, str | None]] = {}
        for cc, name in self.gaz.countries().items():
            table[fold(name)] = (cc, None)
        for code, name in self.gaz.states().items():
            table[fold(name)] = ("US", code)
        table.update({k: ("US", v) for k, v in _AP_STATES.items()})
        table.update({"u s": ("US", None), "usa": ("US", None), "uk": ("GB", None)})
        return table


def _demonyms(country: str) -> list[str]:
    """A rule, not a table: Syria -> Syrian, Russia -> Russian (names ending in -a)."""
    return [country + "n"] if country.endswith("a") and " " not in country else []


def qualifier_after(
    text: str, end: int, table: dict[str, tuple[str, str | None]]
) -> tuple[str, str | None] | None:
    """(country, state) named right after a mention: ``Palmyra, N.Y.`` -> ("US", "NY")."""
    m = _QUALIFIER.match(text, end)
    if not m:
        return None
    raw = m.group(1)
    if re.fullmatch(r"[A-Z]{2}", raw) and raw != "US":
        return ("US", raw) if ("US", raw) in table.values() else None
    words = fold(raw).split(" ")
    for n in range(len(words), 0, -1):
        hit = table.get(" ".join(words[:n]))
        if hit:
            return hit
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
    return key in NON_PLACE_WORDS or (word[0].isupper() and key in FEATURE_WORDS)


def capitalised(mention: str) -> bool:
    """Rule 1: a mention in a cased script starts with a capital letter."""
    first = next((c for c in mention if c.isalpha()), "")
    return not first or first.lower() == first.upper() or first.isupper()


def score(candidate: Candidate, found: Set[str]) -> int:
    """Points of the names found (the watched place's own aliases already left out)."""
    evidence = candidate.evidence
    return sum(evidence.get(key, 0) for key in found)


def evidence_wins_elsewhere(model: AliasModel, found: Set[str]) -> bool:
    """Rule 4: some homonym's evidence outweighs the watched place's."""
    if not found:
        return False
    found = found - model.own
    mine = score(model.watched, found)
    return any(score(o, found) >= mine + MARGIN for o in model.others)


def rival_explained(model: AliasModel, found: Set[str]) -> str:
    """Rule 4 in words: which other place won, on which names found in the article."""
    found = found - model.own
    best = max(model.others, key=lambda o: score(o, found))
    names = sorted(k for k in found if best.evidence.get(k))[:4]
    return f"{best.place.label}: the article also names {', '.join(n.title() for n in names)}"


def qualifier_keeps(q: tuple[str, str | None], place: Place) -> bool:
    cc, admin1 = q
    return cc == place.country_code and (admin1 is None or admin1 == place.admin1)
