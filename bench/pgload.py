"""The archive benchmark's PostgreSQL archives: each SQLite archive (bench/archive.py) copied
into PostgreSQL once, by ``bot.py db copy``'s code (storage/copy.py: COPY in batches, the
secondary indexes, GIN included, built after the load), then cached as the schema
``newsbot_bench_archive_N`` of NEWSBOT_BENCH_DATABASE_URL and reused while it holds N articles.

The load's figures (seconds, articles per second, the machine's load average) go into the
results beside the search figures: 1M articles is the size the target is set at.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

STEP = 100_000  # a progress line every STEP rows of a table


def pg_archive(n: int, path: Path) -> tuple[str, dict[str, Any]]:
    """The URL of the archive of n articles in PostgreSQL and its load figures (copied from
    the SQLite archive at ``path`` unless cached)."""
    import psycopg

    from bench.fleet import SERVER
    from bench.pgschemas import schema_url
    from storage.copy import count

    schema = f"newsbot_bench_archive_{n}"
    url = schema_url(SERVER, schema)
    if _has_schema(SERVER, schema):
        with _fresh(SERVER, schema, url) as pg:
            if count(pg, "articles") == n:
                return url, {"cached": True}
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return url, _load(n, path, url, schema)


def _load(n: int, path: Path, url: str, schema: str) -> dict[str, Any]:
    from bench.fleet import SERVER
    from storage import Store
    from storage.copy import copy_archive

    started = time.perf_counter()
    with _fresh(SERVER, schema, url) as pg, Store.open(path) as lite:
        copy_archive(lite, pg, _progress(n, started))
        copied = time.perf_counter() - started
        pg.db.execute("ANALYZE")
    spent = time.perf_counter() - started
    print(f"archive-{n}: copied into PostgreSQL in {spent:.0f} s", flush=True)
    return {
        "cached": False,
        "copy_s": copied,
        "copy_and_analyze_s": spent,
        "articles_per_s": n / spent,
        "load_average": os.getloadavg(),
    }


def _progress(n: int, started: float) -> Any:
    def show(table: str, done: int, total: int) -> None:
        if done == total or done % STEP < 2000:  # storage.copy moves 2,000 rows at a time
            ago = time.perf_counter() - started
            print(f"archive-{n}: {table} {done:,}/{total:,} ({ago:.0f} s)", flush=True)

    return show


def _has_schema(server: str, schema: str) -> bool:
    import psycopg

    with psycopg.connect(server) as conn:
        row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
        return row is not None


def _fresh(server: str, schema: str, url: str) -> Any:
    import psycopg

    from storage import Store, pg_schema

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    store = Store.open(url)
    db: Any = store.db  # a PgDatabase: its psycopg connection
    pg_schema.apply(db.conn)  # the schema may be new since this process last migrated it
    return store
