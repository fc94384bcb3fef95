"""The only place with SQL. ``Store`` bundles the feed state, the archive, the outbox and what
the archive's pages show (browse) on one connection; open one per thread with
``Store.open(target)``: a SQLite file path, or a ``postgresql://`` URL (a pooled connection;
see storage/pg.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.archive import ArchiveStore
from storage.browse import BrowseStore
from storage.claims import ClaimStore
from storage.db import connect
from storage.feeds import FeedStore
from storage.outbox import OutboxStore
from storage.pg import is_url
from storage.places import PlaceStore

_migrated: set[str] = set()


def _open_pg(url: str) -> Any:
    from storage import pg_schema
    from storage.pg import PgDatabase

    db = PgDatabase(url)
    if url not in _migrated:
        try:
            pg_schema.apply(db.conn)
        except Exception:
            db.close()
            raise
        _migrated.add(url)
    return db


class Store(FeedStore, ArchiveStore, OutboxStore, PlaceStore, BrowseStore, ClaimStore):
    def __init__(self, db: Any) -> None:
        self.db = db

    @classmethod
    def open(cls, target: str | Path, *, readonly: bool = False) -> Store:
        if is_url(target):
            return cls(_open_pg(str(target)))
        return cls(connect(target, readonly=readonly))

    @property
    def backend(self) -> str:
        return "postgresql" if getattr(self.db, "dialect", "") == "postgresql" else "sqlite"

    def host_gate(self, per_host: int) -> Any:
        """The fleet-wide per-host limit (PostgreSQL advisory locks); None on SQLite, where
        one process is the whole fleet."""
        if self.backend != "postgresql":
            return None
        from storage.hostgate import HostGate

        return HostGate(self.db.url, per_host)  # type: ignore[attr-defined]

    def schema_version(self) -> str:
        """The last migration applied (the same names on both backends)."""
        if self.backend == "postgresql":
            from storage import pg_schema

            names = pg_schema.applied(self.db.conn)  # type: ignore[arg-type]
        else:
            from storage.migrations import MIGRATIONS

            names = [m.name for m in MIGRATIONS.applied(self.db)]
        return names[-1] if names else "none"

    def close(self) -> None:
        if self.backend == "postgresql":
            self.db.close()
        else:
            self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Store"]
