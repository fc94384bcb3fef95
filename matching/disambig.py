"""Qualifiers, names written as regions, and the evidence tables resolution weighs
(``matching.resolve`` picks one referent per name from them; ``matching.mentions`` says which
mentions are places at all; a mention inside a longer place name that is not an alias of the
same place, ``New London``, is set aside by ``matching.rules``).

A qualifier right after a mention (``Palmyra, N.Y.``, ``Paris, Tenn.``, ``Paris (Ky.)``,
``Ipswich, Queensland``, ``Palmyra, Syria``: a country name in many languages, a first-level
region of any country, a US state abbreviation, AP style or postal, ``US-XX``) is read by
``qualifier_after``.

Evidence tables (``Evidence.evidence_for``): for a place, the folded names that point to it and
their points, from the gazetteer: towns within 50 km (LOCAL, 200 biggest), its first-level region
and its aliases (REGION), its county / second-level division (COUNTY), the other counties of
its US state (STATE_COUNTY), its region's 5 biggest cities (REGION_CITY), its country's names
in many languages and demonyms (COUNTRY), its country's 5 biggest cities (COUNTRY_CITY). Towns
count under a name they mainly bear (their most populous bearer), or (LOCAL_NAMESAKE) one no
place of BIG_CITY people, region or country bears ("Macedon" near Palmyra, NY: its main bearer
is a village in Australia), never under English words. Evidence names, like mentions, must be
capitalised in the article, never written in lower case in it too ("economy" makes Economy no
evidence), and not glued to another capitalised word ("European Union", "Boston Globe":
``matching.mentions.glued``).
"""

from __future__ import annotations

import re

from matching import resolve
from matching.normalize import fold
from matching.places import Gazetteer, english_words
from models import Place

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
# Canadian and Australian press abbreviations ("London, Ont.", "Ipswich, Qld"), GeoNames codes
_PRESS_PROVINCES: dict[str, tuple[str, str | None]] = {
    "alta": ("CA", "01"),
    "b c": ("CA", "02"),
    "man": ("CA", "03"),
    "n b": ("CA", "04"),
    "nfld": ("CA", "05"),
    "n l": ("CA", "05"),
    "n s": ("CA", "07"),
    "ont": ("CA", "08"),
    "p e i": ("CA", "09"),
    "que": ("CA", "10"),
    "sask": ("CA", "11"),
    "n s w": ("AU", "02"),
    "nsw": ("AU", "02"),
    "qld": ("AU", "04"),
    "tas": ("AU", "06"),
    "vic": ("AU", "07"),
}
_QUALIFIER = re.compile(r"\s*[,(]\s*((?:[^\W\d_][\w.'-]*)(?:\s+[^\W\d_][\w.'-]*){0,2})")
# (points, class): classes "region" and "country" are capped per candidate (resolve.CAPS)
Points = tuple[float, str]
LOCAL: Points = (3, "local")
LOCAL_NAMESAKE: Points = (2, "local")  # a neighbour whose name a bigger place elsewhere bears
COUNTY: Points = (3, "local")
REGION, REGION_WEAK, REGION_CITY, STATE_COUNTY = (
    (4, "region"),
    (1, "region"),
    (2, "region"),
    (1, "region"),
)
COUNTRY, COUNTRY_CITY = (1.5, "country"), (1, "country")
BIG_CITY, BIG_SHARE = 100_000, 0.1  # a region named like a city this big ("New York") and
# with a tenth of the region's people is weak evidence for the region
LOCAL_KM = 50.0
NEARBY_LIMIT = 200


