"""poll_stories: what the story clustering costs a poll cycle, as an A/B in one run.

The cycle of ``bench poll`` (N feeds of 50 items on loopback, the real ``run_once`` path) is
run on two fresh archives: once with the archive's story clusterer (``stories``), once with
one that groups nothing (every article a story of its own: the same writes, no decisions).
Cold cycles (empty archive: every article new) are the median of three, the two variants
taking turns so that a busy moment of the machine does not fall on one of them; warm cycles
(every feed answers 304) the median of three, taking turns too. Wall time and this process's CPU time. The
sentence model and the word frequency lists are loaded before the cycles, their one-off load
reported apart (a running bot loads them once).
Targets (issue 14): the cold cycle at most 25% slower with clustering; the warm one no slower
(warm cycles have no new article to cluster; 10% is allowed for noise on a shared machine).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import ratio, save, table, target
from bench.poll import WARM_RUNS, WATCHES, _bodies, _settings, app_cycle
from bench.server import ServerProcess
from models import Article

COLD_RUNS = 3


class Singletons:
    """A clusterer that groups nothing: every article stays a story of its own."""

    def begin(self, store: object, now: datetime) -> None:
        return None

    def assign(
        self, store: object, article: Article, text: str, places: frozenset[int]
    ) -> int | None:
        return None

    def end(self, ok: bool) -> None:
        return None


def _turns(k: int, pair: tuple[Any, ...]) -> tuple[Any, ...]:
    """The two variants in the order of round k: who goes first alternates."""
    return pair if k % 2 == 0 else pair[::-1]


def _cycle(cfg: Any, ruleset: Any) -> tuple[float, float, Any]:
    cpu = time.process_time()
    wall, report = app_cycle(cfg, ruleset)
    return wall, time.process_time() - cpu, report


def _variant(tmp: Path, port: int, n: int, clustering: bool) -> tuple[Any, Any]:
    import stories
    from service.wiring import build_ruleset

    cfg = _settings(tmp, port, n, WATCHES)
    if not clustering:
        stories.set_clusterer(str(cfg.db_path), Singletons())
    return cfg, build_ruleset(cfg)


def run(
    quick: bool = False,
    full: bool = False,
    *,
    feeds: int | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    from stories import embed
    from stories.text import zipf

    n = feeds or (100 if quick else 1000 if full else 300)
    bodies = _bodies(n)
    started = time.perf_counter()
    embed.encode(["warm up"])
    for script in ("latin", "arabic", "cyrillic"):
        zipf("news", script)
    load_s = time.perf_counter() - started
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-poll-stories-"))
    figures: dict[str, dict[str, float]] = {}
    try:
        with ServerProcess(bodies) as server:
            new: dict[str, int] = {}
            colds: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
            variants: dict[str, tuple[Any, Any]] = {}
            for k in range(COLD_RUNS):  # off, on, on, off, ...: each on a fresh archive
                for name, on in _turns(k, (("off", False), ("on", True))):
                    cfg, ruleset = variants[name] = _variant(tmp / f"{name}{k}", server.port, n, on)
                    wall, cpu, report = _cycle(cfg, ruleset)
                    colds[name].append((wall, cpu))
                    new[name] = report.new
            for name, runs in colds.items():
                walls, cpus = sorted(w for w, _ in runs), sorted(c for _, c in runs)
                figures[name] = {
                    "cold_s": walls[len(walls) // 2],
                    "cold_cpu_s": cpus[len(cpus) // 2],
                }
            warms: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
            for k in range(WARM_RUNS):  # taking turns too
                for name, (cfg, ruleset) in _turns(k, tuple(variants.items())):
                    warms[name].append(_cycle(cfg, ruleset)[:2])
            for name, runs in warms.items():
                figures[name]["warm_s"] = sorted(w for w, _ in runs)[WARM_RUNS // 2]
                figures[name]["warm_cpu_s"] = sorted(c for _, c in runs)[WARM_RUNS // 2]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    off, on = figures["off"], figures["on"]
    cold = ratio(on["cold_s"], off["cold_s"])
    warm = ratio(on["warm_s"], off["warm_s"])
    data: dict[str, Any] = {
        "params": {"feeds": n, "new_articles": new},
        "model_load_s": load_s,
        "off": off,
        "on": on,
        "cold_on_over_off": cold,
        "cold_cpu_on_over_off": ratio(on["cold_cpu_s"], off["cold_cpu_s"]),
        "warm_on_over_off": warm,
    }
    data["targets"] = [
        target(
            "poll_stories: cold cycle <= 1.25x without clustering", cold <= 1.25, f"{cold:.2f}x"
        ),
        target("poll_stories: warm cycle no slower", warm <= 1.10, f"{warm:.2f}x"),
    ]
    table(
        f"poll_stories: {n} feeds, {new['on']} new articles (model load {load_s:.1f}s apart)",
        ["cycle", "off (s)", "on (s)", "on / off", "off CPU (s)", "on CPU (s)", "CPU on / off"],
        [
            [
                kind,
                off[f"{kind}_s"],
                on[f"{kind}_s"],
                ratio(on[f"{kind}_s"], off[f"{kind}_s"]),
                off[f"{kind}_cpu_s"],
                on[f"{kind}_cpu_s"],
                ratio(on[f"{kind}_cpu_s"], off[f"{kind}_cpu_s"]),
            ]
            for kind in ("cold", "warm")
        ],
    )
    save("poll_stories", data, out_dir)
    return data
