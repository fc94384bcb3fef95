"""Opt-in operations endpoint of one worker (``[metrics] listen = "127.0.0.1:9108"``):

  /metrics   Prometheus text (prometheus_client): feeds due and polled, fetch failures by
             kind, articles archived, alerts queued / sent / failed and in the outbox by
             status, cycle and delivery durations, feed leases taken over from other workers;
  /healthz   200 "ok" while ticks complete (the last one within 4 ticks, at least 60 s), else
             503 with the reason: what a load balancer or an orchestrator asks.

Each Service has its own registry (no process-global state), updated after every tick and
delivery beat from their reports.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from errors import ConfigError

CYCLE_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)


class Metrics:
    def __init__(self, tick: float) -> None:
        self.registry = r = CollectorRegistry()
        self.stale_after = max(4 * tick, 60.0)
        self.last_tick: float | None = None
        self.last_error: str | None = None
        self.feeds_due = Gauge("newsbot_feeds_due", "feeds due at the last tick", registry=r)
        self.polled = Counter("newsbot_feeds_polled", "feed polls by this worker", registry=r)
        self.failures = Counter(
            "newsbot_fetch_failures", "failed polls, by kind", ["kind"], registry=r
        )
        self.archived = Counter("newsbot_articles_archived", "new articles", registry=r)
        self.queued = Counter("newsbot_alerts_queued", "alerts raised", registry=r)
        self.sent = Counter("newsbot_alerts_sent", "alerts a channel accepted", registry=r)
        self.retried = Counter("newsbot_alerts_retried", "sends to retry", registry=r)
        self.failed = Counter("newsbot_alerts_failed", "alerts failed for good", registry=r)
        self.outbox = Gauge("newsbot_alerts", "alerts in the outbox", ["status"], registry=r)
        self.takeovers = Counter(
            "newsbot_lease_takeovers", "feeds taken from an expired lease", registry=r
        )
        self.cycle = Histogram(
            "newsbot_cycle_seconds", "poll cycle duration", buckets=CYCLE_BUCKETS, registry=r
        )
        self.delivery = Histogram("newsbot_delivery_seconds", "delivery beat duration", registry=r)

    def ticked(self, report: Any, due: int) -> None:
        """After a tick: its CycleReport (service/pipeline.py) and the feeds due at its start."""
        self.feeds_due.set(due)
        self.polled.inc(len(report.feeds))
        for f in report.failed:  # a PollFailure's kind; "error" when it was not recorded
            self.failures.labels(str(getattr(f.outcome, "kind", None) or "error")).inc()
        self.archived.inc(report.new)
        self.queued.inc(report.alerts)
        self.takeovers.inc(getattr(report, "takeovers", 0))
        self.cycle.observe(report.seconds)
        self.last_tick, self.last_error = time.monotonic(), None

    def tick_failed(self, error: str) -> None:
        self.last_error = error

    def delivered(self, report: Any, seconds: float, outbox: dict[str, int]) -> None:
        self.sent.inc(report.sent)
        self.retried.inc(report.retried)
        self.failed.inc(report.failed)
        self.delivery.observe(seconds)
        for status in ("pending", "sending", "sent", "failed"):
            self.outbox.labels(status).set(outbox.get(status, 0))

    def health(self) -> tuple[bool, str]:
        if self.last_error:
            return False, f"the last tick failed: {self.last_error}"
        if self.last_tick is None:
            return False, "starting: no tick completed yet"
        age = time.monotonic() - self.last_tick
        if age > self.stale_after:
            return False, f"no tick completed for {age:.0f}s"
        return True, "ok"

    def serve(self, listen: str) -> ThreadingHTTPServer:
        """Serve /metrics and /healthz from a daemon thread; returns the server."""
        host, _, port = listen.rpartition(":")
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.split("?")[0] == "/metrics":
                    self._reply(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
                elif self.path.split("?")[0] == "/healthz":
                    ok, why = metrics.health()
                    self._reply(200 if ok else 503, why.encode() + b"\n", "text/plain")
                else:
                    self._reply(404, b"/metrics or /healthz\n", "text/plain")

            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        try:
            server = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), Handler)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"[metrics] listen = {listen!r}: cannot listen there: {exc}",
                hint='give a free host:port, e.g. "127.0.0.1:9108"',
            ) from exc
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        return server
