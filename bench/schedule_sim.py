"""schedule_sim: one simulated week (injected clock, no I/O) over 1,000 feeds of mixed habits,
calling ``schedule.after_success`` / ``schedule.after_failure`` exactly as the pipeline does.

Habits (count out of 1,000; chosen before measuring, as a plausible monitoring list):
  wire 50 (an item every 2-5 min), hourly 250, daily 350 (1-5 items a day),
  weekly 200 (1-2 a week), dormant 100 (nothing for months), failing 50 (every request fails).
A poll of an unchanged feed is a 304 (``published=None``, the previous interval kept); a
changed one shows its newest 50 items. Counted: requests, and the delay between an item's
publication and the poll that first shows it, for ``auto`` against a fixed 15-minute interval.
Target: auto makes <= 1/3 of fixed's requests, busy (wire) feeds' median delay no worse.
"""

from __future__ import annotations

import bisect
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import median, percentile, ratio, save, table, target

WEEK = 7 * 86400.0
VISIBLE = 50
MIX = (
    ("wire", 50),
    ("hourly", 250),
    ("daily", 350),
    ("weekly", 200),
    ("dormant", 100),
    ("failing", 50),
)
BASE = datetime(2026, 1, 5, tzinfo=UTC)


def item_times(habit: str, rng: random.Random) -> list[float]:
    """Publication times (seconds from the start of the simulated week; the week before is
    history the first poll sees)."""
    t, out = -WEEK, []
    if habit == "wire":
        mean = rng.uniform(120, 300)
        while t < WEEK:
            t += rng.expovariate(1 / mean)
            out.append(t)
    elif habit == "hourly":
        t += rng.uniform(0, 3600)
        while t < WEEK:
            out.append(t + rng.uniform(-600, 600))
            t += 3600
    elif habit == "daily":
        per_day = rng.randint(1, 5)
        for day in range(-7, 7):
            out += [day * 86400 + rng.uniform(6, 22) * 3600 for _ in range(per_day)]
    elif habit == "weekly":
        for week in (-1, 0):
            out += [week * WEEK + rng.uniform(0, WEEK) for _ in range(rng.randint(1, 2))]
    elif habit == "dormant":
        out = [-WEEK * 20 - rng.uniform(0, WEEK) for _ in range(10)]
    return sorted(x for x in out if x < WEEK)


def simulate(mode: str, feeds: list[tuple[str, list[float]]], seed: int = 1) -> dict[str, Any]:
    from feeds import schedule
    from settings import FeedSettings, PollingSettings

    polling = PollingSettings()
    cfg = FeedSettings(url="https://x.bench.test/feed", interval=900.0 if mode == "fixed" else None)
    rng = random.Random(seed)
    requests: dict[str, int] = {}
    delays: dict[str, list[float]] = {}
    missed: dict[str, int] = {}
    for habit, times in feeds:
        dts = [BASE + timedelta(seconds=x) for x in times]
        t = rng.uniform(0, 900)  # the service starts at some moment of the first interval
        seen = bisect.bisect_right(times, 0.0)  # items before the start count as known
        prev: tuple[float | None, str | None] = (None, None)
        errors = n = 0
        while t < WEEK:
            n += 1
            now = BASE + timedelta(seconds=t)
            if habit == "failing":
                errors += 1
                plan = schedule.after_failure(polling, now, rng, errors=errors)
            else:
                visible = bisect.bisect_right(times, t)
                if visible > seen:
                    oldest_shown = max(0, visible - VISIBLE)
                    for k in range(seen, visible):
                        if k >= oldest_shown:
                            delays.setdefault(habit, []).append(t - times[k])
                        else:
                            missed[habit] = missed.get(habit, 0) + 1
                    seen = visible
                    shown = dts[max(0, visible - VISIBLE) : visible]
                    plan = schedule.after_success(
                        cfg, polling, now, rng, published=shown, ttl_minutes=None, headers={}
                    )
                else:
                    plan = schedule.after_success(
                        cfg,
                        polling,
                        now,
                        rng,
                        published=None,
                        ttl_minutes=None,
                        headers={},
                        previous=prev,
                    )
                prev = (plan.interval, plan.reason)
            t = (plan.next_check_at - BASE).total_seconds()
        requests[habit] = requests.get(habit, 0) + n
    all_delays = [d for ds in delays.values() for d in ds]
    return {
        "requests": sum(requests.values()),
        "requests_by_habit": requests,
        "delay_median_s": median(all_delays),
        "delay_p95_s": percentile(all_delays, 95),
        "delay_by_habit": {
            h: {"median_s": median(ds), "p95_s": percentile(ds, 95), "items": len(ds)}
            for h, ds in delays.items()
        },
        "missed_items_by_habit": missed,
    }


