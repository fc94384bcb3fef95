"""How long an event loop stands still while some work runs on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def longest_stall(work: Awaitable[T]) -> tuple[T, float]:
    """``work``'s result, and the longest the loop went without running a task that asks
    to run every 10 ms while ``work`` runs."""
    gaps = [0.0]
    done = asyncio.Event()

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        return await work, max(gaps)
    finally:
        done.set()
        await ticker
