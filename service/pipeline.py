"""The one place that knows the order of the stages. `bot.py once`, the service's tick and
`bot.py demo` all call ``poll_due_feeds``.

    poll_due_feeds(ctx, now)
     ├─ resume articles a crash left unprocessed
     ├─ claim due feeds in batches (a lease each: other workers of a fleet skip them;
     │  service/claimloop.py); on PostgreSQL claims and records run in store threads
     └─ for each claimed feed, concurrently (the Fetcher bounds it globally and per host):
         fetch -> 304 / same hash: record, done
               -> parse (in a thread) -> save_entries (NEW articles only) -> process_articles
                  (and edited ones matched again: rematch_articles)
               -> record_success (next check)            errors -> record_failure (backoff)
    process_articles (service/articles.py): each article concurrently: fetch the page
                      (SSRF guard) -> extract -> match; then ONE transaction for them all
                      (text + matches + alerts + processed: all of an article's rows or
                      none); a feed's first poll and articles published an hour or more
                      ago wait for other feeds' (service/backlog.py) and are completed
                      with them, oldest first
Nothing here raises for what a feed, a page or a notifier sends back.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

import redaction
from errors import FetchError, NewsbotError, ParseError
from feeds import health, schedule
from feeds.fetch import Fetcher
from feeds.identity import choose_mode
from feeds.parse import parse_async
from matching.rules import Ruleset
from models import (
    FeedState,
    FetchResult,
    Plan,
    PollFailure,
    PollOutcome,
    PollSuccess,
)
from service import backlog as backlogs
from service.articles import (
    encode_ahead,
    process_articles,
    rematch_articles,
    store_processed,
    stories_lock_free,
    utcnow,
)
from service.claimloop import poll_claimed
from service.offload import StoreThreads
from settings import FeedSettings, Settings, as_template, fetch_url
from storage import Store
from storage.stories import Clusterer
from stories import clusterer_for

log = logging.getLogger("newsbot.pipeline")
T = TypeVar("T")


@dataclass
class Context:
    settings: Settings
    store: Store
    fetcher: Fetcher
    ruleset: Ruleset | None
    rng: random.Random = field(default_factory=random.Random)
    stop: threading.Event = field(default_factory=threading.Event)
    stories: Clusterer | None = None  # None: the process's clusterer for this archive
    threads: StoreThreads | None = None  # the hot store calls off the event loop (PostgreSQL)

    def __post_init__(self) -> None:
        self._feeds = {f.name: f for f in self.settings.feeds}
        self._channels = {w.name: self.settings.channels_for(w) for w in self.settings.watches}
        self._threads = self.settings.threaded_channels()
        if self.stories is None:
            self.stories = clusterer_for(str(self.settings.db_path))
        self._backlog: backlogs.Backlog | None = None
        self.polling = 0  # feeds being polled now (poll_feed)

    def backlog(self) -> backlogs.Backlog:
        """This event loop's backlog: old articles completed across feeds, oldest first."""
        loop = asyncio.get_running_loop()
        if self._backlog is None or self._backlog.loop is not loop:
            self._backlog = backlogs.Backlog(
                lambda done, n: store_processed(self, done, n),
                lambda: self.polling,
                loop=loop,
                ready=lambda: stories_lock_free(self),
                ahead=lambda done: encode_ahead(self, done),
            )
        return self._backlog

    def parked(self) -> int:
        """Polls waiting for the backlog (their slot is free)."""
        return self._backlog.parked if self._backlog is not None else 0

    def feed_settings(self, name: str) -> FeedSettings | None:
        return self._feeds.get(name)

    def channels(self) -> dict[str, list[str]]:
        return self._channels

    async def db(self, fn: Callable[[Store], T]) -> T:
        """``fn(store)``: in a store thread when there are some, else inline."""
        if self.threads is not None:
            return await self.threads.run(fn)
        return fn(self.store)


@dataclass
class FeedReport:
    """One feed's poll: its typed outcome (None when it could not even be recorded)."""

    feed: str
    outcome: PollOutcome | None
    new: int = 0
    alerts: int = 0
    error: str | None = None
    dropped: bool = False  # another worker took the feed over: nothing recorded here

    @property
    def status(self) -> str:
        if self.outcome:
            return self.outcome.summary
        return "dropped" if self.dropped else "error"


@dataclass
class CycleReport:
    feeds: list[FeedReport] = field(default_factory=list)
    resumed: int = 0
    seconds: float = 0.0
    takeovers: int = 0  # feeds claimed from another worker's expired lease

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def alerts(self) -> int:
        return sum(f.alerts for f in self.feeds)

    @property
    def failed(self) -> list[FeedReport]:
        return [f for f in self.feeds if f.error]


