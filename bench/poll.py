"""poll: one cycle over N feeds (RSS and Atom, 50 items each, sizes of real outlet feeds)
served from 127.0.0.1 by a server in another process, through the real path
(``app.run_once``: fetch -> parse -> save_entries -> match -> complete_article -> record).

Figures: cold cycle (empty archive), warm cycle (nothing changed: every feed answers 304),
feeds/s, and ratios against, measured in the same run,
  (a) a naive serial loop of ``feedparser.parse(url)`` (feedparser fetching by itself),
  (b) the floor: ``feedparser.parse(bytes)`` alone over the same bytes in one process.
Targets: warm >= 20x faster than naive; cold <= 1.5x the parse floor.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from bench.common import ratio, save, table, target
from bench.corpus import build_feed
from bench.server import ServerProcess, loopback_resolver

ITEMS = 50
WARM_RUNS = 3  # warm cycles run; the median is reported
HOSTS = 100  # feeds are spread over this many outlet host names (per-host limits apply)
WATCHES = [
    {"name": "Aleppo", "keywords": ["Aleppo"], "locations": ["Aleppo"]},
    {"name": "Ceasefire", "keywords": ["ceasefire", "truce", "peace talks"]},
    {"name": "Floods", "query": 'flood* AND (evacuat* OR "state of emergency")'},
]


def _bodies(n: int) -> dict[str, bytes]:
    return {
        f"/f/{i}.xml": build_feed(i, ITEMS, host=f"outlet{i % HOSTS}.bench.test") for i in range(n)
    }


def parse_floor(bodies: list[bytes]) -> float:
    import feedparser

    started = time.perf_counter()
    for b in bodies:
        feedparser.parse(b)
    return time.perf_counter() - started


def naive_loop(urls: list[str]) -> tuple[float, int]:
    import feedparser

    started = time.perf_counter()
    entries = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for u in urls:
            entries += len(feedparser.parse(u).entries)
    return time.perf_counter() - started, entries


def _settings(tmp: Path, port: int, n: int, watches: list[dict[str, Any]]) -> Any:
    import settings

    feeds = [
        {
            "name": f"feed-{i}",
            "url": f"http://outlet{i % HOSTS}.bench.test:{port}/f/{i}.xml",
            "full_text": False,
        }
        for i in range(n)
    ]
    data = {
        "storage": {"path": str(tmp / "poll.db")},
        "http": {"timeout": "20s", "allow_private_networks": True},
        "feeds": feeds,
        "watches": watches,
    }
    return settings.from_dict(data, base_dir=str(tmp))


def app_cycle(cfg: Any, ruleset: Any) -> tuple[float, Any]:
    from service.wiring import run_once

    started = time.perf_counter()
    report, _sent = run_once(cfg, ruleset=ruleset, resolver=loopback_resolver(), channels={})
    return time.perf_counter() - started, report


def run(
    quick: bool = False,
    full: bool = False,
    *,
    feeds: int | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    from service.wiring import build_ruleset

    n = feeds or (100 if quick else 1000)
    bodies = _bodies(n)
    total_bytes = sum(len(b) for b in bodies.values())
    floor_s = parse_floor(list(bodies.values()))
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-poll-"))
    try:
        with ServerProcess(bodies) as server:
            naive_s, naive_entries = naive_loop([server.url(p) for p in bodies])
            cfg = _settings(tmp, server.port, n, WATCHES)
            t0 = time.perf_counter()
            ruleset = build_ruleset(cfg)
            compile_s = time.perf_counter() - t0
            before = server.stats()
            cold_s, cold = app_cycle(cfg, ruleset)
            mid = server.stats()
            warm_runs = [app_cycle(cfg, ruleset) for _ in range(WARM_RUNS)]
            warm_s, warm = sorted(warm_runs, key=lambda r: r[0])[WARM_RUNS // 2]  # the median
            after = server.stats()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warm_304 = (after.get("304", 0) - mid.get("304", 0)) // WARM_RUNS
    cold_200 = mid.get("200", 0) - before.get("200", 0)
    data = {
        "params": {
            "feeds": n,
            "items_per_feed": ITEMS,
            "hosts": HOSTS,
            "watches": len(WATCHES),
            "full_text": False,
            "concurrency": cfg.http.concurrency,
            "per_host": cfg.http.per_host,
            "feed_bytes_total": total_bytes,
            "feed_bytes_mean": total_bytes / n,
        },
        "parse_floor_s": floor_s,
        "naive_s": naive_s,
        "naive_entries": naive_entries,
        "ruleset_compile_s": compile_s,
        "cold_s": cold_s,
        "cold_new_articles": cold.new,
        "cold_failed": len(cold.failed),
        "cold_alerts": cold.alerts,
        "cold_http_200": cold_200,
        "warm_s": warm_s,
        "warm_http_304": warm_304,
        "warm_failed": len(warm.failed),
        "cold_feeds_per_s": n / cold_s,
        "warm_feeds_per_s": n / warm_s,
        "naive_feeds_per_s": n / naive_s,
        "ratio_naive_over_warm": ratio(naive_s, warm_s),
        "ratio_naive_over_cold": ratio(naive_s, cold_s),
        "ratio_cold_over_floor": ratio(cold_s, floor_s),
    }
    data["targets"] = [
        target(
            "poll: warm >= 20x faster than naive",
            data["ratio_naive_over_warm"] >= 20,
            f"{data['ratio_naive_over_warm']:.1f}x (warm {warm_s:.2f}s, naive {naive_s:.2f}s)",
        ),
        target(
            "poll: cold <= 1.5x parse floor",
            data["ratio_cold_over_floor"] <= 1.5,
            f"{data['ratio_cold_over_floor']:.2f}x (cold {cold_s:.2f}s, floor {floor_s:.2f}s)",
        ),
    ]
    table(
        f"poll: {n} feeds x {ITEMS} items, {total_bytes / 1e6:.1f} MB",
        ["path", "seconds", "feeds/s", "vs naive", "vs floor"],
        [
            [
                "parse floor (feedparser on bytes)",
                floor_s,
                n / floor_s,
                ratio(naive_s, floor_s),
                1.0,
            ],
            [
                "naive feedparser.parse(url) loop",
                naive_s,
                n / naive_s,
                1.0,
                ratio(naive_s, floor_s),
            ],
            [
                f"newsbot cold ({cold.new} new, {len(cold.failed)} failed)",
                cold_s,
                n / cold_s,
                ratio(naive_s, cold_s),
                ratio(cold_s, floor_s),
            ],
            [
                f"newsbot warm ({warm_304} x 304)",
                warm_s,
                n / warm_s,
                ratio(naive_s, warm_s),
                ratio(warm_s, floor_s),
            ],
        ],
    )
    save("poll", data, out_dir)
    return data