def run(
    quick: bool = False,
    full: bool = False,
    *,
    scale: float | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    scale = scale or (0.2 if quick else 1.0)
    rng = random.Random(42)
    feeds = [
        (habit, item_times(habit, rng))
        for habit, count in MIX
        for _ in range(max(1, round(count * scale)))
    ]
    auto = simulate("auto", feeds)
    fixed = simulate("fixed", feeds)
    wire_auto = auto["delay_by_habit"].get("wire", {}).get("median_s", 0.0)
    wire_fixed = fixed["delay_by_habit"].get("wire", {}).get("median_s", 0.0)
    data = {
        "params": {
            "feeds": len(feeds),
            "mix": {h: max(1, round(c * scale)) for h, c in MIX},
            "days": 7,
            "visible_items": VISIBLE,
            "fixed_interval_s": 900,
            "polling": "defaults: min 5m, max 2h, jitter 0.1",
        },
        "auto": auto,
        "fixed": fixed,
        "ratio_requests_auto_over_fixed": ratio(auto["requests"], fixed["requests"]),
        "ratio_wire_median_delay_auto_over_fixed": ratio(wire_auto, wire_fixed),
    }
    r = data["ratio_requests_auto_over_fixed"]
    data["targets"] = [
        target(
            "schedule: auto requests <= 1/3 of fixed 15m",
            r <= 1 / 3,
            f"{r:.2f} ({auto['requests']:,} vs {fixed['requests']:,})",
        ),
        target(
            "schedule: busy (wire) median delay no worse",
            wire_auto <= wire_fixed,
            f"auto {wire_auto / 60:.1f} min vs fixed {wire_fixed / 60:.1f} min",
        ),
    ]
    rows = []
    for habit, _c in MIX:
        a = auto["delay_by_habit"].get(habit, {})
        f = fixed["delay_by_habit"].get(habit, {})
        rows.append(
            [
                habit,
                auto["requests_by_habit"].get(habit, 0),
                fixed["requests_by_habit"].get(habit, 0),
                ratio(
                    auto["requests_by_habit"].get(habit, 0),
                    fixed["requests_by_habit"].get(habit, 1),
                ),
                a.get("median_s", 0.0) / 60,
                f.get("median_s", 0.0) / 60,
                a.get("p95_s", 0.0) / 60,
                f.get("p95_s", 0.0) / 60,
            ]
        )
    rows.append(
        [
            "ALL",
            auto["requests"],
            fixed["requests"],
            r,
            auto["delay_median_s"] / 60,
            fixed["delay_median_s"] / 60,
            auto["delay_p95_s"] / 60,
            fixed["delay_p95_s"] / 60,
        ]
    )
    table(
        f"schedule_sim: one week, {len(feeds)} feeds, auto vs fixed 15m",
        [
            "habit",
            "auto req",
            "fixed req",
            "auto/fixed",
            "auto med min",
            "fixed med min",
            "auto p95 min",
            "fixed p95 min",
        ],
        rows,
    )
    save("schedule_sim", data, out_dir)
    return data
