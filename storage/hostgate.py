"""``[http] per_host`` for a whole fleet: each host has ``per_host`` slots, a slot is a
PostgreSQL session advisory lock (key: the host's hash and the slot number), held on one
connection of the worker while its request runs. A worker that dies loses its connection and
the server frees its slots at once: nothing to expire.

Advisory locks are re-entrant within a session, so the slots this process already holds are
never asked for again (they are tracked here). Waiting is polling: every 20-200 ms a try for
any free slot (``pg_try_advisory_lock``), never a blocking wait holding the connection.
If the database cannot be asked, the gate steps aside (the per-process limit still holds)
and says so once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg

log = logging.getLogger("newsbot.hostgate")
NAMESPACE = "newsbot-host:"
POLL_MIN, POLL_MAX = 0.02, 0.2


class HostGate:
    def __init__(self, url: str, per_host: int) -> None:
        self.url = url
        self.per_host = per_host
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._held: dict[str, set[int]] = defaultdict(set)
        self._broken = False
        self._lock = asyncio.Lock()  # one query at a time, and the held set stays true

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        return self._conn

    async def _try(self, host: str) -> int | None:
        async with self._lock:
            return await self._try_locked(host)

    async def _try_locked(self, host: str) -> int | None:
        free = [n for n in range(self.per_host) if n not in self._held[host]]
        if not free:
            return None
        conn = await self._connection()
        cur = await conn.execute(
            "SELECT n FROM unnest(%s::int[]) AS n"
            " WHERE pg_try_advisory_lock(hashtext(%s), n) LIMIT 1",
            [free, NAMESPACE + host],
        )
        row = await cur.fetchone()
        if row is None:
            return None
        self._held[host].add(int(row[0]))
        return int(row[0])

    async def _release(self, host: str, slot: int) -> None:
        async with self._lock:
            try:
                conn = await self._connection()
                await conn.execute(
                    "SELECT pg_advisory_unlock(hashtext(%s), %s)", [NAMESPACE + host, slot]
                )
            finally:
                self._held[host].discard(slot)
                if not self._held[host]:
                    self._held.pop(host, None)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's fleet-wide slots for the duration of the block."""
        slot = await self._acquire(host)
        try:
            yield
        finally:
            if slot is not None:
                try:
                    await asyncio.shield(self._release(host, slot))
                except (psycopg.Error, OSError) as exc:  # its connection is gone: so is the lock
                    self._stepped_aside(exc)

    async def _acquire(self, host: str) -> int | None:
        delay = POLL_MIN
        while not self._broken:
            try:
                slot = await self._try(host)
            except (psycopg.Error, OSError) as exc:
                self._stepped_aside(exc)
                return None
            if slot is not None:
                return slot
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_MAX)
        return None

    def _stepped_aside(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("fleet-wide per-host limit off for this cycle (database: %s)", exc)
        self._broken = True

    async def aclose(self) -> None:
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()  # frees every slot still held
        self._conn = None
