"""The cycle's claim loop: lease due feeds in batches as polling slots free up, poll each
(``poll``: pipeline.poll_feed), give back what could not be recorded. In a fleet each worker
takes what it can keep busy now (about twice its ``[http] concurrency``) and leaves the rest
to the others; claims come in batches (a quarter of that width), not one feed per finished
poll, so a worker spends its time fetching rather than claiming."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from errors import NewsbotError
from models import FeedState
from storage import Store
from storage.claims import EVERYTHING
from storage.db import iso

# ctx, cycle, reports: pipeline's Context, CycleReport, FeedReport (it imports this module)

log = logging.getLogger("newsbot.pipeline")
Poll = Callable[[Any, FeedState, datetime], Coroutine[Any, Any, Any]]
PARKED_CHECK = 0.05  # s: how soon a poll parked in the backlog (service/backlog.py) frees
# its slot for another feed


async def poll_claimed(
    ctx: Any, now: datetime, everything: bool, cycle: Any, poll: Poll
) -> list[Any]:
    """Claim due feeds as polling slots free up and poll them. A feed whose poll could not
    be recorded is released and not claimed again this cycle."""
    width = max(ctx.settings.http.concurrency * 2, 4)
    batch = max(width // 4, 1)
    running: set[asyncio.Task[Any]] = set()
    reports: list[Any] = []
    retry_later: list[int] = []
    queue = await _claim(ctx, EVERYTHING, 1 << 30, [], cycle) if everything else []  # `once`
    more = not everything
    while True:
        busy = len(running) - ctx.parked()  # a poll parked in the backlog frees its slot
        room = width - busy - len(queue)
        if more and room >= batch and not ctx.stop.is_set():
            got = await _claim(ctx, iso(now), room, retry_later, cycle)
            more = len(got) == room
            queue.extend(got)
        while queue and busy < width and not ctx.stop.is_set():
            feed = queue.pop(0)
            running.add(asyncio.create_task(poll(ctx, feed, now), name=str(feed.id)))
            busy += 1
        if not running:
            if queue:  # stopped before they started: free for the others now
                await _release(ctx, [f.id for f in queue])
            return reports
        done, running = await asyncio.wait(
            running, timeout=PARKED_CHECK, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            reports.append(task.result())
            if reports[-1].status == "error":
                retry_later.append(int(task.get_name()))
                await _release(ctx, [int(task.get_name())])


async def _claim(ctx: Any, due_by: str, limit: int, skip: list[int], cycle: Any) -> list[FeedState]:
    def claim(store: Store) -> tuple[list[FeedState], int]:
        feeds = store.claim_feeds(due_by, limit, skip_ids=list(skip))
        return feeds, store.last_takeovers

    try:
        feeds, takeovers = await ctx.db(claim)
    except NewsbotError as err:  # e.g. a full disk: nothing polled, the next tick retries
        log.error("cannot claim due feeds, retried next tick: %s", err.render())
        return []
    cycle.takeovers += takeovers
    return feeds


async def _release(ctx: Any, feed_ids: list[int]) -> None:
    try:
        await ctx.db(lambda store: store.release_feeds(feed_ids))
    except NewsbotError as err:  # the lease then expires by itself
        log.error("feeds %s: lease not released: %s", feed_ids, err.render())
