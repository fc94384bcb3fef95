"""`bot.py watches test|backfill`: which watches fire on a text and why; one watch over the archive."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import load, say
from errors import ConfigError
from settings import Settings


def cmd_watches(args: argparse.Namespace) -> int:
    from cli import explain

    s = load(args)
    if args.action == "backfill":
        return _backfill(s, args)
    text = args.text
    if args.file:
        text = Path(args.file).read_text(encoding="utf-8", errors="replace")
    if args.url:
        text = explain.fetch_text(s, args.url)
    if not text:
        raise ConfigError("watches test: give TEXT, --file F or --url URL")
    from service.wiring import build_ruleset

    lines = explain.explain(build_ruleset(s), text)
    say("\n".join(lines) if lines else "no watch fires on this text")
    return 0


def _backfill(s: Settings, args: argparse.Namespace) -> int:
    from cli.common import parse_when
    from service.backfill import backfill
    from service.wiring import open_store

    if not args.text:
        raise ConfigError("watches backfill: give the watch's name")
    with open_store(s) as store:
        r = backfill(s, store, args.text, parse_when(args.since, name="since"), alert=args.alert)
    say(
        f"{args.text}: scanned {r.scanned} articles, {r.matched} matched, "
        f"{r.alerts} alerts queued{'' if args.alert else ' (use --alert to send them)'}"
    )
    return 0
