"""What every command shares: loading the config, the console, dates and archive paths from
the command line, and printing rows as a table, JSON or CSV.

Whatever a command prints may hold text from a feed or a page: it goes out as text, never as
Rich markup (``[/x]`` would crash, ``[link=...]`` would print a disguised OSC-8 hyperlink), and
without terminal control characters or bidi overrides (:func:`say`, :func:`cell`). JSON keeps
the data but writes C1 controls and bidi overrides as ``\\u`` escapes."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

import redaction
import settings as settings_mod
from errors import ConfigError, StorageError
from safetext import BIDI_CONTROLS, terminal
from settings import Settings, parse_duration

out = Console(soft_wrap=False, highlight=False)
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_CONTROLS}]")


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


def db_path(args: argparse.Namespace) -> Path | str:
    """The archive to read: --db FILE, else the config's (its PostgreSQL URL when set)."""
    if not getattr(args, "db", None):
        s = settings_mod.load(args.config)
        if s.storage.url:
            return s.storage.url
    path = Path(args.db) if getattr(args, "db", None) else settings_mod.load(args.config).db_path
    if not path.exists():
        raise StorageError(
            f"{path}: no archive yet", hint="run `bot.py once` (or `bot.py demo --db FILE`) first"
        )
    return path


def say(*values: object, file: TextIO | None = None, flush: bool = False) -> None:
    """``print`` for text that may come from a feed, a page or a server: no control
    characters, no bidi overrides, no registered secrets."""
    print(terminal(redaction.scrub(" ".join(map(str, values)))), file=file, flush=flush)


def json_text(data: Any) -> str:
    """JSON for scripts: the data as it is, C1 controls and bidi overrides as ``\\u`` escapes
    (C0 controls are escaped by json itself)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def cell(value: Any, width: int | None = None) -> Text:
    """A table cell shown as text: markup is not interpreted, controls are removed."""
    text = "" if value is None else terminal(str(value))
    return Text(text[: width - 1] + "…" if width and len(text) > width else text)


def emit(rows: list[dict[str, Any]], columns: list[str], fmt: str, widths: dict[str, int]) -> None:
    if fmt == "json":
        print(json_text(rows))
        return
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else columns)
        w.writeheader()
        w.writerows(
            [{k: terminal(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
        )
        return
    table = Table(*columns, show_lines=True, width=min(Console().width, 120))
    for r in rows:
        table.add_row(*(cell(r.get(c), widths.get(c)) for c in columns))
    Console(highlight=False).print(table)
    print(f"{len(rows)} result(s)")
