"""Open the archive: one SQLite file, WAL, busy timeout, migrations applied.

Write transactions start with BEGIN IMMEDIATE (a deferred transaction that reads then writes
can fail with SQLITE_BUSY at once); each thread opens its own connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from errors import StorageError
from models import Article

BUSY_TIMEOUT_MS = 30_000


def iso(dt: datetime) -> str:
    """The one timestamp format of the archive: UTC, second precision, sortable as text."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(value: str | None) -> datetime | None:
    """A stored timestamp back to an aware UTC datetime (None for NULL or '')."""
    if not value:
        return None
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def article_of(row: dict[str, Any]) -> Article:
    """An ``articles`` row as the value matching and alerts see."""
    return Article(
        id=row["id"],
        url=row["link"],
        title=row["title"],
        summary=row["summary"],
        text=row["text"],
        published=from_iso(row["published"]),  # type: ignore[arg-type]
        feed=row["feed"],
        language=row.get("language"),
    )


def connect(path: str | Path, *, readonly: bool = False) -> sqlite_utils.Database:
    """A sqlite-utils Database on its own connection, pragmas set, migrations applied."""
    from storage.migrations import MIGRATIONS

    p = Path(path)
    if readonly:
        _upgrade(p)
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{p}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            MIGRATIONS.apply(db)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"{p}: cannot open the archive: {exc}") from exc
    return db


def _upgrade(p: Path) -> None:
    """An archive written by an older newsbot, opened to read (search, serve): apply the
    migrations it lacks first, so its readers find every table; a file we may not write
    gets a clear error instead of a missing table later."""
    from storage.migrations import MIGRATIONS

    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            pending = MIGRATIONS.pending(sqlite_utils.Database(conn))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(f"{p}: cannot open the archive: {exc}") from exc
    if not pending:
        return
    try:
        connect(p).conn.close()
    except StorageError as exc:
        raise StorageError(
            f"{p}: the archive is from an older newsbot and could not be upgraded: {exc}",
            hint="run `bot.py once` (or the service) once with write access to upgrade it",
        ) from exc


@contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back on any error.
    sqlite3 errors are re-raised as StorageError. On PostgreSQL: BEGIN ... COMMIT."""
    if getattr(db, "dialect", "sqlite") == "postgresql":
        with db.transaction():  # type: ignore[attr-defined]
            yield db
        return
    conn = db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StorageError(f"cannot start a write transaction: {exc}") from exc
    try:
        yield db
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StorageError(f"write failed and was rolled back: {exc}") from exc
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def dialect(db: object) -> str:
    """'sqlite' or 'postgresql': for the few statements the two engines spell differently."""
    return str(getattr(db, "dialect", "sqlite"))


STORIES_LOCK = "stories"  # the fleet's one story decider at a time (a merge, an alert's story)


def lock_keys(db: object, keys: Iterable[str]) -> None:
    """Inside a write transaction: serialise deciders about the same keys across processes.
    SQLite needs nothing (BEGIN IMMEDIATE already admits one writer); PostgreSQL takes
    transaction-scoped advisory locks."""
    if dialect(db) == "postgresql":
        db.lock_keys(keys)  # type: ignore[attr-defined]


def keys_free(db: object, keys: Iterable[str]) -> bool:
    """Outside a transaction: are the locks ``lock_keys`` would take free right now? A look,
    not a lock (taken and released in one statement): lets a caller wait without blocking
    its thread. Always True on SQLite."""
    if dialect(db) == "postgresql":
        return bool(db.keys_free(keys))  # type: ignore[attr-defined]
    return True
