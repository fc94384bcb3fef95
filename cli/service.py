"""`bot.py run`, `once` and `check`: the service, one cycle, and what the config means."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import load


def cmd_run(args: argparse.Namespace) -> int:
    from service.scheduler import Service
    from service.wiring import build_ruleset

    s = load(args)
    Service(s, build_ruleset(s)).run()
    return 0


def cmd_once(args: argparse.Namespace) -> int:
    from service.wiring import run_once

    report, sent = run_once(load(args))
    for f in report.failed:
        print(f"feed failed: {f.feed}: {f.error}", file=sys.stderr)
    print(
        f"{len(report.feeds)} feeds polled in {report.seconds:.1f}s: {report.new} new articles, "
        f"{report.alerts} alerts queued, {sent.sent} sent, {sent.retried} to retry, "
        f"{sent.failed} failed, {len(report.failed)} feeds failing"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import notifiers
    from service.wiring import build_ruleset

    s = load(args)
    chans = notifiers.build_all(s)  # validates each channel's options
    ruleset = build_ruleset(s)
    print(f"config: {Path(args.config).resolve()}")
    print(f"archive: {s.db_path}")
    print(
        f"http: timeout {s.http.timeout:g}s, concurrency {s.http.concurrency} "
        f"({s.http.per_host} per host), body cap {s.http.max_bytes} bytes, "
        f"private networks {'ALLOWED' if s.http.allow_private_networks else 'refused'}"
    )
    if "default_interval" in s.polling.model_fields_set:
        print(
            "note: [polling] default_interval is deprecated and ignored: a feed without "
            "`interval` follows the adaptive schedule; delete the key"
        )
    print(f"feeds ({len(s.feeds)}):")
    for f in s.feeds:
        interval = f"every {f.interval:g}s" if f.interval else "auto interval"
        print(
            f"  - {f.name}: {f.url} ({interval}, full_text={'on' if f.full_text else 'off'}, "
            f"backlog={f.backlog}{'' if f.enabled else ', DISABLED'})"
        )
    print(f"watches ({len(s.watches)}):")
    for line in ruleset.describe():
        print(f"  {line}")
    print(f"notifiers ({len(chans)}): " + ", ".join(f"{n} ({s.notifiers[n].type})" for n in chans))
    for ch in chans.values():
        ch.close()
    print("config OK")
    return 0
