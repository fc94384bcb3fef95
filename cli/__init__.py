"""The commands of bot.py: one module per group, one typed table from name to function.

Each command loads what it needs, calls the stage, prints (rich tables for people, JSON for
scripts); no SQL, no HTTP here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from cli import alerts, archive, db, feeds, service, stories, tools, watches

Command = Callable[[argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    "run": service.cmd_run,
    "once": service.cmd_once,
    "check": service.cmd_check,
    "feeds": feeds.cmd_feeds,
    "import-opml": feeds.cmd_import_opml,
    "export-opml": feeds.cmd_export_opml,
    "alerts": alerts.cmd_alerts,
    "notify": alerts.cmd_notify,
    "watches": watches.cmd_watches,
    "search": archive.cmd_search,
    "matches": archive.cmd_matches,
    "stories": stories.cmd_stories,
    "serve": archive.cmd_serve,
    "db": db.cmd_db,
    "bench": tools.cmd_bench,
    "demo": tools.cmd_demo,
}


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
