"""fleet: one poll cycle over N feeds (200 ms a request, spread over H host names) done by 1, 2
and 3 `bot.py run` workers sharing one PostgreSQL database, ``[http] per_host = 2`` for the
whole fleet.

Each worker count gets a fresh schema; the workers start, poll every feed once (cold), then
every feed is made due again at once and the warm cycle is timed (every answer a 304: a
latency-bound cycle) until every feed has been polled again. Requests per feed per cycle are
counted by the site (must be exactly 1). Target: 3 workers >= 2.5x faster than 1.

The machine has 2 cores: beside each warm cycle the CPU seconds its workers and the site
spent are shown, and how busy the whole machine was meanwhile (other processes included):
a cycle that finds the machine busy is bound by CPU, not by latency.

Needs a PostgreSQL server: NEWSBOT_BENCH_DATABASE_URL (default: the tests' server).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import PYTHON, ROOT, ratio, save, table, target
from bench.fleetsite import SiteProcess
from bench.pgschemas import temporary_schema
from storage import Store

SERVER = os.environ.get(
    "NEWSBOT_BENCH_DATABASE_URL",
    os.environ.get("NEWSBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)


def _config(tmp: Path, url: str, site: SiteProcess, feeds: int) -> Path:
    body = "".join(
        f'[[feeds]]\nname = "feed-{i}"\nurl = "{site.url(i)}"\ninterval = "1h"\nfull_text = false\n'
        for i in range(feeds)
    )
    cfg = tmp / "config.toml"
    cfg.write_text(
        f'[storage]\nurl = "{url}"\n[http]\nper_host = 2\n[polling]\ntick = "1s"\n' + body,
        encoding="utf-8",
    )
    return cfg


def _wait_polls(url: str, feeds: int, polls: int, timeout: float) -> float | None:
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() - started < timeout:
            row = conn.execute(f"SELECT count(*) FROM feeds WHERE polls >= {polls}").fetchone()
            if row and int(row[0]) >= feeds:
                return time.monotonic() - started
            time.sleep(0.1)
    return None


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds the processes spent so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine so far."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return sum(ticks) - idle, sum(ticks)


def one_fleet(
    workers: int, feeds: int, hosts: int, latency: float, timeout: float
) -> dict[str, Any]:
    with SiteProcess(feeds, hosts, latency) as site, temporary_schema(SERVER) as url:
        tmp = Path(tempfile.mkdtemp(prefix=f"newsbot-fleet-{workers}-"))
        cfg = _config(tmp, url, site, feeds)
        with Store.open(url):
            pass  # the schema, before the workers race to it (they would wait on its lock)
        procs = [
            subprocess.Popen(
                [PYTHON, str(ROOT / "bot.py"), "--config", str(cfg), "run"],
                cwd=str(tmp),
                stdout=subprocess.DEVNULL,
                stderr=(tmp / f"w{w}.log").open("wb"),
            )
            for w in range(workers)
        ]
        try:
            cold = _wait_polls(url, feeds, 1, timeout)
            site.reset()
            pids = [p.pid for p in procs]
            cpu0, site0, machine0 = _cpu_s(pids), _cpu_s(site.pids), _machine()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE feeds SET next_check_at = ''")  # every feed due now
            warm = _wait_polls(url, feeds, 2, timeout)
            cpu, site_cpu, machine = _cpu_s(pids), _cpu_s(site.pids), _machine()
            seen = site.snapshot()
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
    counts = list(seen["requests"].values())
    return {
        "workers": workers,
        "cold_s": cold,
        "warm_s": warm,
        "requests": seen["total"],
        "feeds_requested": len(counts),
        "max_requests_per_feed": max(counts, default=0),
        "min_requests_per_feed": min(counts, default=0),
        "peak_per_host": max(seen["peak"].values(), default=0),
        "workers_cpu_s": round(cpu - cpu0, 1),
        "site_cpu_s": round(site_cpu - site0, 1),
        "machine_busy": round((machine[0] - machine0[0]) / max(machine[1] - machine0[1], 1), 2),
    }


def run(
    *,
    quick: bool = False,
    full: bool = False,
    feeds: int | None = None,
    hosts: int = 100,
    latency: float = 0.2,
    fleets: tuple[int, ...] = (1, 2, 3),
    out_dir: Path | None = None,
    **_: Any,
) -> dict[str, Any]:
    n = feeds or (500 if quick else 2000)
    timeout = max(900.0, n * latency * 2)  # a loaded machine: the cold cycle is CPU-bound
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error as exc:
        why = f"no PostgreSQL at {SERVER}: {str(exc).strip()}"
        print(f"fleet: not measured: {why}")
        return {"params": {"feeds": n}, "rows": [], "targets": [target("fleet", None, why)]}
    rows = [one_fleet(w, n, min(hosts, n), latency, timeout) for w in fleets]
    base = rows[0]["warm_s"]
    for r in rows:
        r["speedup"] = ratio(base, r["warm_s"]) if base and r["warm_s"] else None
    table(
        f"fleet: warm cycle over {n} feeds, {latency * 1000:.0f} ms each, {hosts} hosts",
        [
            "workers",
            "cold s",
            "warm s",
            "speedup",
            "req/feed min-max",
            "peak per host",
            "workers CPU s",
            "site CPU s",
            "machine busy",
        ],
        [
            [
                r["workers"],
                r["cold_s"],
                r["warm_s"],
                r["speedup"],
                f"{r['min_requests_per_feed']}-{r['max_requests_per_feed']}",
                r["peak_per_host"],
                r["workers_cpu_s"],
                r["site_cpu_s"],
                r["machine_busy"],
            ]
            for r in rows
        ],
    )
    last = rows[-1]
    exact = all(r["min_requests_per_feed"] == r["max_requests_per_feed"] == 1 for r in rows)
    data = {
        "params": {"feeds": n, "hosts": hosts, "latency": latency, "per_host": 2},
        "rows": rows,
        "targets": [
            target(
                f"{last['workers']} workers >= 2.5x faster than 1 (warm cycle)",
                (last["speedup"] or 0) >= 2.5 if last["speedup"] else None,
                f"{last['speedup'] or 0:.2f}x ({_secs(base)} -> {_secs(last['warm_s'])})",
            ),
            target("every feed requested exactly once per cycle", exact, str(exact)),
        ],
    }
    save("fleet", data, out_dir)
    return data


def _secs(value: float | None) -> str:
    return f"{value:.1f} s" if value else "not measured"
