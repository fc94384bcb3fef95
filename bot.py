#!/usr/bin/env python3
"""newsbot command line: parse the arguments, call one function, print the result.

    bot.py [--config PATH] COMMAND ...     (see `bot.py --help`)

Exit status: 0 ok, 1 a command failed (e.g. a notifier test), 2 the config or the archive
is unusable. Known errors print one line with a hint, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from errors import ConfigError, NewsbotError, StorageError  # noqa: E402

DEFAULT_CONFIG = "config.toml"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bot.py", description="newsbot: a news-monitoring bot")
    p.add_argument(
        "--config",
        default=os.environ.get("NEWSBOT_CONFIG", DEFAULT_CONFIG),
        help="config file (default: config.toml, or $NEWSBOT_CONFIG)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the service: poll on schedule, deliver alerts")
    sub.add_parser("once", help="poll every feed once, process, deliver, exit")
    sub.add_parser("check", help="validate the config and print what it understood")
    f = sub.add_parser("feeds", help="each feed's health and schedule")
    f.add_argument("--failing", action="store_true", help="only failing feeds, with hints")
    f.add_argument("--format", choices=["table", "json"], default="table")
    i = sub.add_parser("import-opml", help="append the feeds of an OPML file to the config")
    i.add_argument("file")
    sub.add_parser("export-opml", help="print the configured feeds as OPML")
    a = sub.add_parser("alerts", help="the outbox: pending and failed alerts")
    a.add_argument("action", nargs="?", choices=["list", "retry"], default="list")
    a.add_argument("id", nargs="?", help="alert id (prefix) or 'all', for retry")
    a.add_argument("--status", choices=["pending", "sending", "sent", "failed"])
    a.add_argument("--limit", type=int, default=50)
    w = sub.add_parser("watches", help="test a text against the watches, or backfill one")
    w.add_argument("action", choices=["test", "backfill"])
    w.add_argument("text", nargs="?", help="test: the text; backfill: the watch name")
    w.add_argument("--since", help="backfill: articles published since (7d, YYYY-MM-DD)")
    w.add_argument("--alert", action="store_true", help="backfill: also queue alerts")
    w.add_argument("--file")
    w.add_argument("--url")
    n = sub.add_parser("notify", help="send a sample alert through a channel")
    n.add_argument("action", choices=["test"])
    n.add_argument("name")
    s = sub.add_parser("search", help="full-text search of the archive, ranked")
    s.add_argument("query", help='words, "phrases", AND/OR/NOT, prefix*, NEAR(a b, 10)')
    _archive_filters(s)
    s.add_argument("--feed", help="only articles from this feed")
    s.add_argument("--location", help="only articles where this place was matched")
    s.add_argument("--until", help="published before this date (YYYY-MM-DD)")
    s.add_argument("--newest", action="store_true", help="newest first instead of by rank")
    s.add_argument("--all", action="store_true", help="every article, not one per story")
    m = sub.add_parser("matches", help="what fired, newest first")
    _archive_filters(m)
    t = sub.add_parser("stories", help="stories (one event, every outlet), newest first")
    _archive_filters(t)
    t.add_argument("--rebuild", action="store_true", help="regroup since --since (default 30d)")
    v = sub.add_parser("serve", help="browse and search the archive in a web page (Datasette)")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    v.add_argument("--port", type=int, default=8001)
    v.add_argument("--db", help="archive file (default: [storage] path of the config)")
    v.add_argument("--sql", action="store_true", help="let visitors run their own read-only SQL")
    v.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer to this Host name (bound to loopback, only localhost names are)",
    )
    b = sub.add_parser("bench", help="run the benchmarks (same as python -m bench)")
    b.add_argument("names", nargs="*", metavar="NAME", help="poll, matching, archive, ...")
    b.add_argument("--quick", action="store_true", help="small sizes")
    b.add_argument("--full", action="store_true", help="largest sizes (archive at 1M)")
    c = sub.add_parser("db", help="copy an archive between SQLite and PostgreSQL")
    c.add_argument("action", choices=["copy"])
    c.add_argument("--from", dest="source", required=True, help="a .db file or postgresql:// URL")
    c.add_argument("--to", required=True, help="an empty .db file or postgresql:// database")
    d = sub.add_parser("demo", help="offline demo: a local sample site, one full cycle")
    d.add_argument("--db", help="keep the demo archive at this path")
    return p


def _archive_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--watch", help="only articles this watch matched")
    p.add_argument("--since", help="7d, 24h, or a date YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--db", help="archive file (default: [storage] path of the config)")


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    journald = "JOURNAL_STREAM" in os.environ or "INVOCATION_ID" in os.environ
    fmt = (
        "%(levelname)s %(name)s: %(message)s"
        if journald
        else ("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
    import redaction

    redaction.install_log_filter()  # secrets and terminal control characters out of every line
    for noisy in (
        "httpx",
        "httpcore",
        "apscheduler",
        "trafilatura",
        "htmldate",
        "charset_normalizer",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _shown(err: NewsbotError) -> str:
    """An error for the terminal: it may quote a server (no control characters, no secrets)."""
    import redaction
    import safetext

    return safetext.terminal(redaction.scrub(err.render()))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args)
    import cli

    try:
        return cli.dispatch(args)
    except (ConfigError, StorageError) as err:
        print(f"error: {_shown(err)}", file=sys.stderr)
        return 2
    except NewsbotError as err:
        print(f"error: {_shown(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
