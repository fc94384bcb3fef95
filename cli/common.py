"""What every command shares: loading the config, the console, dates and archive paths from
the command line, and printing rows as a table, JSON or CSV."""

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
from settings import Settings, parse_duration

out = Console(soft_wrap=False, highlight=False)


def load(args: argparse.Namespace) -> Settings:
    return settings_mod.load(args.config)


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


def emit(rows: list[dict[str, Any]], columns: list[str], fmt: str, widths: dict[str, int]) -> None:
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
