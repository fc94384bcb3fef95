"""`bot.py search`, `matches` and `serve`: read the archive, print for people or scripts."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import settings as settings_mod
from errors import ConfigError, StorageError
from settings import parse_duration
from storage import Store
from storage.search import recent_matches, search


def parse_when(value: str | None, *, name: str) -> datetime | None:
    """'7d' / '24h' (ago) or 'YYYY-MM-DD[THH:MM]' -> UTC datetime."""
    if not value:
        return None
    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"--{name}: {value!r} is not a date (YYYY-MM-DD) or a span like 7d"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def db_path(args: argparse.Namespace) -> Path:
    path = Path(args.db) if getattr(args, "db", None) else settings_mod.load(args.config).db_path
    if not path.exists():
        raise StorageError(
            f"{path}: no archive yet", hint="run `bot.py once` (or `bot.py demo --db FILE`) first"
        )
    return path


def _emit(rows: list[dict[str, Any]], columns: list[str], fmt: str, widths: dict[str, int]) -> None:
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else columns)
        w.writeheader()
        w.writerows(rows)
        return
    table = Table(*columns, show_lines=True, width=min(Console().width, 120))
    for r in rows:
        table.add_row(*(_cell(r.get(c), widths.get(c)) for c in columns))
    Console(highlight=False).print(table)
    print(f"{len(rows)} result(s)")


def _cell(value: Any, width: int | None) -> str:
    text = "" if value is None else str(value)
    return text[: width - 1] + "…" if width and len(text) > width else text


def cmd_search(args: argparse.Namespace) -> int:
    with Store.open(db_path(args), readonly=True) as store:
        hits = search(store.db, args.query, watch=args.watch, feed=args.feed,
                      location=args.location, since=parse_when(args.since, name="since"),
                      until=parse_when(args.until, name="until"), limit=args.limit,
                      order="newest" if args.newest else "rank")  # fmt: skip
    rows = [h.as_dict() for h in hits]
    for r in rows:
        r["published"] = r["published"][:10] if args.format == "table" else r["published"]
    _emit(rows, ["published", "title", "snippet", "feed", "watches"], args.format,
          {"title": 40, "snippet": 80})  # fmt: skip
    return 0


def cmd_matches(args: argparse.Namespace) -> int:
    with Store.open(db_path(args), readonly=True) as store:
        rows = recent_matches(store.db, watch=args.watch,
                              since=parse_when(args.since, name="since"), limit=args.limit)  # fmt: skip
    _emit(rows, ["matched_at", "watch", "title", "matched", "places", "feed"], args.format,
          {"title": 40, "matched": 30})  # fmt: skip
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import web

    return web.serve(db_path(args), host=args.host, port=args.port)
