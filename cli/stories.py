"""`bot.py stories`: the archive's stories, newest first, each with its articles; or, with
``--rebuild``, regroup the articles published since ``--since`` with the current rule."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from cli.common import db_path, emit, json_text, parse_when
from storage import Store

REBUILD_DEFAULT = timedelta(days=30)


def cmd_stories(args: argparse.Namespace) -> int:
    since = parse_when(args.since, name="since")
    if args.rebuild:
        return _rebuild(args, since or datetime.now(UTC) - REBUILD_DEFAULT)
    with Store.open(db_path(args), readonly=True) as store:
        stories = store.list_stories(since=since, watch=args.watch, limit=args.limit)
    if args.format == "json":
        print(json_text([s.as_dict() for s in stories]))
        return 0
    rows = [
        {
            "story_id": s.id,
            "last_seen": s.last_seen if args.format == "csv" else s.last_seen[:16],
            "title": s.title,
            "articles": s.size,
            "outlets": ", ".join(s.feeds),
        }
        for s in stories
    ]
    emit(
        rows, ["story_id", "last_seen", "title", "articles", "outlets"], args.format, {"title": 50}
    )
    return 0


def _rebuild(args: argparse.Namespace, since: datetime) -> int:
    from stories.rebuild import rebuild

    with Store.open(db_path(args)) as store:
        report = rebuild(store, since)
    print(
        f"regrouped {report.articles} article(s) published since {since:%Y-%m-%d}:"
        f" {report.stories} stories, {report.multi} reported by more than one article"
    )
    return 0
