"""Place-watch accuracy, per corpus: ``.venv/bin/python -m bench.geo_eval``.

Corpora: GeoWebNews, GeoVirus and TUD-Loc-2013 (``../shared/corpora/geo-dev``, read by
``bench.geo_corpora``), and the namesake items of ``bench.namesakes`` (places sharing a name,
a watch on each). For every town tagged in 3+ articles of a corpus (every place of the
namesake set), a watch on ``geonames:ID`` is compiled and run over every article of that corpus
(title + text). Truth for place P: the articles where some tagged mention resolves to P.
Baseline: a case-insensitive whole-word match of P's main name. Prints a table per corpus and
writes bench/results/geo_eval.json. The dev corpora are skipped when absent.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import GEO_DEV  # noqa: E402
from bench.geo_corpora import (  # noqa: E402
    RADIUS_KM,
    Doc,
    Mention,
    Resolver,
    load_geovirus,
    load_gwn,
    load_tud,
    truth_sets,
)
from bench.localnews import ITEMS as LOCAL_ITEMS  # noqa: E402
from bench.namesakes import ITEMS  # noqa: E402
from matching.compiler import compile_rules  # noqa: E402
from matching.places import Gazetteer  # noqa: E402
from models import Article, Place  # noqa: E402
from settings import WatchSettings  # noqa: E402

__all__ = ["RADIUS_KM", "Doc", "Mention", "Resolver", "load_geovirus", "load_gwn", "load_tud"]
__all__ += ["truth_sets", "run_ours", "run_baseline", "score", "prf", "corpora", "main"]
CORPUS = GEO_DEV
RESULTS = ROOT / "bench" / "results" / "geo_eval.json"
MIN_ARTICLES = 3


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


def run_ours(
    docs: list[Doc], places: list[Place], specs: dict[int, str] | None = None
) -> tuple[dict[int, set[str]], float]:
    """A watch per place: ``geonames:ID``, or the spec a user would write (``specs``)."""
    specs = specs or {}
    watches = [
        WatchSettings(
            name=str(p.geonameid), locations=[specs.get(p.geonameid, f"geonames:{p.geonameid}")]
        )
        for p in places
    ]
    t0 = time.perf_counter()
    rules = compile_rules(watches)
    fired: dict[int, set[str]] = defaultdict(set)
    when = datetime(2020, 1, 1, tzinfo=UTC)
    t1 = time.perf_counter()
    for doc in docs:
        article = Article(0, doc.key, doc.title, "", doc.text, when, "geo")
        for m in rules.analyse(article, home=doc.home).matches:
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


def corpora(
    gaz: Gazetteer, only: list[str] | None = None
) -> dict[str, tuple[list[Doc], dict[int, set[str]], list[Place]]]:
    """Each corpus present (of ``only``, when given): its documents, the truth per place and
    the places watched."""
    loaders = {
        "GeoWebNews": lambda: load_gwn(CORPUS / "GWN.xml"),
        "GeoVirus": lambda: load_geovirus(CORPUS / "GeoVirus.xml"),
        "TUD-Loc-2013": lambda: load_tud(CORPUS / "TUD-Loc-2013"),
    }
    present = {"GeoWebNews": "GWN.xml", "GeoVirus": "GeoVirus.xml", "TUD-Loc-2013": "TUD-Loc-2013"}
    out = {}
    resolver = Resolver(gaz)
    for name, load in loaders.items():
        if only and name not in only:
            continue
        if not (CORPUS / present[name]).exists():
            print(f"{name}: absent ({CORPUS}), skipped")
            continue
        docs = load()
        truth = truth_sets(docs, resolver)
        chosen = [gaz.get(g) for g, s in truth.items() if len(s) >= MIN_ARTICLES]
        out[name] = (docs, truth, sorted((p for p in chosen if p), key=lambda p: p.label))
    built = {"namesakes": namesake_corpus, "local news": local_corpus}
    out |= {name: make(gaz) for name, make in built.items() if not only or name in only}
    return out


def local_corpus(gaz: Gazetteer) -> tuple[list[Doc], dict[int, set[str]], list[Place]]:
    """``bench.localnews``: each item's places are its truth; a watch on every place."""
    docs, truth, places = [], defaultdict(set), {}
    for i, (specs, home, title, text) in enumerate(LOCAL_ITEMS):
        doc = Doc(f"local-{i}", title, text, home=home)
        for spec in specs:
            place = gaz.resolve(spec)
            doc.mentions.append(Mention(place.name, place.geonameid, 0, 0))
            truth[place.geonameid].add(doc.key)
            places[place.geonameid] = place
        docs.append(doc)
    return docs, truth, sorted(places.values(), key=lambda p: p.label)


def namesake_corpus(gaz: Gazetteer) -> tuple[list[Doc], dict[int, set[str]], list[Place]]:
    docs, truth, places = [], defaultdict(set), {}
    for i, (spec, title, text) in enumerate(ITEMS):
        place = gaz.resolve(spec)
        doc = Doc(f"namesake-{i}", title, text, [Mention(place.name, place.geonameid, 0, 0)])
        docs.append(doc)
        truth[place.geonameid].add(doc.key)
        places[place.geonameid] = place
    return docs, truth, sorted(places.values(), key=lambda p: p.label)


def main() -> int:
    t0 = time.perf_counter()
    gaz = Gazetteer.load()
    print(f"gazetteer load: {time.perf_counter() - t0:.2f}s")
    report: dict[str, dict] = {}
    specs = {gaz.resolve(spec).geonameid: spec for spec, _, _ in ITEMS}
    specs |= {gaz.resolve(s).geonameid: s for item in LOCAL_ITEMS for s in item[0]}
    only = sys.argv[1:]  # corpus names to run (all when none): "local news", GeoWebNews
    for name, (docs, truth, places) in corpora(gaz, only).items():
        ours, _ = run_ours(docs, places, specs if name in ("namesakes", "local news") else None)
        base = run_baseline(docs, places)
        ours_total, ours_rows = score(places, truth, ours)
        base_total, base_rows = score(places, truth, base)
        print(f"\n== {name}: {len(docs)} articles, {len(places)} places")
        _print_table(places, truth, ours_rows, base_rows, ours_total, base_total)
        report[name] = {
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
            "errors": _errors(docs, places, truth, ours),
        }
    print("\n== summary (micro P / R / F1)")
    for name, r in report.items():
        o, b = r["ours"], r["baseline"]
        print(
            f"{name:14} ours {o['precision']:.3f} / {o['recall']:.3f} / {o['f1']:.3f}"
            f"   baseline {b['precision']:.3f} / {b['recall']:.3f} / {b['f1']:.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
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
