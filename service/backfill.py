"""`bot.py watches backfill NAME --since 30d`: run one watch over the archive.

Records the matches it finds (so `matches`, `search --watch` and the web pages show them);
queues alerts only with ``--alert`` (one per article and channel, never twice: an article
that already alerted for this watch is skipped by the outbox's idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from errors import ConfigError
from settings import Settings
from storage import Store


@dataclass
class BackfillReport:
    scanned: int = 0
    matched: int = 0
    alerts: int = 0


def backfill(
    settings: Settings, store: Store, watch_name: str, since: datetime | None, *, alert: bool
) -> BackfillReport:
    from matching.compiler import compile_rules

    watch = next((w for w in settings.watches if w.name == watch_name), None)
    if watch is None:
        known = ", ".join(w.name for w in settings.watches) or "none"
        raise ConfigError(f"watches backfill: no watch named {watch_name!r} (known: {known})")
    ruleset = compile_rules([watch])
    channels = {watch.name: settings.channels_for(watch)}
    report = BackfillReport()
    now = datetime.now(UTC).replace(microsecond=0)
    for article in store.articles_since(since):
        report.scanned += 1
        matches = ruleset.match(article, store.article_feeds(article.id))
        if matches:
            report.matched += 1
            report.alerts += store.add_matches(article, matches, channels, now, alert=alert)
    return report