async def poll_due_feeds(
    ctx: Context, now: datetime | None = None, *, everything: bool = False
) -> CycleReport:
    """Poll the feeds that are due (or every enabled feed), process what is new."""
    started = time.monotonic()
    now = now or utcnow()
    report = CycleReport()
    report.takeovers = ctx.store.reclaim_feed_leases()
    leftovers = ctx.store.unprocessed()
    if leftovers:
        log.info("resuming %d unprocessed articles", len(leftovers))
        await process_articles(ctx, leftovers)
        report.resumed = len(leftovers) - len(
            ctx.store.unprocessed_among([a.id for a in leftovers])
        )
    edited = ctx.store.rematch_pending()
    if edited:  # saved by a cycle that stopped before matching them again
        log.info("matching %d edited articles again", len(edited))
        await stories_lock_free(ctx)
        rematch_articles(ctx, edited)
    report.feeds = await poll_claimed(ctx, now, everything, report, poll_feed)
    report.seconds = time.monotonic() - started
    if len(report.feeds) > 1 and len(report.failed) == len(report.feeds):
        log.warning(
            "every feed failed this cycle: is the network reachable (proxy, DNS)? "
            "`bot.py demo` shows the bot at work offline"
        )
    return report


async def poll_feed(ctx: Context, feed: FeedState, now: datetime) -> FeedReport:
    """Poll one feed; every failure is recorded on the feed, never raised."""
    cfg = ctx.feed_settings(feed.name) or FeedSettings(url=feed.url, name=feed.name)
    ctx.polling += 1
    try:
        return await _poll_feed(ctx, feed, cfg, now)
    finally:
        ctx.polling -= 1
        if ctx._backlog is not None:
            ctx._backlog.poke()


async def _poll_feed(ctx: Context, feed: FeedState, cfg: FeedSettings, now: datetime) -> FeedReport:
    try:
        await _hold(ctx, feed)
        report = await _poll(ctx, feed, cfg, now)
    except _LeaseLost:
        return _dropped(feed)
    except (FetchError, ParseError) as err:
        try:
            await _hold(ctx, feed)
            report = await _failed(ctx, feed, _scrubbed(err), now)
        except _LeaseLost:
            return _dropped(feed)
        except NewsbotError as storage_err:  # could not even record the failure
            log.error("feed=%r failure not recorded: %s", feed.name, storage_err.render())
            return FeedReport(feed.name, None, error=storage_err.render())
    except NewsbotError as err:  # storage trouble: report, leave the feed due
        log.error("feed=%r storage error: %s", feed.name, err.render())
        return FeedReport(feed.name, None, error=err.render())
    except Exception as exc:  # a bug must not stop the other feeds: report, leave it due
        log.exception("feed=%r internal error", feed.name)
        return FeedReport(feed.name, None, error=f"internal error: {type(exc).__name__}: {exc}")
    level = logging.WARNING if report.error else logging.INFO
    log.log(
        level,
        "feed=%r %s new=%d alerts=%d%s",
        feed.name,
        report.status,
        report.new,
        report.alerts,
        f" error={report.error}" if report.error else "",
    )
    return report


class _LeaseLost(Exception):
    """Our lease on the feed ran out and another worker holds it now."""


async def _hold(ctx: Context, feed: FeedState) -> None:
    """Before fetching and before writing: is the feed still ours? Asks the database only
    when this process's lease may have run out (it was held up: SIGSTOP, a frozen VM)."""
    if ctx.store.lease_fresh(feed.id):
        return
    if not await ctx.db(lambda store: store.confirm_lease(feed.id)):
        raise _LeaseLost(feed.name)


def _dropped(feed: FeedState) -> FeedReport:
    log.warning(
        "feed=%r: this worker's lease ran out (was it stopped?) and another worker took the"
        " feed over: its poll is theirs, nothing recorded here",
        feed.name,
    )
    return FeedReport(feed.name, None, dropped=True)


