"""`bot.py alerts` and `notify test`: the outbox, and a channel tried by hand."""

from __future__ import annotations

import argparse

from rich.table import Table

from cli.common import cell, load, out, say
from errors import ConfigError, NewsbotError


def cmd_alerts(args: argparse.Namespace) -> int:
    from service.pipeline import utcnow
    from service.wiring import open_store

    s = load(args)
    with open_store(s) as store:
        if args.action == "retry":
            if not args.id:
                raise ConfigError("alerts retry: give an alert id (or a prefix), or 'all'")
            n = store.retry_alert(args.id, utcnow())
            say(f"{n} alert(s) re-queued")
            return 0 if n else 1
        rows = store.list_alerts(args.status, args.limit)
    table = Table("id", "status", "watch", "channel", "tries", "title", "error / sent / worker")
    for r in rows:
        table.add_row(
            *map(
                cell,
                (
                    r["id"][:12],
                    r["status"],
                    r["watch"],
                    r["channel"],
                    str(r["attempts"]),
                    (r["title"] or "")[:50],
                    _state(r),
                ),
            )
        )
    out.print(table)
    return 0


def _state(row: dict[str, object]) -> str:
    """Why it is where it is: the error, when it was sent, or which worker is sending it."""
    if row["status"] == "sending" and row.get("lease_owner"):
        return f"being sent by {row['lease_owner']}"
    return str(row["last_error"] or row["sent_at"] or "")


def cmd_notify(args: argparse.Namespace) -> int:
    import notifiers
    from cli.explain import sample_alert

    s = load(args)
    if args.name not in s.notifiers:
        raise ConfigError(f"notify test: no notifier named {args.name!r}")
    ch = notifiers.build(args.name, s.notifiers[args.name], base_dir=s.base_dir)
    try:
        receipt = ch.send(sample_alert(args.name))
    except NewsbotError as err:
        say(f"{args.name}: FAILED: {err.render()}")
        return 1
    finally:
        ch.close()
    say(f"{args.name}: accepted: {receipt}")
    return 0
