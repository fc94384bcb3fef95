"""latency: end to end, from an item appearing in a local feed to its alert being accepted
by a local SMTP server (aiosmtpd), through the real service (``bot.py --config C run`` as a
subprocess) with ``interval = "60s"`` and ``[polling] tick = "1s"``.

Three feeds run as three independent trials in one service run: after the first cycle, each
feed gets its matching item at its own random moment within one interval. ``--quick``: one
trial at a 10 s interval. Target: every trial within one interval + 2 s.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, median, save, table, target
from bench.corpus import build_feed
from bench.server import FeedServer, LogWatcher, write_toml

SLACK = 2.0


class _Inbox:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.messages = 0
        self.tokens: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        now = time.time()
        self.messages += 1
        raw = envelope.original_content or envelope.content or b""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        for tok in self.tokens:
            if tok in text and tok not in self.arrivals:
                self.arrivals[tok] = now
        return "250 Message accepted for delivery"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(
    quick: bool = False,
    full: bool = False,
    *,
    interval: float | None = None,
    trials: int | None = None,
    out_dir: Path | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    interval = interval or (10.0 if quick else 60.0)
    trials = trials or (1 if quick else 3)
    rng = random.Random(seed)
    inbox = _Inbox()
    inbox.tokens = [f"ZQ{k}X{rng.randrange(10**6)}" for k in range(trials)]
    smtp_port = _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    paths = [f"/t/{k}.xml" for k in range(trials)]
    feeds = FeedServer({p: build_feed(k, 10, host="127.0.0.1") for k, p in enumerate(paths)})
    feeds.start()
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-latency-"))
    added: dict[str, float] = {}
    figures: dict[str, Any] = {}
    try:
        cfg = write_toml(
            tmp / "config.toml",
            {
                "storage": {"path": str(tmp / "latency.db")},
                "http": {"timeout": "10s", "allow_private_networks": True},
                "polling": {"tick": "1s"},
                "notifiers": {
                    "mail": {
                        "type": "email",
                        "host": "127.0.0.1",
                        "port": smtp_port,
                        "security": "none",
                        "from": "newsbot@bench.test",
                        "to": ["desk@bench.test"],
                    }
                },
                "feeds": [
                    {
                        "name": f"trial-{k}",
                        "url": feeds.url(p),
                        "interval": f"{interval:g}s",
                        "full_text": False,
                    }
                    for k, p in enumerate(paths)
                ],
                "watches": [{"name": "Quokka storms", "keywords": ["quokkastorm"]}],
            },
        )
        proc = subprocess.Popen(
            [PYTHON, str(ROOT / "bot.py"), "--config", str(cfg), "run"],
            cwd=str(tmp),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        log = LogWatcher(proc.stderr)
        try:
            first = log.wait_for("cycle:", 120)
            if first is None:
                raise RuntimeError(
                    "the service did not finish its first cycle: " + " | ".join(log.lines[-10:])
                )
            t0 = time.time()
            offsets = [rng.uniform(0, interval) for _ in range(trials)]

            def add(k: int, tok: str, at: float) -> None:
                time.sleep(max(0.0, at - time.time()))
                body = build_feed(
                    k,
                    10,
                    host="127.0.0.1",
                    extra_items=[
                        (
                            f"urn:trial:{tok}",
                            f"Quokkastorm warning {tok} issued for the coast",
                            f"Forecasters issued a quokkastorm warning ({tok}).",
                        )
                    ],
                )
                added[tok] = time.time()
                feeds.set(paths[k], body)

            threads = [
                threading.Thread(target=add, args=(k, tok, t0 + off), daemon=True)
                for k, (tok, off) in enumerate(zip(inbox.tokens, offsets, strict=True))
            ]
            for th in threads:
                th.start()
            deadline = t0 + 2 * interval + 30
            while time.time() < deadline and len(inbox.arrivals) < trials:
                time.sleep(0.05)
            for th in threads:
                th.join(1)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        figures["exit_code"] = proc.returncode
    finally:
        smtp.stop()
        feeds.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    results = []
    for tok in inbox.tokens:
        lat = inbox.arrivals[tok] - added[tok] if tok in inbox.arrivals and tok in added else None
        results.append({"token": tok, "latency_s": lat})
    lats = [r["latency_s"] for r in results if r["latency_s"] is not None]
    limit = interval + SLACK
    worst = max(lats) if lats else None
    all_in = len(lats) == trials
    data = {
        "params": {
            "interval_s": interval,
            "tick_s": 1.0,
            "trials": trials,
            "jitter": 0.1,
            "deliver_every_s": 5.0,
            "full_text": False,
        },
        "trials": results,
        "latency_max_s": worst,
        "latency_median_s": median(lats) if lats else None,
        "ratio_max_over_interval": worst / interval if worst is not None else None,
        "emails": inbox.messages,
        **figures,
    }
    data["targets"] = [
        target(
            f"latency: every trial <= interval + {SLACK:g}s ({interval:g}s)",
            all_in and worst is not None and worst <= limit,
            (
                f"max {worst:.1f}s, median {median(lats):.1f}s over {len(lats)}/{trials} trials"
                if lats
                else "no alert arrived"
            ),
        ),
    ]
    table(
        f"latency: item -> SMTP accepted, interval {interval:g}s, tick 1s",
        ["trial", "latency s", "limit s"],
        [
            [r["token"], r["latency_s"] if r["latency_s"] is not None else "lost", limit]
            for r in results
        ],
    )
    save("latency", data, out_dir)
    return data
