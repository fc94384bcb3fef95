"""The one Retry-After parser and the one backoff helper (fetch, schedule, webhook, delivery)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from retry import MAX_RETRY_AFTER, backoff, retry_after

NOW = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("  30 ", 30.0),
        ("999999999", 86400.0),  # capped at 24 h
        ("Thu, 14 Mar 2024 10:02:00 GMT", 120.0),
        ("Thu, 14 Mar 2024 09:00:00 GMT", 0.0),  # in the past
        ("Sat, 16 Mar 2024 10:00:00 GMT", 86400.0),
        ("Thu, 14 Mar 2024 10:00:30", 30.0),  # no zone: read as UTC
        ("-5", None),
        ("soon", None),
        ("garbage", None),
    ],
    ids=lambda v: repr(v),
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after(value, NOW) == expected


def test_retry_after_http_date_against_the_wall_clock() -> None:
    got = retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
    assert got == 0.0  # long past


@pytest.mark.parametrize(
    ("failures", "after", "expected"),
    [
        (0, None, 30.0),
        (1, None, 30.0),
        (2, None, 60.0),
        (3, None, 120.0),
        (8, None, 3600.0),  # capped
        (50, None, 3600.0),
        (3, 5.0, 5.0),  # the server's Retry-After wins
        (1, 10.0**7, MAX_RETRY_AFTER),  # even over the cap, but never past 24 h
        (2, 0.0, 60.0),  # "0" means no wish: back off as usual
    ],
    ids=["zero", "first", "second", "third", "capped", "far", "retry-after", "ra-capped", "ra-0"],
)
def test_backoff(failures: int, after: float | None, expected: float) -> None:
    assert backoff(failures, 30.0, 3600.0, after) == expected
