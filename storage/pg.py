"""PostgreSQL behind the same small surface the stores use on SQLite (sqlite-utils'
``Database``): ``execute`` (tuple rows), ``query`` (dict rows), ``db[table].count/update``
and one write transaction at a time (``storage.db.write``).

The stores write their SQL once, in the dialect both engines accept (``?`` placeholders,
``INSERT ... ON CONFLICT DO NOTHING``, ``RETURNING``); here ``?`` becomes psycopg's ``%s``.
Where the engines differ for real (FTS5 vs tsvector, SKIP LOCKED, advisory locks) the store
asks ``db.dialect``. Connections come from one psycopg_pool per database URL and process;
each ``Store`` borrows one and gives it back on close.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from errors import StorageError

SCHEMES = ("postgresql://", "postgres://")
POOL_MAX = 8
# A worker stopped without dying (SIGSTOP, a frozen VM) inside a transaction would hold its
# row and advisory locks, and the fleet would wait on them: the server ends such a session.
# No transaction of newsbot waits on its client that long (db copy's reader turns it off).
IDLE_IN_TRANSACTION = "30s"
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%")
_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, for messages and `check`."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """``?`` -> ``%s`` outside quotes; every literal ``%`` doubled (psycopg reads them all)."""

    def one(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        return tok.replace("%", "%%")

    return _TOKENS.sub(one, sql)


def pool(url: str) -> ConnectionPool:
    """The process's pool for ``url`` (opened on first use, checked, closed at exit)."""
    with _pools_lock:
        p = _pools.get(url)
        if p is None:
            p = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_MAX,
                kwargs={"autocommit": True},
                configure=_configure,
                open=False,
                name="newsbot",
            )
            try:
                p.open(wait=True, timeout=10)
            except psycopg.Error as exc:
                p.close()
                raise StorageError(
                    f"{redact(url)}: cannot connect to PostgreSQL: {exc}",
                    hint="is the server up and the URL right ([storage] url)?",
                ) from exc
            _pools[url] = p
        return p


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")


def close_pool(url: str) -> None:
    with _pools_lock:
        p = _pools.pop(url, None)
    if p is not None:
        p.close()


def close_pools() -> None:
    with _pools_lock:
        for p in _pools.values():
            p.close()
        _pools.clear()


class _Table:
    def __init__(self, db: PgDatabase, name: str) -> None:
        self.db, self.name = db, name

    @property
    def count(self) -> int:
        row = self.db.execute(f'SELECT count(*) FROM "{self.name}"').fetchone()
        return int(row[0]) if row else 0

    def update(self, pk: Any, values: dict[str, Any]) -> None:
        cols = ", ".join(f'"{k}" = ?' for k in values)
        self.db.execute(f'UPDATE "{self.name}" SET {cols} WHERE id = ?', [*values.values(), pk])


class PgDatabase:
    """One pooled connection (autocommit outside ``transaction``)."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool = pool(url)
        try:
            self.conn: psycopg.Connection[Any] = self._pool.getconn(timeout=30)
        except psycopg.Error as exc:
            raise StorageError(f"{redact(url)}: no database connection: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        try:
            return self.conn.execute(translate(sql), list(params or []))
        except psycopg.Error as exc:
            raise _error(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.executemany(translate(sql), [list(r) for r in rows])
        except psycopg.Error as exc:
            raise _error(exc) from exc

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]:
        try:
            with self.conn.cursor(row_factory=dict_row) as cur:
                cur.execute(translate(sql), list(params or []))
                rows = cur.fetchall()
        except psycopg.Error as exc:
            raise _error(exc) from exc
        return iter(rows)

    def __getitem__(self, name: str) -> _Table:
        return _Table(self, name)

    table = __getitem__

    @contextmanager
    def transaction(self) -> Iterator[PgDatabase]:
        try:
            with self.conn.transaction():
                yield self
        except psycopg.Error as exc:
            raise _error(exc) from exc

    def lock_keys(self, keys: Iterable[str]) -> None:
        """Serialise writers deciding about the same keys (a URL, a headline) until the
        transaction ends: two workers never both decide 'first of its kind'. Sorted, so two
        transactions cannot wait on each other."""
        wanted = sorted({k for k in keys if k})
        if wanted:
            self.execute(
                "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT"
                " hashtextextended(k, 0) AS h FROM unnest(?::text[]) AS k ORDER BY 1) s",
                [wanted],
            )

    def keys_free(self, keys: Iterable[str]) -> bool:
        """Are the advisory locks of ``keys`` free now? Each is tried and, the statement
        being its own transaction, released at once (True inside a transaction, where a
        try would keep what it took)."""
        wanted = sorted({k for k in keys if k})
        if not wanted or self.conn.info.transaction_status != TransactionStatus.IDLE:
            return True
        row = self.execute(
            "SELECT bool_and(pg_try_advisory_xact_lock(hashtextextended(k, 0)))"
            " FROM unnest(?::text[]) AS k",
            [wanted],
        ).fetchone()
        return bool(row[0]) if row else True

    def close(self) -> None:
        conn, self.conn = self.conn, None  # type: ignore[assignment]
        if conn is not None:
            self._pool.putconn(conn)


def _error(exc: psycopg.Error) -> StorageError:
    return StorageError(f"PostgreSQL: {str(exc).strip().splitlines()[0]}")
