"""`bot.py feeds`, `import-opml` and `export-opml`: the feeds, their health and their lists."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from rich.table import Table

import settings as settings_mod
from cli.common import cell, json_text, load, out, say


def cmd_feeds(args: argparse.Namespace) -> int:
    from cli import feed_table
    from service.wiring import open_store

    s = load(args)
    with open_store(s) as store:
        rows = store.all_feeds(with_counts=True)
    if args.failing:
        rows = [r for r in rows if r.consecutive_errors or not r.enabled]
    if args.format == "json":
        print(json_text([feed_table.as_dict(r) for r in rows]))
        return 0
    table = Table(
        "feed",
        "status",
        "last ok",
        "errors",
        "next poll / why",
        "articles",
        show_lines=False,
        expand=False,
    )
    for r in rows:
        table.add_row(*map(cell, feed_table.row(r)))
    out.print(table)
    if args.failing:
        for r in rows:
            say(f"- {r.name}: {r.last_error or r.disabled_reason}\n  hint: {feed_table.hint(r)}")
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    import tomllib

    from feeds.opml import append_feeds, read_opml

    s = load(args)
    known = {f.url for f in s.feeds}
    names = {f.name for f in s.feeds}
    fresh: list[tuple[str, str]] = []
    skipped: list[str] = []
    for name, url in read_opml(args.file, skipped):
        if settings_mod.escape_template(url) in known:
            continue
        while name in names:
            name += " (2)"
        known.add(settings_mod.escape_template(url))
        names.add(name)
        fresh.append((name, url))
    path = Path(args.config)
    text = append_feeds(path.read_text(encoding="utf-8"), fresh)
    settings_mod.from_dict(tomllib.loads(text), base_dir=s.base_dir)  # validate first
    temp = path.with_name(f".{path.name}.import")
    temp.write_text(text, encoding="utf-8")
    shutil.copymode(path, temp)  # a config holding secrets may be chmod 600
    temp.replace(path)
    say(f"imported {len(fresh)} feeds into {args.config}")
    for url in skipped:
        say(f"skipped {url!r}: not a plain http(s) feed URL")
    return 0


def cmd_export_opml(args: argparse.Namespace) -> int:
    from feeds.opml import write_opml

    sys.stdout.write(write_opml(load(args).feeds))
    return 0
