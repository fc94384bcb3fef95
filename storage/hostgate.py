"""``[http] per_host`` for a whole fleet: each host has ``per_host`` slots, a slot is a
PostgreSQL session advisory lock (key: the host's hash and the slot number), held on one
connection of the worker while its request runs. A worker that dies loses its connection and
the server frees its slots at once: nothing to expire.

One task per worker (the pump) speaks to the database, in rounds: a round gives back every
slot released since the last one and tries, for every host with waiters, as many free slots
as it has waiters, in one statement (``pg_try_advisory_lock``, never a blocking wait holding
the connection). A worker polling 100 hosts at once thus pays a round trip per round, not
two per request, and a slot released while another request of this worker waits for the
same host goes to it without asking the database. Hosts whose slots other workers hold are
tried again every 20-200 ms. Advisory locks are re-entrant within a session, so the slots
this process holds are never asked for again (tracked here).

A worker that stops without dying (SIGSTOP, a frozen VM) must not keep its slots: the gate's
session is ended by the server after IDLE_END of silence (``idle_session_timeout``; a live
gate speaks at least every HEARTBEAT), which frees them. When it resumes, the gate finds its
connection gone, forgets the slots it had and reconnects; requests already under way on them
keep going (they were sent before the pause) and count against their host until they end, so
the worker never takes new slots beside them. If the database cannot be asked at all, the gate
steps aside (the per-process limit still holds) and says so once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg

log = logging.getLogger("newsbot.hostgate")
NAMESPACE = "newsbot-host:"
POLL_MIN, POLL_MAX = 0.02, 0.2
HEARTBEAT, IDLE_END = 5.0, "15s"
FRESH = 2 * HEARTBEAT  # a slot passes between our requests without a round only this long
RECONNECTS = 3  # connections lost in a row before the gate steps aside
_TRY = (
    "SELECT c.h, s.n FROM unnest(%s::text[], %s::int[], %s::bigint[]) AS c(h, k, held)"
    " CROSS JOIN LATERAL (SELECT n FROM generate_series(0, %s - 1) AS n"
    " WHERE CASE WHEN (c.held >> n) & 1 = 0"
    " THEN pg_try_advisory_lock(hashtext(%s || c.h), n) ELSE false END LIMIT c.k) s"
)
_UNLOCK = (
    "SELECT count(pg_advisory_unlock(hashtext(%s || r.h), r.n))"
    " FROM unnest(%s::text[], %s::int[]) AS r(h, n)"
)
Token = tuple[int, int]  # (connection generation, slot number)
Waiter = asyncio.Future[Token | None]


class HostGate:
    def __init__(self, url: str, per_host: int) -> None:
        self.url = url
        self.per_host = per_host
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._held: dict[str, set[int]] = defaultdict(set)  # locks this session holds
        self._freed: dict[str, list[int]] = defaultdict(list)  # held, to give back next round
        self._waiting: dict[str, deque[Waiter]] = defaultdict(deque)
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._broken = False
        self._generation = 0  # one per connection: slots of a lost connection are not ours
        self._spoke = 0.0  # loop time of the last statement
        self._stale: dict[str, int] = {}  # requests still running on a lost connection's slots

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's fleet-wide slots for the duration of the block."""
        slot = await self._acquire(host)
        try:
            yield
        finally:
            if slot is not None:
                self._give_back(host, slot)

    async def _acquire(self, host: str) -> Token | None:
        if self._broken:
            return None
        if self._freed[host] and self._fresh():  # released, not given back: ours again
            return self._generation, self._freed[host].pop()
        waiter: Waiter = asyncio.get_running_loop().create_future()
        self._waiting[host].append(waiter)
        self._start()
        try:
            return await waiter
        except asyncio.CancelledError:
            granted = waiter.result() if waiter.done() and not waiter.cancelled() else None
            if granted is not None:  # granted as we were cancelled
                self._give_back(host, granted)
            raise

    def _give_back(self, host: str, token: Token) -> None:
        generation, slot = token
        if generation != self._generation:  # that connection, and the lock with it, is gone
            if self._stale.get(host, 0) > 1:
                self._stale[host] -= 1
            else:
                self._stale.pop(host, None)
            self._wake.set()  # its host may take a slot again
            return
        if self._broken:
            return
        queue = self._waiting.get(host) if self._fresh() else None
        while queue:
            waiter = queue.popleft()
            if not waiter.done():
                waiter.set_result(token)  # a request of ours waits for this host: theirs
                return
        self._freed[host].append(slot)
        self._start()

    def _fresh(self) -> bool:
        """Whether the session is surely still ours: the gate spoke to the server lately. A
        worker whose loop stood still (a blocking wait on a stopped worker's lock) may have
        lost it to the idle limit; its slots go through a round, which finds out."""
        return asyncio.get_running_loop().time() - self._spoke < FRESH

    def _start(self) -> None:
        self._wake.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="host-gate")

    async def _run(self) -> None:
        delay, lost = POLL_MIN, 0
        while not self._broken:
            with suppress(TimeoutError):  # not wait_for: on 3.11 it can swallow a cancel that
                async with asyncio.timeout(delay):  # meets its timeout (aclose then hung)
                    await self._wake.wait()
            self._wake.clear()
            try:
                granted = await self._round()
                lost = 0
            except psycopg.OperationalError as exc:  # the connection is gone, our locks too
                lost += 1
                if lost >= RECONNECTS:
                    self._stepped_aside(exc)
                    return
                await self._reset()
                continue
            except Exception as exc:  # a bug: never leave a request waiting
                self._stepped_aside(exc)
                return
            delay = POLL_MIN if granted else min(delay * 2, POLL_MAX)
            if not self._wanted() and not any(self._freed.values()):
                delay = POLL_MAX

    def _wanted(self) -> dict[str, int]:
        """Hosts with live waiters -> how many slots to try for (what is not held yet)."""
        wanted: dict[str, int] = {}
        for host, queue in list(self._waiting.items()):
            while queue and queue[0].done():
                queue.popleft()
            live = sum(1 for w in queue if not w.done())
            room = self.per_host - len(self._held[host]) - self._stale.get(host, 0)
            if live and room > 0:
                wanted[host] = min(live, room)
            if not queue:
                self._waiting.pop(host, None)
        return wanted

    async def _reset(self) -> None:
        log.info("host gate: connection lost (was this worker stopped?); reconnecting")
        old, self._conn = self._conn, None
        if old is not None:  # were it still up, its session would keep our slots
            with suppress(psycopg.Error, OSError):
                await old.close()
        self._generation += 1
        for host, slots in self._held.items():  # requests still under way on the lost slots
            running = len(slots) - len(self._freed.get(host, ()))
            if running > 0:
                self._stale[host] = self._stale.get(host, 0) + running
        self._held.clear()
        self._freed.clear()

    async def _round(self) -> int:
        """Give back the freed slots, try for the wanted ones; returns how many were granted."""
        conn = await self._connection()
        loop = asyncio.get_running_loop()
        if loop.time() - self._spoke > HEARTBEAT:  # a live gate is never idle for IDLE_END,
            await conn.execute("SELECT 1")  # even while its slots pass from request to request
            self._spoke = loop.time()  # of its own (no round trip: no statement)
        freed = [(h, n) for h, slots in self._freed.items() for n in slots]
        self._freed.clear()
        if freed:
            await conn.execute(_UNLOCK, [NAMESPACE, [h for h, _ in freed], [n for _, n in freed]])
            self._spoke = loop.time()
            for h, n in freed:
                self._forget(h, n)
        wanted = self._wanted()
        if not wanted:
            return 0
        self._spoke = loop.time()
        hosts = list(wanted)
        masks = [sum(1 << n for n in self._held[h]) for h in hosts]
        cur = await conn.execute(
            _TRY, [hosts, [wanted[h] for h in hosts], masks, self.per_host, NAMESPACE]
        )
        rows = await cur.fetchall()
        for h, n in rows:
            self._held[h].add(int(n))
            self._grant(h, int(n))
        return len(rows)

    def _grant(self, host: str, slot: int) -> None:
        queue = self._waiting.get(host)
        while queue:
            waiter = queue.popleft()
            if not waiter.done():
                waiter.set_result((self._generation, slot))
                return
        self._freed[host].append(slot)  # its waiter left meanwhile: give it back next round
        self._wake.set()

    def _forget(self, host: str, slot: int) -> None:
        self._held[host].discard(slot)
        if not self._held[host]:
            self._held.pop(host, None)

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            with suppress(psycopg.Error):  # before PostgreSQL 14: a stopped worker keeps them
                await conn.execute(f"SET idle_session_timeout = '{IDLE_END}'")
            self._conn = conn
        return self._conn

    def _stepped_aside(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("fleet-wide per-host limit off for this cycle (database: %s)", exc)
        self._broken = True
        for queue in self._waiting.values():
            for waiter in queue:
                if not waiter.done():
                    waiter.set_result(None)
        self._waiting.clear()
        self._freed.clear()

    async def aclose(self) -> None:
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            with suppress(asyncio.CancelledError):
                await self._pump
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()  # frees every slot still held
        self._conn = None
