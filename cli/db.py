"""`bot.py db copy --from SRC --to DST`: move an archive between SQLite and PostgreSQL."""

from __future__ import annotations

import argparse

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from storage import Store
from storage.copy import copy_archive
from storage.pg import is_url, redact


def _name(target: str) -> str:
    return redact(target) if is_url(target) else target


def cmd_db(args: argparse.Namespace) -> int:
    with Store.open(args.source) as src, Store.open(args.to) as dst:
        bars = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        )
        tasks: dict[str, TaskID] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bars.add_task(table, total=max(total, 1))
            bars.update(tasks[table], completed=done if total else 1)

        with bars:
            counts = copy_archive(src, dst, progress)
    print(f"copied {_name(args.source)} -> {_name(args.to)}; rows verified on both sides:")
    for table, n in counts.items():
        print(f"  {table}: {n}")
    return 0
