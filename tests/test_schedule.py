from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from feeds import schedule
from settings import FeedSettings, PollingSettings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
POLL = PollingSettings(jitter=0)
AUTO = FeedSettings(url="http://x/feed")
FIXED = FeedSettings(url="http://x/feed", interval="15m")


def _every(minutes: float, count: int) -> list[datetime]:
    return [NOW - timedelta(minutes=minutes * i) for i in range(count)]


@pytest.mark.parametrize(
    ("published", "seconds"),
    [
        (_every(3, 50), 300),  # a wire service: clamped to min_interval
        (_every(60 * 24, 10), 7200),  # daily: 7 items/week -> 1d -> clamped to 2h
        (_every(60 * 24 * 365, 3), 7200),  # dormant for a year
        (_every(60, 200), 3600 * 7 * 24 / 168),  # hourly: 168/week -> 1h
    ],
    ids=["wire", "daily", "dormant", "hourly"],
)
def test_auto_interval_from_publishing_rate(published, seconds):
    plan = schedule.after_success(
        AUTO, POLL, NOW, random.Random(1), published=published, ttl_minutes=None, headers={}
    )
    assert plan.interval == pytest.approx(seconds, rel=0.02)
    assert abs((plan.next_check_at - NOW).total_seconds() - plan.interval) < 1
    assert plan.reason.startswith("auto:")


def test_fixed_interval_stays_fixed():
    plan = schedule.after_success(
        FIXED,
        POLL,
        NOW,
        random.Random(1),
        published=_every(1, 100),
        ttl_minutes=120,
        headers={"cache-control": "max-age=7200"},
    )
    assert plan.interval == 900 and plan.reason == "fixed 15m"


def test_ttl_is_a_floor():
    plan = schedule.after_success(
        AUTO, POLL, NOW, random.Random(1), published=_every(3, 50), ttl_minutes=60, headers={}
    )
    assert plan.interval == 3600 and plan.reason == "ttl 60"


def test_cache_control_is_a_floor_capped_by_max_interval():
    plan = schedule.after_success(
        AUTO,
        POLL,
        NOW,
        random.Random(1),
        published=_every(3, 50),
        ttl_minutes=None,
        headers={"cache-control": "public, max-age=3600"},
    )
    assert plan.interval == 3600 and plan.reason == "Cache-Control max-age=3600"
    plan = schedule.after_success(
        AUTO,
        POLL,
        NOW,
        random.Random(1),
        published=_every(3, 50),
        ttl_minutes=None,
        headers={"cache-control": "max-age=999999"},
    )
    assert plan.interval == POLL.max_interval


def test_not_modified_keeps_previous_interval():
    plan = schedule.after_success(
        AUTO,
        POLL,
        NOW,
        random.Random(1),
        published=None,
        ttl_minutes=None,
        headers={},
        previous=(1234.0, "auto: x"),
    )
    assert plan.interval == 1234.0


def test_jitter_spreads_feeds():
    polling = PollingSettings(jitter=0.1)
    times = {
        schedule.after_success(
            FIXED, polling, NOW, random.Random(i), published=[], ttl_minutes=None, headers={}
        ).next_check_at
        for i in range(20)
    }
    assert len(times) > 10
    assert all(810 <= (t - NOW).total_seconds() <= 900 for t in times)  # never late


def test_backoff_doubles_and_caps():
    waits = [
        schedule.after_failure(POLL, NOW, random.Random(1), errors=n).interval for n in range(1, 8)
    ]
    assert waits[:3] == [300, 600, 1200] and waits[-1] == POLL.max_interval


def test_retry_after_wins_and_is_capped():
    plan = schedule.after_failure(POLL, NOW, random.Random(1), errors=1, retry_after=120)
    assert plan.next_check_at == NOW + timedelta(seconds=120) and "Retry-After" in plan.reason
    plan = schedule.after_failure(POLL, NOW, random.Random(1), errors=1, retry_after=10**7)
    assert plan.interval == 86400
