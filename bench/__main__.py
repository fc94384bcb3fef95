"""``python -m bench [NAME ...] [--quick] [--full]``: run benchmarks (all when none named),
print each one's table, write bench/results/NAME.json, then a summary of every target."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from typing import Any

from bench.common import SHARED, table

BENCHMARKS = {
    "poll": "bench.poll",
    "matching": "bench.matching_bench",
    "archive": "bench.archive",
    "memory": "bench.memory",
    "latency": "bench.latency",
    "schedule_sim": "bench.schedule_sim",
    "web": "bench.web_pages",
    "extraction": "bench.extraction",
    "fleet": "bench.fleet",
    "stories": "bench.stories",
    "stories_live": "bench.stories_live",
    "poll_stories": "bench.poll_stories",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    p.add_argument("--quick", action="store_true", help="small sizes (a minute or two)")
    p.add_argument("--full", action="store_true", help="add the largest sizes (archive at 1M)")
    p.add_argument(
        "--backend",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="archive: also measure PostgreSQL (NEWSBOT_BENCH_DATABASE_URL)",
    )
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if not (SHARED / "corpora").is_dir():
        print(f"note: {SHARED}/corpora is absent: the benchmarks run on generated texts and feeds")
    summary: list[list[Any]] = []
    for name in args.names or list(BENCHMARKS):
        started = time.monotonic()
        try:
            run = importlib.import_module(BENCHMARKS[name]).run
            extra = (
                {"backend": args.backend} if "backend" in inspect.signature(run).parameters else {}
            )
            data = run(quick=args.quick, full=args.full, **extra)
        except Exception as exc:  # report and go on with the others
            summary.append([name, "ERROR", f"{type(exc).__name__}: {exc}"[:200], 0.0])
            continue
        spent = time.monotonic() - started
        for t in data.get("targets", []):
            met = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
            summary.append([t["target"], met, t["figure"], spent])
    table("targets", ["target", "status", "figure", "bench s"], summary)
    return 1 if any(row[1] == "ERROR" for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
