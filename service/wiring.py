"""Wiring shared by every entry point: settings -> store, rules, notifiers -> one cycle.

`bot.py once`, the service's jobs and `bot.py demo` all go through these functions, so they
exercise the same code.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from errors import ConfigError, PlaceError, QueryError
from feeds.fetch import Resolver, make_client
from matching.rules import Ruleset
from service.delivery import Delivery, DeliveryReport
from service.keeper import LeaseKeeper
from service.offload import StoreThreads
from service.pipeline import Context, CycleReport, poll_due_feeds, utcnow
from settings import Settings
from storage import Store

log = logging.getLogger("newsbot")


def build_ruleset(settings: Settings) -> Ruleset:
    """Compile every watch once (QueryError/PlaceError name the watch)."""
    from matching.compiler import compile_rules

    try:
        return compile_rules(settings.watches)
    except (PlaceError, QueryError) as err:  # a watch that cannot work is a config error
        raise ConfigError(err.message, err.hint) from err


def open_store(settings: Settings) -> Store:
    store = Store.open(settings.database)
    store.sync_feeds(settings.feeds, utcnow())
    return store


async def poll_cycle(
    settings: Settings,
    store: Store,
    ruleset: Ruleset | None,
    *,
    everything: bool = False,
    resolver: Resolver | None = None,
    rng: random.Random | None = None,
    stop: Any = None,
    now: Any = None,
) -> CycleReport:
    """One poll cycle with a fresh shared HTTP client (``now`` injects the clock). On
    PostgreSQL the per-host limit holds for the whole fleet (storage/hostgate.py) and the
    poll loop's store calls run off the event loop (service/offload.py)."""
    gate = store.host_gate(settings.http.per_host)
    url = getattr(store.db, "url", None)  # PostgreSQL
    threads = StoreThreads(url) if url else None
    try:
        async with make_client(settings.http, resolver=resolver, host_gate=gate) as fetcher:
            ctx = Context(settings, store, fetcher, ruleset, rng or random.Random())
            ctx.threads = threads
            if stop is not None:
                ctx.stop = stop
            return await poll_due_feeds(ctx, now, everything=everything)
    finally:
        if threads is not None:
            await asyncio.get_running_loop().run_in_executor(None, threads.close)
        if gate is not None:
            await gate.aclose()


def run_once(
    settings: Settings,
    *,
    ruleset: Ruleset | None = None,
    resolver: Resolver | None = None,
    channels: dict[str, Any] | None = None,
) -> tuple[CycleReport, DeliveryReport]:
    """Poll every configured feed once, process everything, deliver what is due."""
    ruleset = ruleset if ruleset is not None else build_ruleset(settings)
    with open_store(settings) as store, LeaseKeeper(settings.database):
        report = asyncio.run(
            poll_cycle(settings, store, ruleset, everything=True, resolver=resolver)
        )
        with Delivery.from_settings(settings, channels) as delivery:
            sent = delivery.all_due(store)
    return report, sent
