"""The service: the only APScheduler user. Two jobs, whatever the number of feeds:

- tick (every ``[polling] tick``): poll the feeds storage says are due (scheduling state lives
  on the feed rows, so a restart resumes exactly where it stopped);
- deliver (every few seconds): send what the outbox holds.

Both run with coalesce=True and max_instances=1. SIGINT/SIGTERM: stop taking new feeds, give
in-flight fetches a few seconds (a cancelled fetch writes nothing; a write already handed
to a store thread on PostgreSQL commits or rolls back whole), finish the writes, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from errors import NewsbotError
from matching.rules import Ruleset
from service.delivery import Delivery
from service.keeper import LeaseKeeper
from service.metrics import Metrics
from service.pipeline import CycleReport
from service.wiring import open_store, poll_cycle
from settings import Settings
from storage import Store
from storage.pg import redact

log = logging.getLogger("newsbot.service")
DELIVER_EVERY = 5.0
STOP_GRACE = 3.0


class Service:
    def __init__(self, settings: Settings, ruleset: Ruleset) -> None:
        self.settings = settings
        self.ruleset = ruleset
        self.stop = threading.Event()
        self.delivery = Delivery.from_settings(settings)  # one rate-limit window per process
        self.sched: BackgroundScheduler | None = None
        self.metrics = Metrics(settings.polling.tick)

    def tick(self) -> None:
        try:
            with Store.open(self.settings.database) as store:
                due = store.count_due(datetime.now(UTC))
                report = asyncio.run(self._cycle(store))
            self.metrics.ticked(report, due)
            if report.alerts or report.resumed:
                self._deliver_now()
            if report.feeds or report.resumed:
                log.info(
                    "cycle: %d feeds, %d new articles, %d alerts queued, %d failing, %.1fs",
                    len(report.feeds),
                    report.new,
                    report.alerts,
                    len(report.failed),
                    report.seconds,
                )
        except NewsbotError as err:
            self.metrics.tick_failed(err.message)
            log.error("tick failed, will retry: %s", err.render())

    async def _cycle(self, store: Store) -> CycleReport:
        task = asyncio.create_task(poll_cycle(self.settings, store, self.ruleset, stop=self.stop))
        while not task.done():
            await asyncio.wait({task}, timeout=0.2)
            if self.stop.is_set() and not task.done():
                await asyncio.wait({task}, timeout=STOP_GRACE)
                task.cancel()
        try:
            return await task
        except asyncio.CancelledError:
            log.info("cycle cancelled by shutdown; unfinished feeds stay due")
            return CycleReport()

    def _deliver_now(self) -> None:
        """New alerts: run the deliver job now instead of at its next beat."""
        if self.sched is not None and self.sched.running:
            self.sched.modify_job("deliver", next_run_time=datetime.now(UTC))

    def deliver(self) -> None:
        try:
            started = time.monotonic()
            with Store.open(self.settings.database) as store:
                report = self.delivery.due(store)
                outbox = store.alert_counts()
            self.metrics.delivered(report, time.monotonic() - started, outbox)
        except NewsbotError as err:
            log.error("delivery failed, will retry: %s", err.render())

    def run(self) -> None:
        """Block until SIGINT/SIGTERM (or ``self.stop`` is set)."""
        with open_store(self.settings):
            pass  # migrations + feed sync before the first job
        self.sched = sched = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        now = datetime.now(UTC)
        sched.add_job(
            self.tick, "interval", seconds=self.settings.polling.tick, next_run_time=now, id="tick"
        )
        sched.add_job(
            self.deliver, "interval", seconds=DELIVER_EVERY, next_run_time=now, id="deliver"
        )
        self._install_signals()
        log.info(
            "newsbot running: %d feeds, %d watches, archive %s",
            len(self.settings.feeds),
            len(self.settings.watches),
            redact(self.settings.database),
        )
        listen = self.settings.metrics.listen
        server = self.metrics.serve(listen) if listen else None
        if server is not None:
            log.info("metrics on http://%s/metrics and /healthz", listen)
        keeper = LeaseKeeper(self.settings.database).__enter__()
        sched.start()
        try:
            self.stop.wait()
        finally:
            log.info("stopping: finishing the work in flight")
            sched.shutdown(wait=True)
            keeper.__exit__(None, None, None)
            if server is not None:
                server.shutdown()
            self.delivery.close()
            log.info("stopped")

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop.set())