class Evidence:
    """Builds (and caches) evidence tables and name models from the gazetteer at compile time."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gaz = gazetteer
        self._evidence: dict[int, dict[str, tuple[float, str]]] = {}
        self._primary: dict[str, int | None] = {}
        self._small: dict[str, bool] = {}
        self._notable: dict[str, bool] = {}
        self.qualifiers = self._qualifier_table()

    def name_model(self, key: str) -> resolve.NameModel:
        """Every gazetteer entry bearing the folded name, the most prominent first."""
        cands = []
        for place, kind, alts, main in self.gaz.bearers(key)[: resolve.MAX_CANDIDATES]:
            cands.append(self.candidate(place, kind, alts, main))
        cands.sort(key=lambda c: -c.prior)
        cands = _without_faded_names(cands)
        _split_with_region(cands)
        blockers = frozenset(fold(n) for n in self.gaz.longer_names(key))
        return resolve.NameModel(key, cands, blockers)

    def candidate(
        self, place: Place, kind: str = "", alts: int = 0, main: bool = True
    ) -> resolve.Candidate:
        kind = kind or self.gaz.kind(place)
        prior = resolve.prior(place.population, alts, main=main, kind=kind)
        return resolve.Candidate(place, prior, self.evidence_for(place, kind), kind, main)

    def evidence_for(self, place: Place, kind: str = "") -> dict[str, tuple[float, str]]:
        if place.geonameid not in self._evidence:
            self._evidence[place.geonameid] = self._build(place, kind or self.gaz.kind(place))
        return self._evidence[place.geonameid]

    def _build(self, place: Place, kind: str) -> dict[str, tuple[float, str]]:
        gaz = self.gaz
        ev: dict[str, tuple[float, str]] = {}
        for p in gaz.top_of_country(place.country_code, 5, primary=True):
            self._add(ev, p, COUNTRY_CITY)
        if place.country_code == "US" and place.admin1:
            ev.update({fold(c): STATE_COUNTY for c in gaz.counties(place.admin1)})
        if kind != "country":
            for p in gaz.top_of_region(place, 10 if kind == "state" else 5, primary=True):
                self._add(ev, p, REGION_CITY)
        if kind == "city":
            top = {p.geonameid for p in gaz.nearby(place, LOCAL_KM, primary=True)}
            for p in gaz.nearby(place, LOCAL_KM)[:NEARBY_LIMIT]:
                if p.geonameid in top:
                    self._add(ev, p, LOCAL)
                elif self._small_name(fold(p.name)):
                    self._add(ev, p, LOCAL_NAMESAKE)
            for k in gaz.division_keys(place):
                if len(k) > 3:
                    ev[k] = REGION_WEAK if self._big_city(k, place) else COUNTY
        if place.admin1 and kind != "country":
            for k in gaz.region_keys(place.country_code, place.admin1):
                ev[k] = REGION_WEAK if self._big_city(k, place) else REGION
        ev.update({k: COUNTRY for k in gaz.country_keys(place.country_code)})
        ev.pop("", None)
        for key in [fold(place.name), *gaz.own_keys(place)]:
            ev.pop(key, None)
        return ev

    def _add(self, ev: dict[str, tuple[float, str]], p: Place, points: tuple[float, str]) -> None:
        key = fold(p.name)
        if len(key) > 3 and key not in english_words():
            ev[key] = max(points, ev.get(key, (0.0, "")))

    def _big_city(self, key: str, within: Place) -> bool:
        """Is the region's name mainly a city's, one big beside the region (``new york``,
        ``washington``; not ``ontario``: Ontario, CA is small beside the province)?"""
        top = self._primary_of(key)
        city = self.gaz.get(top) if top is not None else None
        if city is None or city.population < BIG_CITY:
            return False
        people = self.gaz.region_population(within.country_code, within.admin1)
        return city.population >= BIG_SHARE * people

    def notable(self, key: str) -> bool:
        """Is the folded name a region's, a country's or a big city's main name? ("Austin"
        before "Texas" is the city, not a given name: ``matching.persons``)."""
        if key not in self._notable:
            top = self.gaz.by_name(key, main_only=True)
            big = bool(top) and top[0].population >= BIG_CITY
            self._notable[key] = key in self.qualifiers or big
        return self._notable[key]

    def _small_name(self, key: str) -> bool:
        """Does no big place bear the name (no region, country or city of BIG_CITY people),
        and has it no common English word ("Old City" near Palmyra, NJ)? A small town's
        neighbour named like it ("Macedon" near Palmyra, NY) speaks for it; "California",
        "Houston" and "Boston" near Washington, PA do not."""
        if key not in self._small:
            bearers = self.gaz.by_name(key)
            top = bearers[0] if bearers else None
            self._small[key] = (
                top is not None
                and key not in self.qualifiers  # a region's or country's name
                and not english_words().intersection(key.split())  # "Old City", "Center City"
                and self.gaz.kind(top) == "city"
                and top.population < BIG_CITY
            )
        return self._small[key]

    def _primary_of(self, key: str) -> int | None:
        if key not in self._primary:
            bearers = self.gaz.by_name(key)
            top = bearers[0] if bearers else None
            ok = top is not None and self.gaz.kind(top) == "city"
            self._primary[key] = top.geonameid if ok and top else None
        return self._primary[key]

    def _qualifier_table(self) -> dict[str, tuple[str, str | None]]:
        table: dict[str, tuple[str, str | None]] = {}
        for key, cc, admin1 in self.gaz.qualifier_names():
            if key not in english_words():
                table.setdefault(key, (cc, admin1))
        for cc, name in self.gaz.countries().items():
            table[fold(name)] = (cc, None)
        for code, name in self.gaz.states().items():
            table[fold(name)] = ("US", code)
        table.update({k: ("US", v) for k, v in _AP_STATES.items()})
        table.update(_PRESS_PROVINCES)
        table.update({"u s": ("US", None), "usa": ("US", None), "uk": ("GB", None)})
        return table


def _without_faded_names(cands: list[resolve.Candidate]) -> list[resolve.Candidate]:
    """A place that bears the name only as an alternate one (a former or foreign name) is a
    candidate only when it is more prominent than every place whose main name it is:
    Tadmur for "Palmyra" (Palmyra, NJ is smaller), not the towns once called "Washington"."""
    mains = [c.prior - resolve.MAIN_BONUS for c in cands if c.main]
    best = max(mains, default=float("-inf"))
    return [c for c in cands if c.main or c.prior > best]


def _split_with_region(cands: list[resolve.Candidate]) -> None:
    """A city named like its own region ("New York": the city and the state) competes with
    it: the region's other cities and names speak for the region, only its own
    neighbourhood for the city."""
    regions = {(c.place.country_code, c.place.admin1): c for c in cands if c.kind == "state"}
    for c in cands:
        region = regions.get((c.place.country_code, c.place.admin1))
        if c.kind == "city" and region is not None:
            c.evidence = {k: v for k, v in c.evidence.items() if v[1] != "region"}


def qualifier_after(
    text: str, end: int, table: dict[str, tuple[str, str | None]]
) -> tuple[str, str | None] | None:
    """(country, state) named right after a mention: ``Palmyra, N.Y.`` -> ("US", "NY")."""
    m = _QUALIFIER.match(text, end)
    if not m:
        return None
    raw = m.group(1)
    if raw[0].islower():  # "Paris, which ...": no qualifier (caseless scripts pass)
        return None
    first = raw.split()[0]
    if re.fullmatch(r"[A-Z]{2}", first) and first != "US":  # a postal code: "Paris, TX 75460"
        return ("US", first) if ("US", first) in table.values() else None
    words = fold(raw).split(" ")
    for n in range(len(words), 0, -1):
        hit = table.get(" ".join(words[:n]))
        if hit:
            return hit
    return None


_NAME = r"[^\W\d_][\w.'-]*(?:[ \t]+[^\W\d_][\w.'-]*){0,2}"
_ITEM_BEFORE = re.compile(
    rf"(?<![\w.'-])({_NAME})(,[ \t]*(?:and[ \t]+|or[ \t]+)?|[ \t]+(?:and|or)[ \t]+)$"
)
_ITEM_AFTER = re.compile(rf"(,[ \t]*(?:and[ \t]+|or[ \t]+)?|[ \t]+(?:and|or)[ \t]+)({_NAME})")
_STATE_WORD = re.compile(r"[ \t]+state\b", re.IGNORECASE)
_STATE_BEFORE = re.compile(r"(?:\bstate[ \t]+of[ \t]+(?:the[ \t]+)?|ولاية[ \t]+)$", re.IGNORECASE)


def names_a_region(
    text: str, start: int, end: int, table: dict[str, tuple[str, str | None]]
) -> str:
    """How this mention of a region's name (``table``: qualifier names) is written as the
    region, or "": "state" ("Washington state"; any name: "the state of New York", "ولاية
    نيويورك"), "qualifier" (of the town before it: "Tacoma, Washington shares ..."; not in a list of towns: "Boston, New York and Chicago") or "list"
    (next to a US state in a list, and no town: "Michigan, New York, Indiana"; "New Jersey and
    New York"; not "Washington, New York and Boston")."""
    if _STATE_BEFORE.search(text, max(0, start - 16), start):
        return "state"
    if fold(text[start:end]) not in table:
        return ""
    if _STATE_WORD.match(text, end):
        return "state"
    before = _ITEM_BEFORE.search(text, max(0, start - 60), start)
    after = _ITEM_AFTER.match(text, end)
    prev = _listed(before.group(1), table, last=True) if before else None
    nxt = _listed(after.group(2), table, last=False) if after else None
    if "state" in (prev, nxt) and "name" not in (prev, nxt):
        return "list"
    comma = bool(before and before.group(2).strip() == ",")
    return "qualifier" if comma and prev == "name" and nxt is None else ""


def item_before(text: str, start: int) -> str:
    """The folded last word of the capitalised name right before a mention and a comma
    ("brooklyn" for "Brooklyn, New York"), or ""."""
    before = _ITEM_BEFORE.search(text, max(0, start - 60), start)
    return fold(before.group(1).split()[-1]) if before else ""


def _listed(words: str, table: dict[str, tuple[str, str | None]], *, last: bool) -> str | None:
    """A neighbouring list item: "state" (a US state), "region" (another qualifier name),
    "name" (another capitalised name) or None (a lower-case or common word)."""
    parts = words.split()[-3:] if last else words.split()
    cuts = [parts[i:] if last else parts[: len(parts) - i] for i in range(len(parts))]
    for cut in cuts:
        hit = table.get(fold(" ".join(cut)))
        if hit:
            return "state" if hit[0] == "US" and hit[1] else "region"
    first = parts[-1] if last else parts[0]
    if not first[0].isupper() or fold(first) in english_words():
        return None
    return "name"
