"""memory: peak RSS of the real service (``bot.py --config C run`` as a subprocess) with
10,000 feeds and 10,000 watches configured. The feeds point at a local server (another
process) that answers every request with a quick 304; peak RSS is /proc/PID/status VmHWM
read after start-up and one full tick (the "cycle:" log line). Target: < 300 MB.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, proc_status, save, table, target
from bench.server import LogWatcher, ServerProcess, write_toml

TARGET_MB = 300


def run(
    quick: bool = False,
    full: bool = False,
    *,
    feeds: int | None = None,
    watches: int | None = None,
    out_dir: Path | None = None,
    timeout: float = 420.0,
) -> dict[str, Any]:
    from bench.matching_bench import watches as make_watches

    n_feeds = feeds or (1000 if quick else 10_000)
    n_watches = watches or (1000 if quick else 10_000)
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-memory-"))
    figures: dict[str, Any] = {}
    try:
        with ServerProcess({}, always_304=True) as server:
            cfg = write_toml(
                tmp / "config.toml",
                {
                    "storage": {"path": str(tmp / "memory.db")},
                    "http": {
                        "timeout": "20s",
                        "concurrency": 50,
                        "per_host": 50,
                        "allow_private_networks": True,
                    },
                    "polling": {"tick": "2s"},
                    "notifiers": {"out": {"type": "jsonl", "path": str(tmp / "alerts.jsonl")}},
                    "feeds": [
                        {"name": f"feed-{i}", "url": server.url(f"/f/{i}.xml"), "full_text": False}
                        for i in range(n_feeds)
                    ],
                    "watches": make_watches(n_watches),
                },
            )
            started = time.monotonic()
            proc = subprocess.Popen(
                [PYTHON, str(ROOT / "bot.py"), "--config", str(cfg), "run"],
                cwd=str(tmp),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            log = LogWatcher(proc.stderr)
            try:
                up = log.wait_for("newsbot running", timeout)
                figures["startup_s"] = time.monotonic() - started if up is not None else None
                figures["after_startup"] = proc_status(proc.pid)
                cycle = log.wait_for("cycle:", timeout, start=up or 0)
                figures["first_tick_done_s"] = (
                    time.monotonic() - started if cycle is not None else None
                )
                figures["tick_log"] = log.lines[cycle] if cycle is not None else None
                figures["after_tick"] = proc_status(proc.pid)
                figures["server"] = server.stats()
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            figures["exit_code"] = proc.returncode
            if figures["first_tick_done_s"] is None:
                figures["log_tail"] = log.lines[-20:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    hwm_kb = figures.get("after_tick", {}).get("VmHWM") or figures["after_startup"].get("VmHWM", 0)
    peak_mb = hwm_kb / 1024
    data = {
        "params": {
            "feeds": n_feeds,
            "watches": n_watches,
            "server": "always 304",
            "concurrency": 50,
            "per_host": 50,
        },
        **figures,
        "peak_rss_mb": peak_mb,
        "startup_rss_mb": figures["after_startup"].get("VmHWM", 0) / 1024,
        "ratio_peak_over_target": peak_mb / TARGET_MB,
    }
    done = figures["first_tick_done_s"] is not None
    data["targets"] = [
        target(
            f"memory: peak RSS < {TARGET_MB} MB ({n_feeds} feeds, {n_watches} watches)",
            peak_mb < TARGET_MB if done else None,
            f"{peak_mb:.0f} MB VmHWM" + ("" if done else " (tick did not finish)"),
        ),
    ]
    table(
        f"memory: bot.py run, {n_feeds:,} feeds, {n_watches:,} watches",
        ["moment", "seconds", "VmHWM MB", "VmRSS MB"],
        [
            [
                "after start-up",
                figures["startup_s"] or 0.0,
                data["startup_rss_mb"],
                figures["after_startup"].get("VmRSS", 0) / 1024,
            ],
            [
                "after one tick",
                figures["first_tick_done_s"] or 0.0,
                peak_mb,
                figures.get("after_tick", {}).get("VmRSS", 0) / 1024,
            ],
        ],
    )
    save("memory", data, out_dir)
    return data
