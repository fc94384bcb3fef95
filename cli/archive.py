"""`bot.py search`, `matches` and `serve`: read the archive, print for people or scripts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import db_path, emit, load, parse_when, terminal
from storage import Store
from storage.search import recent_matches, search


def cmd_search(args: argparse.Namespace) -> int:
    notes: list[str] = []
    with Store.open(db_path(args), readonly=True) as store:
        hits = search(
            store.db,
            args.query,
            watch=args.watch,
            feed=args.feed,
            location=args.location,
            since=parse_when(args.since, name="since"),
            until=parse_when(args.until, name="until"),
            limit=args.limit,
            order="newest" if args.newest else "rank",
            notes=notes,
        )
    rows = [h.as_dict() for h in hits]
    for r in rows:
        r["published"] = r["published"][:10] if args.format == "table" else r["published"]
    emit(
        rows,
        ["published", "title", "snippet", "feed", "watches"],
        args.format,
        {"title": 40, "snippet": 80},
    )
    for note in notes:
        print(f"note: {terminal(note)}", file=sys.stderr)
    return 0


def cmd_matches(args: argparse.Namespace) -> int:
    with Store.open(db_path(args), readonly=True) as store:
        rows = recent_matches(
            store.db, watch=args.watch, since=parse_when(args.since, name="since"), limit=args.limit
        )
    emit(
        rows,
        ["matched_at", "watch", "title", "matched", "places", "feed"],
        args.format,
        {"title": 40, "matched": 30},
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import web

    path = db_path(args)
    Store.open(path, readonly=True).close()  # an older archive is upgraded before serving
    # the watches' pages say what each watch matches: from the config, when there is one
    no_config = getattr(args, "db", None) and not Path(args.config).exists()
    watches = () if no_config else load(args).watches
    return web.serve(
        path,
        host=args.host,
        port=args.port,
        watches=watches,
        sql=args.sql,
        allow_hosts=tuple(args.allow_host),
    )
