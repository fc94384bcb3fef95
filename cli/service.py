"""`bot.py run`, `once` and `check`: the service, one cycle, and what the config means."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import load, say
from settings import Settings


def cmd_run(args: argparse.Namespace) -> int:
    import stories
    from service.scheduler import Service
    from service.wiring import build_ruleset

    s = load(args)
    stories.warm_up()  # while the ruleset builds and the first feeds answer
    Service(s, build_ruleset(s)).run()
    return 0


def cmd_once(args: argparse.Namespace) -> int:
    from service.wiring import run_once

    report, sent = run_once(load(args))
    for f in report.failed:
        say(f"feed failed: {f.feed}: {f.error}", file=sys.stderr)
    say(
        f"{len(report.feeds)} feeds polled in {report.seconds:.1f}s: {report.new} new articles, "
        f"{report.alerts} alerts queued, {sent.sent} sent, {sent.retried} to retry, "
        f"{sent.failed} failed, {len(report.failed)} feeds failing"
    )
    return 0


def describe_archive(s: Settings) -> str:
    """Backend, where, schema version (a PostgreSQL archive is connected to and migrated)."""
    from storage import Store
    from storage.pg import redact

    if not s.storage.url and not s.db_path.exists():
        return f"SQLite {s.db_path} (not created yet)"
    with Store.open(s.database) as store:
        version = store.schema_version()
    if s.storage.url:
        return f"PostgreSQL {redact(s.storage.url)}, schema {version}"
    return f"SQLite {s.db_path}, schema {version}"


def cmd_check(args: argparse.Namespace) -> int:
    import notifiers
    from service.wiring import build_ruleset

    s = load(args)
    chans = notifiers.build_all(s)  # validates each channel's options
    ruleset = build_ruleset(s)
    say(f"config: {Path(args.config).resolve()}")
    say(f"archive: {describe_archive(s)}")
    say(
        f"http: timeout {s.http.timeout:g}s, concurrency {s.http.concurrency} "
        f"({s.http.per_host} per host), body cap {s.http.max_bytes} bytes, "
        f"private networks {'ALLOWED' if s.http.allow_private_networks else 'refused'}"
    )
    if "default_interval" in s.polling.model_fields_set:
        say(
            "note: [polling] default_interval is deprecated and ignored: a feed without "
            "`interval` follows the adaptive schedule; delete the key"
        )
    say(f"feeds ({len(s.feeds)}):")
    for f in s.feeds:
        interval = f"every {f.interval:g}s" if f.interval else "auto interval"
        say(
            f"  - {f.name}: {f.url} ({interval}, full_text={'on' if f.full_text else 'off'}, "
            f"backlog={f.backlog}{'' if f.enabled else ', DISABLED'})"
        )
    say(f"watches ({len(s.watches)}):")
    for line in ruleset.describe():
        say(f"  {line}")
    say(f"notifiers ({len(chans)}): " + ", ".join(f"{n} ({s.notifiers[n].type})" for n in chans))
    for warning in config_warnings(s):
        say(f"warning: {warning}")
    for ch in chans.values():
        ch.close()
    say("config OK")
    return 0


def config_warnings(s: Settings) -> list[str]:
    """What is allowed but unsafe: a password sent in clear."""
    warnings = []
    for name, ch in s.notifiers.items():
        opts = ch.options()
        if ch.type == "email" and opts.get("security") == "none" and opts.get("password"):
            warnings.append(
                f'notifiers.{name}: security = "none" sends the SMTP password in clear '
                'over the network; use "starttls" (port 587) or "tls" (465)'
            )
    return warnings
