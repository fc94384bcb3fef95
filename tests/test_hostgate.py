"""The fleet-wide per-host limit (storage/hostgate.py) on a real PostgreSQL server: two gates
are two workers (two sessions); requests to one host never exceed ``per_host`` across both,
every request gets its turn, and a request cancelled while waiting leaves no slot held."""

from __future__ import annotations

import asyncio
import secrets

import psycopg
import pytest

from storage.hostgate import NAMESPACE, HostGate


async def _requests(gates: list[HostGate], hosts: list[str], each: int, hold: float) -> dict:
    busy: dict[str, int] = {h: 0 for h in hosts}
    peak: dict[str, int] = {h: 0 for h in hosts}
    served: list[str] = []

    async def one(gate: HostGate, host: str) -> None:
        async with gate.slot(host):
            busy[host] += 1
            peak[host] = max(peak[host], busy[host])
            await asyncio.sleep(hold)
            busy[host] -= 1
            served.append(host)

    await asyncio.gather(
        *(one(g, h) for g in gates for h in hosts for _ in range(each)),
    )
    return {"peak": peak, "served": served}


def _locks(url: str, host: str) -> int:
    """Advisory locks anyone holds on ``host``'s slots."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
            " AND classid::bigint = (hashtext(%s)::bigint & 4294967295)",
            [NAMESPACE + host],
        ).fetchone()
        return int(row[0]) if row else 0


def test_two_workers_share_each_hosts_slots(pg_url):
    async def main() -> dict:
        gates = [HostGate(pg_url, 2), HostGate(pg_url, 2)]
        try:
            hosts = ["a.example", "b.example", "c.example"]
            return await asyncio.wait_for(_requests(gates, hosts, 4, 0.2), 60)
        finally:
            for g in gates:
                await g.aclose()

    seen = asyncio.run(main())
    assert len(seen["served"]) == 2 * 3 * 4  # everyone got a turn
    assert max(seen["peak"].values()) == 2  # reached (8 requests a host), never passed


def test_a_request_cancelled_while_waiting_leaves_no_slot_held(pg_url):
    host = f"x-{secrets.token_hex(4)}.example"

    async def main() -> tuple[int, int, int]:
        gate, other = HostGate(pg_url, 1), HostGate(pg_url, 1)
        try:
            async with gate.slot(host):
                held = _locks(pg_url, host)
                waiting = asyncio.create_task(_hold(other, host))
                await asyncio.sleep(0.1)  # it waits for the slot we hold
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
            await asyncio.sleep(0.3)  # our slot goes back in the gate's next round
            held_after = _locks(pg_url, host)
            got = await asyncio.wait_for(_hold(other, host), 5)  # and is free for them
            return held, held_after, got
        finally:
            await gate.aclose()
            await other.aclose()

    held, held_after, got = asyncio.run(main())
    assert held == 1 and held_after == 0
    assert got == 1


async def _hold(gate: HostGate, host: str) -> int:
    async with gate.slot(host):
        await asyncio.sleep(0.01)
    return 1


def test_a_slot_held_longer_than_the_idle_limit_stays_held(pg_url, monkeypatch):
    """The gate's session is ended after IDLE_END of silence (a stopped worker's slots go
    back). A live gate holding a slot while its requests pass it on among themselves says
    nothing to the database: its heartbeat must still keep the session (it did not: the
    server ended it and another worker took the slot beside the request still running)."""
    from storage import hostgate

    monkeypatch.setattr(hostgate, "IDLE_END", "1s")
    monkeypatch.setattr(hostgate, "HEARTBEAT", 0.3)
    host = f"x-{secrets.token_hex(4)}.example"

    async def main() -> tuple[int, int]:
        gate = HostGate(pg_url, 1)
        try:
            async with gate.slot(host):
                before = _locks(pg_url, host)
                await asyncio.sleep(2.5)  # over twice the idle limit, no request of ours ends
                return before, _locks(pg_url, host)
        finally:
            await gate.aclose()

    assert asyncio.run(main()) == (1, 1)


def test_requests_under_way_on_a_lost_connection_still_count(pg_url):
    """The gate's connection is lost while a request holds the host's one slot (and the gate
    finds out through another host's request): on the new connection the lock is free, but
    the request is still running; the next request for that host waits for it to end."""
    host = f"x-{secrets.token_hex(4)}.example"
    order: list[str] = []

    async def first(gate: HostGate, started: asyncio.Event) -> None:
        async with gate.slot(host):
            order.append("first starts")
            started.set()
            await asyncio.sleep(1.0)
            order.append("first ends")

    async def second(gate: HostGate) -> None:
        async with gate.slot(host):
            order.append("second starts")

    async def main() -> None:
        gate = HostGate(pg_url, 1)
        try:
            started = asyncio.Event()
            running = asyncio.create_task(first(gate, started))
            await started.wait()
            with psycopg.connect(pg_url, autocommit=True) as conn:  # the server ends it
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype ="
                    " 'advisory' AND classid::bigint = (hashtext(%s)::bigint & 4294967295)",
                    [NAMESPACE + host],
                )
            await asyncio.wait_for(_hold(gate, "elsewhere.example"), 10)  # finds it lost
            await asyncio.wait_for(asyncio.gather(running, second(gate)), 20)
        finally:
            await gate.aclose()

    asyncio.run(main())
    assert order == ["first starts", "first ends", "second starts"]
