"""The poll loop's storage calls, off the event loop (PostgreSQL).

A worker's cycle is bound by its requests in flight: every store call made on the event
loop (a claim, a commit waiting for the server's disk) stops every fetch of the process
meanwhile. On PostgreSQL the loop hands its hot calls (claims, releases, recording a poll,
saving entries) to a few threads, each with its own pooled connection: the fetches go on and
the commits of several feeds overlap. On SQLite (one writer, one file) the calls stay inline
on the cycle's store, exactly as before.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from storage import Store

T = TypeVar("T")
THREADS = 3  # connections: the pool holds 8 per process (keeper, delivery, the cycle's own)


class StoreThreads:
    """Run ``fn(store)`` in a worker thread on one of up to ``threads`` stores."""

    def __init__(self, database: str, threads: int = THREADS) -> None:
        self.database = database
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="store")
        self._free: list[Store] = []
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    async def run(self, fn: Callable[[Store], T]) -> T:
        """``fn`` on a store of its own; a cancelled caller does not stop a call under way
        (its transaction commits or rolls back whole)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[Store], T]) -> T:
        store = self._take()
        try:
            return fn(store)
        finally:
            with self._lock:
                self._free.append(store)

    def _take(self) -> Store:
        with self._lock:
            if self._free:
                return self._free.pop()
        store = Store.open(self.database)
        with self._lock:
            self._opened.append(store)
        return store

    def close(self) -> None:
        """Wait for the calls under way, give the connections back."""
        self._executor.shutdown(wait=True)
        with self._lock:
            opened, self._opened, self._free = self._opened, [], []
        for store in opened:
            store.close()
