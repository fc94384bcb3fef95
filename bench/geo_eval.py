"""Place-watch accuracy on GeoWebNews and GeoVirus: ``.venv/bin/python -m bench.geo_eval``.

For every town or city tagged in 3+ articles (a tagged mention resolves to a gazetteer city by its
GeoNames id, or else by its name among the cities within 20 km of its coordinates), a watch on
``geonames:ID`` is compiled and run over every article (title + text). Truth for place P: the
articles where some tagged mention resolves to P. Baseline: a case-insensitive whole-word match of
P's main name. Prints a table and writes bench/results/geo_eval.json. Exits 0 when the corpus
(../shared/corpora/geo-dev) is absent.
"""

from __future__ import annotations

import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import GEO_DEV  # noqa: E402
from matching.compiler import compile_rules  # noqa: E402
from matching.places import Gazetteer, haversine  # noqa: E402
from models import Article, Place  # noqa: E402
from settings import WatchSettings  # noqa: E402

CORPUS = GEO_DEV
RESULTS = ROOT / "bench" / "results" / "geo_eval.json"
RADIUS_KM = 20.0
MIN_ARTICLES = 3


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
            if lat is None or lon is None:
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
            if place is not None:
                return place if self.gaz.kind(place) == "city" else None
        near = [
            p
            for p in self.gaz.by_name(m.name)
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


def truth_sets(docs: list[Doc], resolve: Resolver) -> dict[int, set[str]]:
    truth: dict[int, set[str]] = defaultdict(set)
    for doc in docs:
        for m in doc.mentions:
            place = resolve(m)
            if place is not None:
                truth[place.geonameid].add(doc.key)
    return truth


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def run_ours(docs: list[Doc], places: list[Place]) -> tuple[dict[int, set[str]], float]:
    watches = [
        WatchSettings(name=str(p.geonameid), locations=[f"geonames:{p.geonameid}"]) for p in places
    ]
    t0 = time.perf_counter()
    rules = compile_rules(watches)
    fired: dict[int, set[str]] = defaultdict(set)
    when = datetime(2020, 1, 1, tzinfo=UTC)
    t1 = time.perf_counter()
    for doc in docs:
        for m in rules.match(Article(0, doc.key, doc.title, "", doc.text, when, "geo")):
            fired[int(m.watch)].add(doc.key)
    t2 = time.perf_counter()
    print(
        f"compile {len(watches)} watches: {t1 - t0:.2f}s; match {len(docs)} articles: {(t2 - t1) * 1000 / len(docs):.2f} ms/article"
    )
    return fired, t2 - t1


def run_baseline(docs: list[Doc], places: list[Place]) -> dict[int, set[str]]:
    fired: dict[int, set[str]] = defaultdict(set)
    for p in places:
        pattern = re.compile(rf"\b{re.escape(p.name)}\b", re.IGNORECASE)
        for doc in docs:
            if pattern.search(doc.title) or pattern.search(doc.text):
                fired[p.geonameid].add(doc.key)
    return fired


def score(
    places: list[Place], truth: dict[int, set[str]], fired: dict[int, set[str]]
) -> tuple[dict, dict]:
    rows, tp, fp, fn = {}, 0, 0, 0
    for p in places:
        t, f = truth[p.geonameid], fired.get(p.geonameid, set())
        rows[p.geonameid] = prf(len(t & f), len(f - t), len(t - f))
        tp, fp, fn = tp + len(t & f), fp + len(f - t), fn + len(t - f)
    return prf(tp, fp, fn), rows


def main() -> int:
    if not (CORPUS / "GWN.xml").exists():
        print(f"corpus absent ({CORPUS}): nothing to measure")
        return 0
    t0 = time.perf_counter()
    gaz = Gazetteer.load()
    print(f"gazetteer load: {time.perf_counter() - t0:.2f}s")
    docs = load_gwn(CORPUS / "GWN.xml")
    if (CORPUS / "GeoVirus.xml").exists():
        docs += load_geovirus(CORPUS / "GeoVirus.xml")
    truth = truth_sets(docs, Resolver(gaz))
    places = sorted(
        (gaz.get(g) for g, s in truth.items() if len(s) >= MIN_ARTICLES), key=lambda p: p.name
    )  # type: ignore[union-attr]
    ours, _ = run_ours(docs, places)
    base = run_baseline(docs, places)
    ours_total, ours_rows = score(places, truth, ours)
    base_total, base_rows = score(places, truth, base)
    _print_table(places, truth, ours_rows, base_rows, ours_total, base_total)
    errors = _errors(docs, places, truth, ours)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "articles": len(docs),
                "places": len(places),
                "ours": ours_total,
                "baseline": base_total,
                "per_place": {
                    p.label: {
                        "geonameid": p.geonameid,
                        "articles": len(truth[p.geonameid]),
                        "ours": ours_rows[p.geonameid],
                        "baseline": base_rows[p.geonameid],
                    }
                    for p in places
                },
                "errors": errors,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def _print_table(
    places: list[Place], truth: dict, ours: dict, base: dict, ours_total: dict, base_total: dict
) -> None:
    print(f"{'place':32} {'n':>3}  {'ours P/R/F1':>17}  {'baseline P/R/F1':>17}")
    for p in places:
        o, b = ours[p.geonameid], base[p.geonameid]
        print(
            f"{p.label[:32]:32} {len(truth[p.geonameid]):3}  {o['precision']:.2f}/{o['recall']:.2f}/{o['f1']:.2f}   {b['precision']:.2f}/{b['recall']:.2f}/{b['f1']:.2f}"
        )
    for name, t in (("OURS", ours_total), ("BASELINE", base_total)):
        print(
            f"{name:9} micro P={t['precision']:.3f} R={t['recall']:.3f} F1={t['f1']:.3f} (tp={t['tp']} fp={t['fp']} fn={t['fn']})"
        )


def _errors(docs: list[Doc], places: list[Place], truth: dict, fired: dict) -> list[dict]:
    """Each false positive / negative with the article's tagged names, to read by hand."""
    by_key = {d.key: d for d in docs}
    out = []
    for p in places:
        for kind, keys in (
            ("fp", fired.get(p.geonameid, set()) - truth[p.geonameid]),
            ("fn", truth[p.geonameid] - fired.get(p.geonameid, set())),
        ):
            for k in sorted(keys):
                names = sorted({m.name for m in by_key[k].mentions})[:15]
                out.append({"place": p.label, "kind": kind, "article": k, "tagged": names})
    return out


if __name__ == "__main__":
    raise SystemExit(main())