async def _poll(ctx: Context, feed: FeedState, cfg: FeedSettings, now: datetime) -> FeedReport:
    # Only the exact URL the operator configured skips the address check of its first hop: a
    # URL stored after a 301/308 came from a server and is checked like any other target.
    result = await ctx.fetcher.fetch(
        fetch_url(feed.url, feed.current_url),  # ${VAR}s are expanded only here
        etag=feed.etag,
        last_modified=feed.last_modified,
        trusted=feed.current_url == feed.url,
        ready=lambda: _hold(ctx, feed),  # after a wait for a slot: still ours to poll?
    )
    await _hold(ctx, feed)  # the answer may come after a long pause: still ours to record?
    digest = hashlib.sha256(result.content).hexdigest() if not result.not_modified else None
    if result.permanent_url:  # stored and shown as the config writes it (${VAR} kept)
        result = replace(result, permanent_url=as_template(result.permanent_url, feed.url))
    if result.not_modified or digest == feed.body_hash:
        previous = (feed.interval_seconds, feed.interval_reason)
        plan = _plan(ctx, cfg, now, result, None, feed.ttl_minutes, previous)
        return FeedReport(feed.name, await _succeeded(ctx, feed, now, _success(result, plan)))
    parsed = await parse_async(result)
    mode = choose_mode(parsed.entries)
    alerting = not (feed.polls == 0 and cfg.backlog == "archive")
    updated: list[int] = []  # known articles whose headline or summary was edited
    new_ids = await ctx.db(
        lambda store: store.save_entries(
            feed, parsed.entries, mode, now, alerting=alerting, updated=updated
        )
    )
    first = feed.polls == 0  # its whole backlog at once, whatever its dates say
    alerts = await process_articles(ctx, ctx.store.articles(new_ids), cfg, first_poll=first)
    if updated:
        await stories_lock_free(ctx)
        alerts += rematch_articles(ctx, updated)
    published = [e.published for e in parsed.entries if e.published]
    plan = _plan(ctx, cfg, now, result, published, parsed.ttl_minutes)
    outcome = replace(
        _success(result, plan),
        changed=True,
        entries=len(parsed.entries),
        malformed=bool(parsed.warning),
        body_hash=digest,
        guid_mode=mode,
        title=parsed.title,
        ttl_minutes=parsed.ttl_minutes,
    )
    outcome = await _succeeded(ctx, feed, now, outcome)
    return FeedReport(feed.name, outcome, new=len(new_ids), alerts=alerts)


def _plan(
    ctx: Context,
    cfg: FeedSettings,
    now: datetime,
    result: FetchResult,
    published: list[datetime] | None,
    ttl_minutes: int | None,
    previous: tuple[float | None, str | None] = (None, None),
) -> Plan:
    """The next check after a poll that worked (``published`` is None when nothing changed)."""
    return schedule.after_success(
        cfg,
        ctx.settings.polling,
        now,
        ctx.rng,
        published=published,
        ttl_minutes=ttl_minutes,
        headers=result.headers,
        previous=previous,
    )


def _success(result: FetchResult, plan: Plan) -> PollSuccess:
    """What every successful poll stores: status, validators, a move, the next check."""
    return PollSuccess(
        status=result.status,
        plan=plan,
        etag=result.etag,
        last_modified=result.last_modified,
        moved_to=result.permanent_url,
    )


async def _succeeded(
    ctx: Context, feed: FeedState, now: datetime, outcome: PollSuccess
) -> PollSuccess:
    """Record a success with its notices (recovered, moved) in one transaction."""
    notices = [health.recovery_notice(ctx.settings, feed, now)]
    if outcome.moved_to and outcome.moved_to != feed.current_url:
        notices.append(health.moved_notice(ctx.settings, feed, outcome.moved_to))
    if not await ctx.db(
        lambda store: store.record_success(feed.id, now, outcome, notices, leased=True)
    ):
        raise _LeaseLost(feed.name)
    return outcome


def _scrubbed(err: FetchError | ParseError) -> FetchError | ParseError:
    """The error with expanded ``${VAR}`` values written back and URL secrets masked: its text
    is stored on the feed, logged and sent in failure notices."""
    err.message = redaction.scrub(err.message)
    err.args = (err.message,)
    return err


async def _failed(
    ctx: Context, feed: FeedState, err: FetchError | ParseError, now: datetime
) -> FeedReport:
    """Record a failure: the backoff (or the server's Retry-After), maybe a notice."""
    errors = feed.consecutive_errors + 1
    plan = schedule.after_failure(
        ctx.settings.polling, now, ctx.rng, errors=errors, retry_after=err.retry_after
    )
    outcome = PollFailure(
        kind=err.kind,
        status=err.status,
        message=err.message,
        hint=err.hint,
        plan=plan,
        retry_until=plan.next_check_at if err.retry_after else None,
    )
    after = replace(feed, consecutive_errors=errors, failing_since=feed.failing_since or now)
    notice = health.failure_notice(ctx.settings, after, outcome, now)
    if not await ctx.db(
        lambda store: store.record_failure(feed.id, now, outcome, [notice], leased=True)
    ):
        raise _LeaseLost(feed.name)
    return FeedReport(feed.name, outcome, error=outcome.render())
