"""Shared pieces of the benchmarks: paths, corpora, a local feed server, tables, JSON results.

Every server here listens on 127.0.0.1 only and is started (and stopped) by the benchmark.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
SHARED = Path(os.environ.get("NEWSBOT_SHARED_DIR") or ROOT.parent / "shared")
REAL_FEEDS = SHARED / "corpora" / "real-feeds" / "fastfeedparser-benchmark_data"
GEO_DEV = SHARED / "corpora" / "geo-dev"
PYTHON = sys.executable


# ---- results -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def target(name: str, met: bool | None, figure: str) -> dict[str, Any]:
    """One line of the final summary: met / not met (None: not measured) with the figure."""
    return {"target": name, "met": met, "figure": figure}


def save(name: str, data: dict[str, Any], out_dir: Path | None = None) -> Path:
    """Write bench/results/NAME.json (``cores`` and the machine included)."""
    out = out_dir or RESULTS
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, **machine(), **data}
    path = out / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="left" if c == columns[0] else "right")
    for r in rows:
        t.add_row(*(fmt(v) for v in r))
    Console().print(t)


def fmt(v: Any) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.4f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return float(s[k])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# ---- /proc ---------------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS / VmPeak of a process, in kB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "VmPeak", "VmSize"):
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out
