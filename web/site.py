"""What the pages of one `bot.py serve` share: the archive (one read-only Store per worker
thread, so any backend the Store speaks serves the pages) and the watches as configured."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from errors import NewsbotError
from models import Place
from settings import WatchSettings
from storage import Store
from storage.pg import is_url

T = TypeVar("T")


@dataclass(frozen=True)
class Location:
    """A watch's location as written, and what the gazetteer made of it."""

    spec: str
    place: Place | None
    problem: str = ""


@dataclass(frozen=True)
class WatchDefinition:
    name: str
    keywords: tuple[str, ...]
    locations: tuple[Location, ...]
    query: str
    feeds: tuple[str, ...]
    notify: tuple[str, ...]


class Site:
    def __init__(self, db_path: Path | str, watches: Sequence[WatchSettings] = ()) -> None:
        self.db_path = db_path
        self._watches = {w.name: w for w in watches}
        self._local = threading.local()
        self._definitions: dict[str, WatchDefinition] = {}

    def store(self) -> Store:
        """This thread's read-only Store (opened on first use)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store.open(self.db_path, readonly=True)
        return store

    async def run(self, fn: Callable[[Store], T]) -> T:
        """fn(store) in a worker thread: storage calls block."""
        return await asyncio.to_thread(self._call, fn)

    def _call(self, fn: Callable[[Store], T]) -> T:
        if is_url(self.db_path):  # PostgreSQL: a pooled connection, borrowed for the call
            with Store.open(self.db_path) as store:
                return fn(store)
        return fn(self.store())

    @property
    def watch_names(self) -> list[str]:
        return list(self._watches)

    def definition(self, name: str) -> WatchDefinition | None:
        """The watch as configured, its locations resolved (None: not in this config)."""
        ws = self._watches.get(name)
        if ws is None:
            return None
        if name not in self._definitions:
            self._definitions[name] = WatchDefinition(
                ws.name,
                tuple(ws.keywords),
                tuple(_resolve(spec) for spec in ws.locations),
                ws.query,
                tuple(ws.feeds),
                tuple(ws.notify),
            )
        return self._definitions[name]


def _resolve(spec: str) -> Location:
    from matching.places import Gazetteer

    try:
        return Location(spec, Gazetteer.load().resolve(spec))
    except NewsbotError as err:
        return Location(spec, None, err.message)


SITES: weakref.WeakKeyDictionary[Any, Site] = weakref.WeakKeyDictionary()


def site_of(datasette: Any) -> Site | None:
    """The Site of a Datasette made by web.make_datasette (None for any other)."""
    return SITES.get(datasette)
