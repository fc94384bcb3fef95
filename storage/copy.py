"""`bot.py db copy`: move an archive between backends (SQLite -> PostgreSQL and back), row for
row and id for id, then check every table's count on both sides.

Both sides are opened through ``Store`` (so both are migrated to the same schema version);
the destination must be empty. Tables go in foreign-key order; columns are those the two
sides share (PostgreSQL's generated ``search`` column and SQLite's FTS5 tables are each
side's own and rebuild themselves). ``articles.duplicate_of`` points within its own table,
so it is filled in a second pass. Rows stream in batches: a million articles never sit in
memory. PostgreSQL identity counters are moved past the copied ids at the end.

Into PostgreSQL, a table's secondary indexes (not those behind its primary key and unique
constraints) are dropped for the load and built again at its end, in the table's one
transaction: kept, the GIN index of ``articles.search`` took ~300 inserts of lexemes per
article and made the copy 2-5x slower (20k articles: 44 s). A failed copy rolls back whole,
indexes included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from errors import StorageError
from storage import Store
from storage.db import dialect, write

BATCH = 2000
INDEX_MEMORY = "512MB"  # maintenance_work_mem while the indexes are built again (GIN in RAM)
FIRST = ["feeds", "stories", "articles", "feed_entries", "matches", "alerts"]  # FK order
SKIP_PREFIX = ("articles_fts", "_sqlite_", "sqlite_", "newsbot_migrations")
Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


def tables(store: Store) -> list[str]:
    """The archive's tables (not views, not FTS5 shadows, not migration records)."""
    if store.backend == "postgresql":
        rows = store.db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE'"
        ).fetchall()
    else:
        rows = store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    names = {r[0] for r in rows if not r[0].startswith(SKIP_PREFIX)}
    return [t for t in FIRST if t in names] + sorted(names - set(FIRST))


def columns(store: Store, table: str) -> list[str]:
    if store.backend == "postgresql":
        rows = store.db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? AND is_generated = 'NEVER'"
            " ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]
    return [r[1] for r in store.db.execute(f'PRAGMA table_xinfo("{table}")') if r[6] == 0]


def count(store: Store, table: str) -> int:
    return int(store.db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def _rows(store: Store, table: str, cols: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    quoted = ", ".join(f'"{c}"' for c in cols)
    sql = f'SELECT {quoted} FROM "{table}"'
    conn: Any = store.db.conn
    if store.backend == "postgresql":
        with conn.transaction(), conn.cursor(name=f"copy_{table}") as cur:
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")  # a slow writer
            cur.itersize = BATCH
            cur.execute(sql)
            while batch := cur.fetchmany(BATCH):
                yield batch
        return
    cur = conn.execute(sql)
    while batch := cur.fetchmany(BATCH):
        yield batch


def _insert(dst: Store, table: str, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
    quoted = ", ".join(f'"{c}"' for c in cols)
    conn: Any = dst.db.conn
    if dst.backend == "postgresql":
        with conn.cursor() as cur, cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as cp:
            for row in rows:
                cp.write_row(row)
        return
    marks = ", ".join("?" * len(cols))
    conn.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)


def copy_archive(src: Store, dst: Store, progress: Progress | None = None) -> dict[str, int]:
    """Copy every table of ``src`` into the empty ``dst``; returns rows per table, verified."""
    names = tables(src)
    missing = [t for t in names if t not in tables(dst)]
    if missing:
        raise StorageError(f"db copy: the destination has no table {missing[0]!r}")
    busy = {t: n for t in names if (n := count(dst, t))}
    if busy:
        table, n = next(iter(busy.items()))
        raise StorageError(
            f"db copy: the destination is not empty ({table}: {n} rows)",
            hint="copy into a new database (or schema), never over an archive",
        )
    totals = {t: count(src, t) for t in names}
    for table in names:
        _copy_table(src, dst, table, totals[table], progress)
    _finish(dst, names)
    got = {t: count(dst, t) for t in names}
    wrong = {t: (totals[t], got[t]) for t in names if totals[t] != got[t]}
    if wrong:
        table, (want, have) = next(iter(wrong.items()))
        raise StorageError(f"db copy: {table} has {have} rows in the copy, {want} in the source")
    return got


def _copy_table(src: Store, dst: Store, table: str, total: int, progress: Progress | None) -> None:
    shared = [c for c in columns(src, table) if c in set(columns(dst, table))]
    late = table == "articles" and "duplicate_of" in shared
    cols = [c for c in shared if not (late and c == "duplicate_of")]
    done = 0
    with write(dst.db):
        rebuild = _drop_indexes(dst, table)
        for batch in _rows(src, table, cols):
            _insert(dst, table, cols, batch)
            done += len(batch)
            if progress:
                progress(table, done, total)
        if late:
            pairs = src.db.execute(
                "SELECT duplicate_of, id FROM articles WHERE duplicate_of IS NOT NULL"
            ).fetchall()
            for start in range(0, len(pairs), BATCH):
                for dup, aid in pairs[start : start + BATCH]:
                    dst.db.execute("UPDATE articles SET duplicate_of = ? WHERE id = ?", [dup, aid])
        _build_indexes(dst, rebuild)
    if progress and not total:
        progress(table, 0, 0)


def _drop_indexes(dst: Store, table: str) -> list[str]:
    """PostgreSQL: drop ``table``'s indexes that no constraint owns; returns their
    definitions (nothing on SQLite, whose FTS5 triggers and indexes stay)."""
    if dialect(dst.db) != "postgresql":
        return []
    rows = dst.db.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    ).fetchall()
    for name, _ in rows:
        dst.db.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def _build_indexes(dst: Store, definitions: list[str]) -> None:
    if definitions:
        dst.db.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
    for definition in definitions:
        dst.db.execute(definition)


def _finish(dst: Store, names: list[str]) -> None:
    """PostgreSQL: identity counters past the copied ids (SQLite's follow max(rowid))."""
    if dialect(dst.db) != "postgresql":
        return
    identity = dst.db.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, col in identity:
        if table in names:
            dst.db.execute(
                f'SELECT setval(pg_get_serial_sequence(?, ?), (SELECT coalesce(max("{col}"), 0)'
                f' + 1 FROM "{table}"), false)',
                [table, col],
            )
