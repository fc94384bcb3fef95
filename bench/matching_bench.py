"""matching: articles/s and MB/s of ``Ruleset.match`` with 10, 1,000 and 10,000 watches
(keywords, phrases and gazetteer locations), against a per-watch compiled-regex loop
(one ``re.compile(r"\\b(?:kw1|kw2)\\b", re.I)`` per watch, looped) measured in the same run.

Articles: the ~200 real news texts of GeoWebNews (+ GeoVirus) when the corpora are present.
Targets: throughput at 10,000 watches >= 1/2 of that at 10; >= 50x the regex loop at 10,000.
"""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ratio, save, table, target
from bench.corpus import news_texts, vocabulary

ARTICLES = 200
LOCATION_EVERY = 10  # one watch in ten has a location ...
PLACES = 100  # ... one of the 100 most populous cities (many watches share a city)


def articles(n: int = ARTICLES) -> list[Any]:
    from models import Article

    texts = news_texts()
    out = []
    for i in range(n):
        title, text = texts[i % len(texts)]
        summary = text[:300]
        out.append(
            Article(
                id=i + 1,
                url=f"https://news.bench.test/{i}",
                title=title,
                summary=summary,
                text=text,
                published=datetime(2026, 11, 20, tzinfo=UTC),
                feed="bench",
            )
        )
    return out


def populous_places(k: int) -> list[str]:
    """``"Name, CC"`` of the k most populous gazetteer cities (distinct names)."""
    from matching.places import Gazetteer

    gaz = Gazetteer.load()
    rows = gaz._rows(
        "SELECT name, cc FROM place WHERE kind = 'city' ORDER BY pop DESC LIMIT ?", [k * 3]
    )
    seen: set[str] = set()
    out = []
    for name, cc in rows:
        if name.lower() in seen or not name.isascii() or "," in name:
            continue
        seen.add(name.lower())
        out.append(f"{name}, {cc}")
        if len(out) == k:
            break
    return out


def watches(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """n watches: two keywords and a two-word phrase each (mid-frequency news words, so some
    fire), one in ten also with a populous city as its location."""
    rng = random.Random(seed)
    words = [w for w in vocabulary()[150:] if len(w) > 3 and w.isalpha()]
    places = populous_places(min(PLACES, max(1, n // LOCATION_EVERY)))
    out = []
    for i in range(n):
        kws = rng.sample(words, 4)
        w: dict[str, Any] = {"name": f"w{i}", "keywords": [kws[0], kws[1], f"{kws[2]} {kws[3]}"]}
        if i % LOCATION_EVERY == 0:
            w["locations"] = [places[(i // LOCATION_EVERY) % len(places)]]
        out.append(w)
    return out


def regex_loop(specs: list[dict[str, Any]]) -> list[re.Pattern[str]]:
    pats = []
    for w in specs:
        terms = list(w["keywords"]) + [loc.split(",")[0] for loc in w.get("locations", [])]
        alt = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms)
        pats.append(re.compile(rf"\b(?:{alt})\b", re.I))
    return pats


def time_regex(pats: list[re.Pattern[str]], arts: list[Any]) -> tuple[float, int]:
    fired = 0
    started = time.perf_counter()
    for a in arts:
        for p in pats:
            if p.search(a.title) or p.search(a.summary) or p.search(a.text):
                fired += 1
    return time.perf_counter() - started, fired


def time_ruleset(ruleset: Any, arts: list[Any], repeat: int = 2) -> tuple[float, int]:
    best, fired = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        fired = sum(len({m.watch for m in ruleset.match(a)}) for a in arts)
        best = min(best, time.perf_counter() - started)
    return best, fired


def run(
    quick: bool = False,
    full: bool = False,
    *,
    sizes: tuple[int, ...] | None = None,
    n_articles: int | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    from matching.compiler import compile_rules
    from matching.places import Gazetteer
    from settings import WatchSettings

    sizes = sizes or ((10, 300, 1000) if quick else (10, 1000, 10000))
    arts = articles(n_articles or (60 if quick else ARTICLES))
    mb = (
        sum(len(a.title.encode()) + len(a.summary.encode()) + len(a.text.encode()) for a in arts)
        / 1e6
    )
    gaz = Gazetteer.load()
    rows: list[dict[str, Any]] = []
    for n in sizes:
        specs = watches(n)
        ws = [WatchSettings(**s) for s in specs]
        t0 = time.perf_counter()
        ruleset = compile_rules(ws, gaz)
        compile_s = time.perf_counter() - t0
        match_s, fired = time_ruleset(ruleset, arts)
        pats = regex_loop(specs)
        # the regex loop is slow at many watches: time it on a subset of the articles
        sub = arts[: max(5, min(len(arts), int(len(arts) * 200 / max(n, 200))))]
        regex_s, regex_fired = time_regex(pats, sub)
        regex_aps = len(sub) / regex_s
        aps = len(arts) / match_s
        rows.append(
            {
                "watches": n,
                "compile_s": compile_s,
                "patterns": len(ruleset._patterns),
                "match_s": match_s,
                "articles_per_s": aps,
                "mb_per_s": mb / match_s,
                "fired_watch_article_pairs": fired,
                "regex_articles": len(sub),
                "regex_s": regex_s,
                "regex_articles_per_s": regex_aps,
                "regex_mb_per_s": regex_aps * mb / len(arts),
                "regex_fired": regex_fired,
                "speedup_vs_regex": ratio(aps, regex_aps),
            }
        )
    first, last = rows[0], rows[-1]
    data = {
        "params": {
            "articles": len(arts),
            "mb": mb,
            "sizes": list(sizes),
            "location_every": LOCATION_EVERY,
            "distinct_places_max": PLACES,
            "corpus": "GeoWebNews+GeoVirus" if len(news_texts()) > 20 else "generated",
        },
        "rows": rows,
        "ratio_throughput_last_over_first": ratio(last["articles_per_s"], first["articles_per_s"]),
        "ratio_vs_regex_at_last": last["speedup_vs_regex"],
    }
    big = last["watches"]
    data["targets"] = [
        target(
            f"matching: {big} watches >= 1/2 throughput of {first['watches']}",
            data["ratio_throughput_last_over_first"] >= 0.5,
            f"{data['ratio_throughput_last_over_first']:.2f}x "
            f"({last['articles_per_s']:.0f} vs {first['articles_per_s']:.0f} articles/s)",
        ),
        target(
            f"matching: >= 50x regex loop at {big} watches",
            last["speedup_vs_regex"] >= 50,
            f"{last['speedup_vs_regex']:.0f}x ({last['articles_per_s']:.0f} vs "
            f"{last['regex_articles_per_s']:.1f} articles/s)",
        ),
    ]
    table(
        f"matching: {len(arts)} articles, {mb:.2f} MB",
        ["watches", "compile s", "patterns", "articles/s", "MB/s", "regex art/s", "vs regex"],
        [
            [
                r["watches"],
                r["compile_s"],
                r["patterns"],
                r["articles_per_s"],
                r["mb_per_s"],
                r["regex_articles_per_s"],
                r["speedup_vs_regex"],
            ]
            for r in rows
        ],
    )
    save("matching", data, out_dir)
    return data
