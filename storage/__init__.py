"""The only place with SQL. ``Store`` bundles the feed state, the archive, the outbox and what
the archive's pages show (browse) on one connection; open one per thread with ``Store.open(path)``."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from storage.archive import ArchiveStore
from storage.browse import BrowseStore
from storage.db import connect
from storage.feeds import FeedStore
from storage.outbox import OutboxStore
from storage.places import PlaceStore


class Store(FeedStore, ArchiveStore, OutboxStore, PlaceStore, BrowseStore):
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> Store:
        return cls(connect(path, readonly=readonly))

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Store"]
