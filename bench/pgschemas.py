"""Throw-away PostgreSQL schemas for tests and benchmarks: unique names
(host, pid, random), dropped with everything in them when done."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg


def schema_url(server: str, schema: str) -> str:
    sep = "&" if "?" in server else "?"
    return f"{server}{sep}options={quote(f'-csearch_path={schema},public')}"


@contextmanager
def temporary_schema(server: str) -> Iterator[str]:
    host = "".join(c for c in socket.gethostname().lower() if c.isalnum())[:12]
    name = f"nbtest_{host}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    url = schema_url(server, name)
    try:
        yield url
    finally:
        from storage.pg import close_pool

        close_pool(url)
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
