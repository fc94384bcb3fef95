"""One function per command of bot.py: load what it needs, call the stage, print.

Printing lives here (rich tables for people, JSON for scripts); no SQL, no HTTP.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import settings as settings_mod
from errors import ConfigError, NewsbotError
from settings import Settings

out = Console(soft_wrap=False, highlight=False)


def _load(args: argparse.Namespace) -> Settings:
    return settings_mod.load(args.config)


def cmd_run(args: argparse.Namespace) -> int:
    from app import build_ruleset
    from scheduler import Service

    s = _load(args)
    Service(s, build_ruleset(s)).run()
    return 0


def cmd_once(args: argparse.Namespace) -> int:
    from app import run_once

    report, sent = run_once(_load(args))
    for f in report.failed:
        print(f"feed failed: {f.feed}: {f.error}", file=sys.stderr)
    print(f"{len(report.feeds)} feeds polled in {report.seconds:.1f}s: {report.new} new articles, "
          f"{report.alerts} alerts queued, {sent.sent} sent, {sent.retried} to retry, "
          f"{sent.failed} failed, {len(report.failed)} feeds failing")  # fmt: skip
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import notifiers
    from app import build_ruleset

    s = _load(args)
    chans = notifiers.build_all(s)  # validates each channel's options
    ruleset = build_ruleset(s)
    print(f"config: {Path(args.config).resolve()}")
    print(f"archive: {s.db_path}")
    print(f"http: timeout {s.http.timeout:g}s, concurrency {s.http.concurrency} "
          f"({s.http.per_host} per host), body cap {s.http.max_bytes} bytes, "
          f"private networks {'ALLOWED' if s.http.allow_private_networks else 'refused'}")  # fmt: skip
    print(f"feeds ({len(s.feeds)}):")
    for f in s.feeds:
        interval = f"every {f.interval:g}s" if f.interval else "auto interval"
        print(f"  - {f.name}: {f.url} ({interval}, full_text={'on' if f.full_text else 'off'}, "
              f"backlog={f.backlog}{'' if f.enabled else ', DISABLED'})")  # fmt: skip
    print(f"watches ({len(s.watches)}):")
    for line in ruleset.describe():
        print(f"  {line}")
    print(f"notifiers ({len(chans)}): " + ", ".join(f"{n} ({s.notifiers[n].type})" for n in chans))
    for ch in chans.values():
        ch.close()
    print("config OK")
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    import feedhealth
    from app import open_store

    s = _load(args)
    with open_store(s) as store:
        rows = store.all_feeds(with_counts=True)
    if args.failing:
        rows = [r for r in rows if r.consecutive_errors or not r.enabled]
    if args.format == "json":
        print(json.dumps([feedhealth.as_dict(r) for r in rows], indent=2))
        return 0
    table = Table("feed", "status", "last ok", "errors", "next poll / why", "articles",
                  show_lines=False, expand=False)  # fmt: skip
    for r in rows:
        table.add_row(*feedhealth.row(r))
    out.print(table)
    if args.failing:
        for r in rows:
            print(f"- {r.name}: {r.last_error or r.disabled_reason}\n  hint: {feedhealth.hint(r)}")
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    from feeds.opml import read_opml, toml_feeds

    s = _load(args)
    known = {f.url for f in s.feeds}
    names = {f.name for f in s.feeds}
    fresh = []
    for name, url in read_opml(args.file):
        if url in known:
            continue
        while name in names:
            name += " (2)"
        known.add(url)
        names.add(name)
        fresh.append((name, url))
    text = toml_feeds(fresh)
    settings_mod.from_dict(_merged(args.config, text), base_dir=s.base_dir)  # validate first
    with open(args.config, "a", encoding="utf-8") as fh:
        fh.write(text)
    print(f"imported {len(fresh)} feeds into {args.config}")
    return 0


def _merged(path: str, extra: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(Path(path).read_text(encoding="utf-8") + extra)


def cmd_export_opml(args: argparse.Namespace) -> int:
    from feeds.opml import write_opml

    sys.stdout.write(write_opml(_load(args).feeds))
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from app import open_store
    from pipeline import utcnow

    s = _load(args)
    with open_store(s) as store:
        if args.action == "retry":
            if not args.id:
                raise ConfigError("alerts retry: give an alert id (or a prefix), or 'all'")
            n = store.retry_alert(args.id, utcnow())
            print(f"{n} alert(s) re-queued")
            return 0 if n else 1
        rows = store.list_alerts(args.status, args.limit)
    table = Table("id", "status", "watch", "channel", "tries", "title", "error / sent")
    for r in rows:
        table.add_row(r["id"][:12], r["status"], r["watch"], r["channel"], str(r["attempts"]),
                      (r["title"] or "")[:50], r["last_error"] or r["sent_at"] or "")  # fmt: skip
    out.print(table)
    return 0


def cmd_watches(args: argparse.Namespace) -> int:
    import explain

    s = _load(args)
    if args.action == "backfill":
        return _backfill(s, args)
    text = args.text
    if args.file:
        text = Path(args.file).read_text(encoding="utf-8", errors="replace")
    if args.url:
        text = explain.fetch_text(s, args.url)
    if not text:
        raise ConfigError("watches test: give TEXT, --file F or --url URL")
    from app import build_ruleset

    lines = explain.explain(build_ruleset(s), text)
    print("\n".join(lines) if lines else "no watch fires on this text")
    return 0


def _backfill(s: Settings, args: argparse.Namespace) -> int:
    from app import open_store
    from archive_cli import parse_when
    from backfill import backfill

    if not args.text:
        raise ConfigError("watches backfill: give the watch's name")
    with open_store(s) as store:
        r = backfill(s, store, args.text, parse_when(args.since, name="since"), alert=args.alert)
    print(f"{args.text}: scanned {r.scanned} articles, {r.matched} matched, "
          f"{r.alerts} alerts queued{'' if args.alert else ' (use --alert to send them)'}")  # fmt: skip
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    import notifiers
    from explain import sample_alert

    s = _load(args)
    if args.name not in s.notifiers:
        raise ConfigError(f"notify test: no notifier named {args.name!r}")
    ch = notifiers.build(args.name, s.notifiers[args.name], base_dir=s.base_dir)
    try:
        receipt = ch.send(sample_alert(args.name))
    except NewsbotError as err:
        print(f"{args.name}: FAILED: {err.render()}")
        return 1
    finally:
        ch.close()
    print(f"{args.name}: accepted: {receipt}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bench.__main__ import main as bench_main

    flags = [*args.names, *(["--quick"] if args.quick else []), *(["--full"] if args.full else [])]
    return bench_main(flags)


def cmd_demo(args: argparse.Namespace) -> int:
    import demo

    return demo.run(args.config, keep_db=args.db)


def _archive(name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        import archive_cli

        return int(getattr(archive_cli, name)(args))

    return call


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "search": _archive("cmd_search"), "matches": _archive("cmd_matches"),
    "serve": _archive("cmd_serve"),
    "run": cmd_run, "once": cmd_once, "check": cmd_check, "feeds": cmd_feeds,
    "import-opml": cmd_import_opml, "export-opml": cmd_export_opml, "alerts": cmd_alerts,
    "watches": cmd_watches, "notify": cmd_notify, "demo": cmd_demo, "bench": cmd_bench,
}  # fmt: skip


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
