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
