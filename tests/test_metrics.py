"""The opt-in /metrics and /healthz of a worker, over a real socket on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from errors import ConfigError, ErrorKind
from models import Plan, PollFailure, PollSuccess
from service.delivery import DeliveryReport
from service.metrics import Metrics
from service.pipeline import CycleReport, FeedReport

PLAN = Plan(datetime(2026, 11, 25, tzinfo=UTC), 900.0, "auto")


@pytest.fixture
def served():
    m = Metrics(tick=15)
    server = m.serve("127.0.0.1:0")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield m, base
    server.shutdown()


def test_health_is_503_until_a_tick_completes_then_200(served):
    m, base = served
    r = httpx.get(base + "/healthz")
    assert r.status_code == 503 and "no tick completed yet" in r.text
    m.ticked(CycleReport(), due=0)
    assert httpx.get(base + "/healthz").status_code == 200
    m.tick_failed("disk full")
    r = httpx.get(base + "/healthz")
    assert r.status_code == 503 and "disk full" in r.text


def test_metrics_count_what_the_reports_say(served):
    m, base = served
    report = CycleReport(
        feeds=[
            FeedReport("a", PollSuccess(200, PLAN), new=3, alerts=1),
            FeedReport("b", PollFailure(ErrorKind.HTTP, 503, "down", "", PLAN), error="down"),
            FeedReport("c", None, error="disk full"),
        ],
        seconds=2.5,
        takeovers=2,
    )
    m.ticked(report, due=7)
    m.delivered(DeliveryReport(sent=1, failed=1), 0.3, {"pending": 4, "sent": 1, "failed": 1})
    text = httpx.get(base + "/metrics").text
    for line in [
        "newsbot_feeds_due 7.0",
        "newsbot_feeds_polled_total 3.0",
        'newsbot_fetch_failures_total{kind="http"} 1.0',
        'newsbot_fetch_failures_total{kind="error"} 1.0',
        "newsbot_articles_archived_total 3.0",
        "newsbot_alerts_queued_total 1.0",
        "newsbot_alerts_sent_total 1.0",
        "newsbot_alerts_failed_total 1.0",
        'newsbot_alerts{status="pending"} 4.0',
        "newsbot_lease_takeovers_total 2.0",
        "newsbot_cycle_seconds_count 1.0",
    ]:
        assert line in text, line


def test_a_taken_address_is_a_config_error(served):
    _, base = served
    with pytest.raises(ConfigError, match=r"\[metrics\] listen"):
        Metrics(tick=15).serve(base.removeprefix("http://"))
