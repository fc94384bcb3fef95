"""Both backends migrate to the same tables and columns: a column added to the SQLite
migrations without its PostgreSQL twin (storage/pg_schema.py) fails here."""

from __future__ import annotations

import psycopg

from storage import Store

SQLITE_ONLY = ("articles_fts", "_sqlite_migrations", "sqlite_")  # FTS5 table and its shadows
PG_ONLY = {
    ("articles", "search"),
    ("newsbot_migrations", "name"),
    ("newsbot_migrations", "applied_at"),
}


def _sqlite_columns(path) -> set[tuple[str, str]]:
    with Store.open(path) as store:
        names = [
            r[0]
            for r in store.db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchall()
        ]
        return {
            (t, c[1])
            for t in names
            if not t.startswith(SQLITE_ONLY)
            for c in store.db.execute(f'PRAGMA table_info("{t}")').fetchall()
        }


def _pg_columns(url: str) -> set[tuple[str, str]]:
    with Store.open(url) as store, psycopg.connect(url) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = %s",
            [schema],
        ).fetchall()
        assert store.backend == "postgresql"
    return {(t, c) for t, c in rows} - PG_ONLY


def test_tables_and_columns_match(tmp_path, pg_url):
    lite, pg = _sqlite_columns(tmp_path / "a.db"), _pg_columns(pg_url)
    assert sorted(lite - pg) == [], "SQLite has these, storage/pg_schema.py does not"
    assert sorted(pg - lite) == [], "PostgreSQL has these, storage/migrations.py does not"


def test_same_schema_version(tmp_path, pg_url):
    with Store.open(tmp_path / "a.db") as lite, Store.open(pg_url) as pg:
        assert lite.schema_version() == pg.schema_version() != "none"


def test_migrating_twice_changes_nothing(pg_url):
    from storage import pg_schema

    with Store.open(pg_url) as store:
        assert pg_schema.apply(store.db.conn) == []
