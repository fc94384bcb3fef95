"""web: latency of `bot.py serve`'s pages over large archives (p50/p95 per page).

The archives are bench.archive's (100,000 news-like articles; ``--full`` adds 1,000,000),
given what the pages read besides text: each article mentions 0-3 of 200 real places
(GeoNames' most populous towns of 10 countries, Zipfian, in ``article_places``) and 10 watches
fired on about 1% of the articles each (``matches``). Every page is requested through
Datasette's in-process ASGI client, so a figure is the application's time to answer: storage
calls, templates and the Atom document, not the network.

Pages: home; search (words, best first; two words, newest first; a word within a watch; a
place: term; filters without words); a watch's page; its Atom feed; a place's page (a common
and a rare place); the map. Baseline, measured in the same run: ``storage.search.search`` for
the same search queries, called directly (the search page's ratio to it is what the page adds).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import RESULTS, median, percentile, ratio, save, table, target

WATCHES = 10
PLACES = 200
COUNTRIES = ("SY", "IQ", "UA", "US", "FR", "NG", "IN", "BR", "DE", "JP")
SEARCHES = 40
REPEAT = 10
STAMP = "2026-01-01T00:00:00Z"


def _places() -> list[Any]:
    from matching.places import Gazetteer

    gaz = Gazetteer.load()
    return [p for cc in COUNTRIES for p in gaz.top_of_country(cc, PLACES // len(COUNTRIES))]


def decorate(path: Path, seed: int = 3) -> dict[str, int]:
    """Give the archive places and watches once (kept in the cached file)."""
    from storage import Store

    store = Store.open(path)
    db = store.db
    try:
        if db.execute("SELECT count(*) FROM matches").fetchone()[0]:
            return _counts(db)
        rng = random.Random(seed)
        places = _places()
        weights = [1 / (r + 1) for r in range(len(places))]
        db.conn.execute("BEGIN IMMEDIATE")
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
        for start in range(0, len(ids), 20_000):
            _decorate_batch(db, ids[start : start + 20_000], places, weights, rng)
        db.conn.execute("COMMIT")
        db.conn.execute("ANALYZE")
        return _counts(db)
    finally:
        store.close()


def _decorate_batch(
    db: Any, ids: list[int], places: list[Any], weights: list[float], rng: random.Random
) -> None:
    mentions, matches = [], []
    for aid in ids:
        chosen = {p.geonameid: p for p in rng.choices(places, weights, k=rng.randint(0, 3))}
        for p in chosen.values():
            mentions.append(
                (
                    aid,
                    p.geonameid,
                    p.name,
                    p.country_code,
                    p.admin1,
                    p.latitude,
                    p.longitude,
                    1,
                    p.name,
                )
            )
        for w in range(WATCHES):
            if chosen and rng.random() < 0.01:
                p = next(iter(chosen.values()))
                matches.append(
                    (
                        aid,
                        f"watch {w}",
                        "location",
                        p.name,
                        p.name,
                        "title",
                        0,
                        len(p.name),
                        p.name,
                        p.geonameid,
                        p.name,
                        p.country_code,
                        p.admin1,
                        p.latitude,
                        p.longitude,
                        STAMP,
                    )
                )
    db.conn.executemany(
        "INSERT OR IGNORE INTO article_places (article_id, geonameid, name, country_code, admin1,"
        " latitude, longitude, mentions, written) VALUES (?,?,?,?,?,?,?,?,?)",
        mentions,
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO matches (article_id, watch, kind, term, matched_text, field,"
        ' start, "end", snippet, geonameid, place, country_code, admin1, latitude, longitude,'
        " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        matches,
    )


def _counts(db: Any) -> dict[str, int]:
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "article_places": one("SELECT count(*) FROM article_places"),
        "matches": one("SELECT count(*) FROM matches"),
    }


def pages(words: list[str], places: list[Any]) -> dict[str, list[str]]:
    """Page kind -> the URLs requested for it."""
    rng = random.Random(11)
    common, rare = places[0], places[-1]
    pick = lambda: rng.choice(words)  # noqa: E731
    return {
        "home": ["/"] * REPEAT,
        "search: a word, best first": [f"/search?q={pick()}" for _ in range(SEARCHES)],
        "search: two words, newest": [
            f"/search?q={pick()}+{pick()}&order=newest" for _ in range(SEARCHES)
        ],
        "search: a word in a watch": [
            f"/search?q={pick()}&watch=watch+{rng.randrange(WATCHES)}" for _ in range(SEARCHES)
        ],
        "search: place: term": [
            f"/search?q={quote('place:geonames:' + str(rng.choice(places).geonameid))}"
            for _ in range(SEARCHES)
        ],
        "search: page 5": [f"/search?q={pick()}&page=5" for _ in range(SEARCHES)],
        "watch page": [f"/watch/watch%20{w % WATCHES}" for w in range(REPEAT)],
        "watch Atom feed": [f"/watch/watch%20{w % WATCHES}/feed.atom" for w in range(REPEAT)],
        "place page, common": [f"/place/{common.geonameid}"] * REPEAT,
        "place page, rare": [f"/place/{rare.geonameid}"] * REPEAT,
        "map": ["/map"] * REPEAT,
    }


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(path: Path, words: list[str]) -> dict[str, Any]:
    import web
    from storage import Store
    from storage.db import connect
    from storage.search import search

    with Store.open(path, readonly=True) as store:
        places = [p.place for p in store.place_summaries(limit=PLACES)]  # most articles first
    ds = web.make_datasette(path)

    async def fetch_all(urls: list[str]) -> list[float]:
        out = []
        for url in urls:
            started = time.perf_counter()
            r = await ds.client.get(url)
            out.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {r.status_code}")
        return out

    asyncio.run(fetch_all(["/", "/search?q=warmup", "/map"]))
    by_page = {name: asyncio.run(fetch_all(urls)) for name, urls in pages(words, places).items()}
    db = connect(path, readonly=True)
    try:
        direct = [_timed(lambda w=w: search(db, w, limit=21)) for w in words[:SEARCHES]]
    finally:
        db.conn.close()
    return {
        "pages": {
            name: {"p50_ms": median(ms), "p95_ms": percentile(ms, 95), "requests": len(ms)}
            for name, ms in by_page.items()
        },
        "direct_search_p50_ms": median(direct),
        "direct_search_p95_ms": percentile(direct, 95),
    }


def run(
    quick: bool = False,
    full: bool = False,
    *,
    sizes: tuple[int, ...] | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    from bench.archive import build, queries

    out = out_dir or RESULTS
    out.mkdir(parents=True, exist_ok=True)
    sizes = sizes or ((20_000,) if quick else (100_000, 1_000_000) if full else (100_000,))
    words = [q for kind, q in queries() if kind == "word"]
    rows = []
    for n in sizes:
        path, _meta = build(n, out)
        extra = decorate(path)
        figures = measure(path, words)
        rows.append({"articles": n, **extra, **figures})
    data: dict[str, Any] = {
        "params": {"sizes": list(sizes), "watches": WATCHES, "places": PLACES},
        "rows": rows,
    }
    last = rows[-1]
    worst = max(last["pages"].items(), key=lambda kv: kv[1]["p95_ms"])
    data["targets"] = [
        target(
            f"web: every page p95 < 500 ms at {last['articles']:,}",
            worst[1]["p95_ms"] < 500,
            f"slowest: {worst[0]} p95 {worst[1]['p95_ms']:.0f} ms",
        )
    ]
    for r in rows:
        base = r["direct_search_p50_ms"]
        table(
            f"web: page latency at {r['articles']:,} articles (in-process ASGI client)",
            ["page", "p50 ms", "p95 ms", "p50 / direct search p50"],
            [
                [name, v["p50_ms"], v["p95_ms"], ratio(v["p50_ms"], base)]
                for name, v in r["pages"].items()
            ]
            + [["(baseline) storage.search.search", base, r["direct_search_p95_ms"], 1.0]],
        )
    save("web", data, out)
    return data
