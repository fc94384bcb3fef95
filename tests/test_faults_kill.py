"""kill -9 in the middle of `bot.py once`, 20 times in a row on the same archive.

A local site (3 feeds that grow every other round, slow article pages) and two channels: a
webhook receiver in this process (it counts deliveries by Idempotency-Key) and a jsonl file.
Each round starts `bot.py once` and SIGKILLs it at a random point: a timer after its first
request, inside the k-th page request (entries saved, article not processed), inside the k-th
webhook delivery (sent, not marked), or just after it. Then two clean runs. Every expected alert
(watch x article x channel) must have arrived, none twice once deduplicated by alert id, and
the archive must pass `PRAGMA integrity_check`. Raw resends (same id) are printed: they are
allowed by design after a kill between send and mark.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faultkit import BOT, PYTHON, Receiver, integrity, roomy_server, write_toml
from feedfactory import rss
from httpserver import LocalServer, Reply, Request

import settings as settings_mod
from feeds.identity import normalize_url
from service.delivery import Delivery
from storage import Store
from storage.outbox import LEASE, alert_id

pytestmark = pytest.mark.fault

ROUNDS = 20
FEEDS = ("north", "south", "east")
WATCHES = {"Aleppo": lambda i: True, "Convoy": lambda i: i % 3 == 0}
CHANNELS = ("hook", "file")
NEUTRAL = [
    "The council met on Tuesday to discuss the budget for the coming year in detail.",
    "Several members asked for more time to read the proposals before any vote was held.",
    "A spokesperson said a decision was expected before the end of the month, at the latest.",
]


SUBJECTS = [
    [
        "Bakers",
        "Teachers",
        "Nurses",
        "Cyclists",
        "Farmers",
        "Miners",
        "Pilots",
        "Drivers",
        "Students",
        "Fishermen",
        "Weavers",
        "Doctors",
        "Librarians",
    ],
    [
        "A museum",
        "The airport",
        "A stadium",
        "The harbour",
        "A bridge",
        "The zoo",
        "A factory",
        "The railway",
        "A hospital",
        "The market",
        "A theatre",
        "The dam",
        "A school",
    ],
    [
        "Snowfall",
        "A heatwave",
        "Floodwater",
        "A sandstorm",
        "Hail",
        "Frost",
        "Fog",
        "A drought",
        "Lightning",
        "A gale",
        "Rainfall",
        "A mudslide",
        "Smoke",
    ],
]
VERBS = [
    "stage a protest",
    "reopen after repairs",
    "break a record",
    "close for a week",
    "win an award",
    "face new rules",
    "celebrate an anniversary",
    "move to a new site",
    "get a new budget",
    "draw large crowds",
    "delay the season",
]


def summary(feed: str, i: int, words: str) -> str:
    """A lead of its own per feed and item (no two items are rewrites of each other)."""
    lead = {"north": "Latest from", "south": "Our southern desk on", "east": "Eastern bureau:"}
    return f"{lead[feed]} {words} today; {Site.title(feed, i).lower()}, entry {i * 7 + 3}."


class Site:
    """Feeds whose item count depends on the round; pages that answer slowly."""

    def __init__(self, server: LocalServer, rng: random.Random) -> None:
        self.server = server
        self.rng = rng
        self.round = 0
        self.on_page: Callable[[], None] | None = None
        for feed in FEEDS:
            server.route(f"/{feed}.xml", self._feed_handler(feed))
            for i in range(self.items_at(ROUNDS + 2)):
                server.route(f"/p/{feed}/{i}.html", self._page_handler(feed, i))

    @staticmethod
    def items_at(round_no: int) -> int:
        return 2 + round_no // 2

    @staticmethod
    def title(feed: str, i: int) -> str:
        """A distinct event per item: every item is a story of its own, so every (watch,
        item) pair alerts once."""
        k = FEEDS.index(feed)
        return f"{SUBJECTS[k][i % 13]} {VERBS[(i + 4 * k) % 11]} ({feed} report {i})"

    def link(self, feed: str, i: int) -> str:
        return self.server.url(f"/p/{feed}/{i}.html")

    def _feed_handler(self, feed: str):
        def handler(req: Request) -> Reply:
            n = self.items_at(self.round)
            items = []
            for i in range(n):
                words = "Aleppo" + (" convoy" if WATCHES["Convoy"](i) else "")
                items.append(
                    (
                        f"{feed}-{i}",
                        self.title(feed, i),
                        self.link(feed, i),
                        summary(feed, i, words),
                    )
                )
            return Reply(200, rss(items, title=feed), {"Content-Type": "application/rss+xml"})

        return handler

    def _page_handler(self, feed: str, i: int):
        title = self.title(feed, i)
        body = (
            f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in NEUTRAL)
            + "</article></body></html>"
        ).encode()

        def handler(req: Request) -> Reply:
            if self.on_page is not None:
                self.on_page()
            delay = self.rng.uniform(0.02, 0.15)
            return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"}, delay=delay)

        return handler


def _config(tmp_path: Path, site: Site, receiver: Receiver) -> Path:
    data = {
        "storage": {"path": str(tmp_path / "archive.db")},
        "http": {"timeout": "2s", "allow_private_networks": True, "per_host": 4},
        "feeds": [{"name": f, "url": site.server.url(f"/{f}.xml")} for f in FEEDS],
        "watches": [{"name": w, "keywords": [w.lower()]} for w in WATCHES],
        "notifiers": {
            "hook": {"type": "webhook", "url": receiver.url, "timeout": "2s"},
            "file": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")},
        },
    }
    return write_toml(tmp_path / "config.toml", data)


class Killer:
    """Kills the current process once, from any thread."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.killed_at: str | None = None

    def arm(self, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.proc, self.killed_at = proc, None

    def kill(self, where: str, proc: subprocess.Popen[bytes] | None = None) -> None:
        """Kill the armed process (only if it is still ``proc``, when given)."""
        with self.lock:
            if self.proc is None or self.killed_at is not None or self.proc.poll() is not None:
                return
            if proc is not None and proc is not self.proc:
                return  # a late timer from an earlier round
            os.kill(self.proc.pid, 9)
            self.killed_at = where


def _start(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(PYTHON), str(BOT), "--config", str(cfg), "once"],
        cwd=cfg.parent,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _round(
    rng: random.Random,
    n: int,
    cfg: Path,
    tmp_path: Path,
    site: Site,
    receiver: Receiver,
    killer: Killer,
) -> str:
    strategy = rng.choice(["timer", "page", "hook", "hook-late"])
    k = rng.randint(1, 4)
    counters = Counter[str]()
    box: list[subprocess.Popen[bytes]] = []  # this round's process, for late timers

    def on_page() -> None:
        counters["page"] += 1
        if strategy == "page" and counters["page"] == k:
            killer.kill(f"inside page request {k}")

    def on_delivery(_d: object) -> None:
        counters["hook"] += 1
        if counters["hook"] != k:
            return
        if strategy == "hook":
            killer.kill(f"inside webhook delivery {k} (sent, not marked)")
        elif strategy == "hook-late":
            delay = rng.uniform(0, 0.03)
            where = f"{delay * 1000:.0f} ms after delivery {k}"
            threading.Timer(delay, killer.kill, [where, box[0]]).start()

    site.on_page, receiver.on_delivery = on_page, on_delivery
    seen = len(site.server.requests)
    proc = _start(cfg, tmp_path / f"round{n:02d}.log")
    killer.arm(proc)
    box.append(proc)
    deadline = time.monotonic() + 60
    if strategy == "timer":
        while len(site.server.requests) == seen and proc.poll() is None:
            assert time.monotonic() < deadline, "bot.py once never fetched anything"
            time.sleep(0.01)
        delay = rng.uniform(0, 1.0)
        time.sleep(delay)
        killer.kill(f"{delay:.2f}s after its first request")
    try:
        rc = proc.wait(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        killer.kill("timeout")
        rc = proc.wait(timeout=10)
        raise AssertionError(f"round {n}: bot.py once hung for 60 s") from None
    finally:
        site.on_page = receiver.on_delivery = None
    log = (tmp_path / f"round{n:02d}.log").read_text()
    if not killer.killed_at:
        assert rc == 0 and "Traceback" not in log, log[-3000:]
    return f"round {n:2d}: {strategy:9s} -> " + (
        f"killed {killer.killed_at}" if killer.killed_at else f"exited {rc}"
    )


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.timeout(900)  # 20 runs of the service: 3-4 min alone, more on a busy machine
def test_kill_9_mid_cycle_twenty_times(tmp_path: Path) -> None:
    with roomy_server() as server:
        _kill_test(tmp_path, server)


def _kill_test(tmp_path: Path, http_server: LocalServer) -> None:
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
    print(f"kill -9 test: seed {seed} (rerun with FAULT_SEED={seed})")
    rng = random.Random(seed)
    site = Site(http_server, random.Random(seed + 1))
    receiver = Receiver().start()
    try:
        cfg = _config(tmp_path, site, receiver)
        killer = Killer()
        for n in range(ROUNDS):
            site.round = n
            print(_round(rng, n, cfg, tmp_path, site, receiver, killer))
        site.round = ROUNDS
        for final in range(2):
            log = tmp_path / f"final{final}.log"
            proc = _start(cfg, log)
            assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
            assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
        _check(tmp_path, cfg, site, receiver)
    finally:
        receiver.stop()


def _check(tmp_path: Path, cfg: Path, site: Site, receiver: Receiver) -> None:
    db = tmp_path / "archive.db"
    assert integrity(db) == "ok"
    # A kill between the lease ('sending') and the send leaves the alert leased for LEASE:
    # not lost, sent by the first delivery after the lease expires. Jump the clock past it.
    settings = settings_mod.load(cfg)
    with Store.open(db) as store:
        leased = store.list_alerts("sending", limit=1000)
        print(f"alerts still leased after the clean runs: {len(leased)} (LEASE {LEASE})")
        if leased:
            later = datetime.now(UTC).replace(microsecond=0) + LEASE + timedelta(minutes=1)
            with Delivery.from_settings(settings, clock=lambda: later) as d:
                d.due(store)
        statuses = Counter(r[0] for r in store.db.execute("SELECT status FROM alerts"))
        unprocessed = store.db.execute("SELECT count(*) FROM articles WHERE processed = 0")
        assert unprocessed.fetchone()[0] == 0
    n_items = site.items_at(ROUNDS)
    pairs = {
        (w, site.link(f, i))
        for f in FEEDS
        for i in range(n_items)
        for w, wanted in WATCHES.items()
        if wanted(i)
    }
    expected = {ch: {alert_id(w, normalize_url(u), ch) for w, u in pairs} for ch in CHANNELS}
    print(f"expected alerts: {sum(len(v) for v in expected.values())}; outbox: {dict(statuses)}")
    assert statuses == {"sent": len(pairs) * len(CHANNELS)}

    hook = receiver.counts()
    dupes = {k: c for k, c in hook.items() if c > 1}
    print(
        f"webhook: {sum(hook.values())} deliveries, {len(hook)} distinct ids, "
        f"{len(dupes)} ids resent (same Idempotency-Key, allowed): {sorted(dupes.values())}"
    )
    assert set(hook) == expected["hook"]
    assert {(d.payload["watch"], d.payload["url"]) for d in receiver.accepted()} == pairs

    lines = _jsonl(tmp_path / "alerts.jsonl")
    ids = Counter(x["alert_id"] for x in lines)
    print(f"jsonl: {len(lines)} lines, {len(ids)} distinct ids")
    assert set(ids) == expected["file"]
    assert {(x["watch"], x["url"]) for x in lines} == pairs
    assert max(ids.values()) == 1, "jsonl wrote an alert twice"
