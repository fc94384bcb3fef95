"""The annotated corpora of ``../shared/corpora/geo-dev`` as documents with tagged mentions,
and the map from a tagged mention to a gazetteer town (``Resolver``): by its GeoNames id, or
else by its name (before a comma: "Washington, D.C.") among the towns within 20 km of its
coordinates; GeoWebNews names embedded in an organisation's ("The Washington Post") are no
mention of the place (``NOT_MENTIONS``); a mention tagged as a state
or country (its id, or for GeoVirus its Wikipedia page) is no town.

Loaders: GeoWebNews (``load_gwn``), GeoVirus (``load_geovirus``), TUD-Loc-2013 (``load_tud``:
inline ``<CITY>..</CITY>`` tags, coordinates and ids in ``coordinates.csv`` by running index).
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from matching.places import Gazetteer, haversine
from models import Place

RADIUS_KM = 20.0
# GeoWebNews types that are no mention of the place: a place name inside an organisation's
# ("Washington" in "The Washington Post", "UCLA"); a place watch must not fire on them
NOT_MENTIONS = frozenset(["Embedded_Non_Lit"])
_TAG = re.compile(r"<(\w+)(?:\s[^>]*)?>(.*?)</\w+>", re.S)


@dataclass
class Mention:
    name: str
    gid: int | None
    lat: float
    lon: float
    page: str = ""  # GeoVirus: the Wikipedia page it links to


@dataclass
class Doc:
    key: str
    title: str
    text: str
    mentions: list[Mention] = field(default_factory=list)
    home: dict[str, float] = field(default_factory=dict)  # the feed's home regions


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def load_gwn(path: Path) -> list[Doc]:
    docs = []
    for i, a in enumerate(ET.parse(path).getroot().iter("article")):
        doc = Doc(f"gwn-{i}", a.findtext("title") or "", a.findtext("text") or "")
        for t in a.iter("toponym"):
            lat, lon = _float(t.findtext("latitude")), _float(t.findtext("longitude"))
            if lat is None or lon is None or t.findtext("type") in NOT_MENTIONS:
                continue
            gid = t.findtext("geonamesID") or ""
            doc.mentions.append(
                Mention(
                    t.findtext("extractedName") or "", int(gid) if gid.isdigit() else None, lat, lon
                )
            )
        docs.append(doc)
    return docs


def load_geovirus(path: Path) -> list[Doc]:
    docs = []
    for i, a in enumerate(ET.parse(path).getroot().iter("article")):
        doc = Doc(f"geovirus-{i}", "", a.findtext("text") or "")
        for loc in a.iter("location"):
            lat, lon = _float(loc.findtext("lat")), _float(loc.findtext("lon"))
            if lat is not None and lon is not None:
                page = loc.findtext("page") or ""
                doc.mentions.append(Mention(loc.findtext("name") or "", None, lat, lon, page))
        docs.append(doc)
    return docs


class Resolver:
    """Tagged mention -> gazetteer city (by id, else by name near the coordinates)."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.cache: dict[tuple, Place | None] = {}

    def __call__(self, m: Mention) -> Place | None:
        key = (m.name, m.gid, round(m.lat, 2), round(m.lon, 2))
        if key not in self.cache:
            self.cache[key] = self._resolve(m)
        return self.cache[key]

    def _resolve(self, m: Mention) -> Place | None:
        if m.gid is None and self._not_a_town(m.page):
            return None  # "Maryland", "New York" tagged as the state (its Wikipedia page)
        if m.gid is not None:
            place = self.gaz.get(m.gid)
            kind = self.gaz.kind(place) if place is not None else ""
            if kind == "city":
                return place
            if kind == "country":
                return None
            # a US state: a town only when a town of its name lies at its coordinates (the
            # District of Columbia is Washington; New York state's point is no town's)
        name = m.name.partition(",")[0]  # "Washington, D.C." tagged as the District
        near = [
            p
            for p in self.gaz.by_name(name)
            if haversine(p.latitude, p.longitude, m.lat, m.lon) <= RADIUS_KM
        ]
        near = [p for p in near if self.gaz.kind(p) == "city"]
        return near[0] if near else None

    def _not_a_town(self, page: str) -> bool:
        title = unquote(page.rsplit("/", 1)[-1]).replace("_", " ")
        if not title:
            return False
        if title.endswith(("(state)", "(U.S. state)", "(country)")):
            return True
        return any(self.gaz.kind(p) != "city" for p in self.gaz.by_name(title, main_only=True))


def load_tud(folder: Path) -> list[Doc]:
    """TUD-Loc-2013: every text of ``0-all`` with its tags and their coordinates/ids."""
    coords: dict[tuple[str, int], tuple[str, str, str]] = {}
    with open(folder / "0-all" / "coordinates.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            key = (row["docId"], int(row["idx"]))
            coords[key] = (row["latitude"], row["longitude"], row["sourceId"])
    docs = []
    for path in sorted((folder / "0-all").glob("text*.txt")):
        raw = path.read_text(encoding="utf-8")
        text = _TAG.sub(lambda m: m.group(2), raw)
        title, _, body = text.partition("\n")
        doc = Doc(f"tud-{path.stem}", title.strip(), body)
        for idx, m in enumerate(_TAG.finditer(raw)):
            lat, lon, source = coords.get((path.name, idx), ("", "", ""))
            la, lo = _float(lat), _float(lon)
            if la is None or lo is None:
                continue
            gid = source.split(":", 1)[1] if source.startswith("geonames:") else ""
            doc.mentions.append(Mention(m.group(2), int(gid) if gid.isdigit() else None, la, lo))
        docs.append(doc)
    return docs


def truth_sets(docs: list[Doc], resolve: Resolver) -> dict[int, set[str]]:
    truth: dict[int, set[str]] = defaultdict(set)
    for doc in docs:
        for m in doc.mentions:
            place = resolve(m)
            if place is not None:
                truth[place.geonameid].add(doc.key)
    return truth
