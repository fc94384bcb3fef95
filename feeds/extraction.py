"""Running text extraction with a size cap and a deadline, off the event loop.

trafilatura has no limits of its own: one 8.8 MB page of nested tables took 12.8 s of CPU and
419 MB, outside the fetch deadline, and a feed may list 2,000 entries. So :func:`extract_async`

- refuses a page over MAX_PAGE_BYTES before parsing it (the article keeps its summary);
- runs :func:`feeds.extract.extract` in the parser process pool (feeds.parse), where a timer
  interrupts it after ``deadline`` seconds (SIGALRM in the worker's main thread: trafilatura is
  mostly Python, so it stops within moments; one lxml call finishes first);
- and waits at most ``deadline`` + GRACE for the answer in any case (a thread when there is no
  pool), so the service never stalls on a page.
Both limits raise ExtractError, whose message becomes the article's ``text_status``.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from errors import ExtractError
from feeds import extract, parse

MAX_PAGE_BYTES = 2_000_000  # decoded HTML; news pages are 50-500 KB
DEADLINE = 10.0  # seconds of extraction per page
GRACE = 2.0  # seconds the caller waits beyond the deadline for the worker to give up


class _TooSlow(Exception):
    """Raised inside the worker by the timer."""


async def extract_async(
    content: bytes, url: str, content_type: str = "", *, deadline: float | None = None
) -> extract.Extracted:
    """``extract.extract`` within the size cap and the deadline (DEADLINE by default);
    ExtractError beyond them."""
    deadline = DEADLINE if deadline is None else deadline
    if len(content) > MAX_PAGE_BYTES:
        raise ExtractError(
            f"page of {len(content)} bytes is over the extraction cap ({MAX_PAGE_BYTES} bytes)"
        )
    loop = asyncio.get_running_loop()
    pool = parse.worker_pool()
    args = (content, url, content_type, deadline)
    try:
        async with asyncio.timeout(deadline + GRACE):
            if pool is not None:
                try:
                    return await loop.run_in_executor(pool, extract_within, *args)
                except BrokenProcessPool:  # a worker died: this page in a thread
                    pass
            return await asyncio.to_thread(extract_within, *args)
    except TimeoutError:
        raise _too_slow(deadline) from None


def extract_within(
    content: bytes, url: str, content_type: str, deadline: float
) -> extract.Extracted:
    """extract.extract, stopped after ``deadline`` seconds when run in a main thread."""
    try:
        with _alarm(deadline):
            return extract.extract(content, url, content_type)
    except _TooSlow:
        raise _too_slow(deadline) from None


def _too_slow(deadline: float) -> ExtractError:
    return ExtractError(f"extraction took over {deadline:g}s (deadline)")


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise _TooSlow after ``seconds`` (only possible in the main thread; elsewhere the
    caller's timeout is the limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
