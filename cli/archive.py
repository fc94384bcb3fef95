"""`bot.py search`, `matches` and `serve`: read the archive, print for people or scripts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.common import db_path, emit, load, parse_when, terminal
from storage import Store
from storage.search import recent_matches, search

COLLAPSE_FETCH = 5  # hits fetched per row shown when folding them by story


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
            limit=args.limit if args.all else args.limit * COLLAPSE_FETCH,
            order="newest" if args.newest else "rank",
            notes=notes,
        )
        rows = [h.as_dict() for h in hits]
        if not args.all:
            rows = one_per_story(store, rows)[: args.limit]
    for r in rows:
        r["published"] = r["published"][:10] if args.format == "table" else r["published"]
    columns = ["published", "title", "snippet", "feed", "watches"]
    emit(
        rows,
        columns if args.all else [*columns, "reports"],
        args.format,
        {"title": 40, "snippet": 80},
    )
    for note in notes:
        print(f"note: {terminal(note)}", file=sys.stderr)
    return 0


def one_per_story(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The best-ranked hit of each story, with its story id and how many articles the story
    has (``reports``); the others are folded into it."""
    story_of = store.stories_of([r["id"] for r in rows])
    sizes = store.story_sizes(list(set(story_of.values())))
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        story = story_of.get(r["id"], r["id"])
        if story not in out:
            out[story] = {**r, "story_id": story, "reports": sizes.get(story, 1)}
    return list(out.values())


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
