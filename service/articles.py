"""The article stage of a poll: each new article's page fetched and extracted (or its
summary kept), matched, then completed in the archive (text, matches, story, alerts,
processed: one transaction); old articles through the cycle's backlog (service/backlog.py);
edited ones matched again. ``service.pipeline`` says when; this module says how."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from errors import ExtractError, FetchError, NewsbotError
from feeds.extraction import extract_async
from feeds.fetch import PAGE_ACCEPT, Fetcher
from matching import home
from matching.rules import Ruleset
from models import Article, Match
from service import backlog as backlogs
from settings import FeedSettings
from storage import Store
from storage.archive import Processed, place_ids
from storage.stories import Clusterer

log = logging.getLogger("newsbot.pipeline")


class ArticleContext(Protocol):
    """What this stage uses of the pipeline's ``Context``."""

    store: Store
    fetcher: Fetcher
    ruleset: Ruleset | None
    stories: Clusterer | None
    _threads: frozenset[str]

    def feed_settings(self, name: str) -> FeedSettings | None: ...

    def channels(self) -> dict[str, list[str]]: ...

    def backlog(self) -> backlogs.Backlog: ...


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def process_articles(
    ctx: ArticleContext,
    articles: Sequence[Article],
    cfg: FeedSettings | None = None,
    *,
    first_poll: bool = False,
) -> int:
    """Prepare the articles concurrently, then store them in ONE transaction (text, matches,
    alerts, processed). Returns the alerts queued. An article that failed stays unprocessed
    and is resumed next cycle. Old articles, or all of them on a feed's ``first_poll``, are
    completed with other feeds' in the order published (service/backlog.py)."""
    if not articles:
        return 0
    results = await asyncio.gather(
        *(prepare_article(ctx, a, cfg) for a in articles), return_exceptions=True
    )
    done = [r for r in results if isinstance(r, Processed)]
    for article, r in zip(articles, results, strict=True):
        if isinstance(r, BaseException):
            log.error("article %s: processing failed, retried next cycle: %r", article.url, r)
    fresh, old = ([], done) if first_poll else backlogs.split(done, utcnow())
    counts: dict[int, int] = {}
    if fresh:
        await encode_ahead(ctx, fresh)
        await stories_lock_free(ctx)
        store_processed(ctx, fresh, counts)
    return sum(counts.values()) + await ctx.backlog().complete(old)


async def encode_ahead(ctx: ArticleContext, done: Sequence[Processed]) -> None:
    """Have the clusterer encode the sentence vectors of ``done`` off the event loop before
    they are completed (the decisions inside the transaction find them ready); nothing to
    do without stories."""
    ahead = getattr(ctx.stories, "encode_ahead", None)
    if ahead is not None and done:
        await ahead([(d.article, d.text, place_ids(d)) for d in done])


LOCK_LOOK = (0.02, 0.5)  # the first and the longest pause between two looks at the lock
LOCK_PATIENCE = 60.0  # then wait in the transaction: the server ends a stopped holder's in 30 s


async def stories_lock_free(ctx: ArticleContext) -> None:
    """Wait, letting the event loop run, until the fleet's stories lock looks free
    (PostgreSQL; at once on SQLite or without stories). Completing articles takes it in
    a transaction that waits for it: a worker stopped while holding it (SIGSTOP, a frozen
    VM) would otherwise freeze every other worker's polls, leases and deliveries until
    the server ends its session."""
    if ctx.stories is None:
        return
    pause, give_up = LOCK_LOOK[0], time.monotonic() + LOCK_PATIENCE
    while not ctx.store.stories_free() and time.monotonic() < give_up:
        await asyncio.sleep(pause)
        pause = min(pause * 2, LOCK_LOOK[1])


def store_processed(ctx: ArticleContext, done: Sequence[Processed], counts: dict[int, int]) -> None:
    """ONE transaction for ``done`` (text, matches, stories, alerts, processed); ``counts``
    gets the alerts each article queued. On a storage error nothing is stored: the articles
    stay unprocessed and are resumed next cycle."""
    homes: dict[str, dict[str, float]] = {}
    for d in done:  # each feed's home region learns from its articles' resolved places
        feed = d.article.feed
        if feed not in homes:
            homes[feed] = ctx.store.feed_home_regions(feed)
        homes[feed] = home.learn(homes[feed], d.places)
    try:
        ctx.store.complete_articles(
            done,
            ctx.channels(),
            utcnow(),
            homes,
            clusterer=ctx.stories,
            threads=ctx._threads,
            counts=counts,
        )
    except NewsbotError as err:
        log.error("%d articles not stored, retried next cycle: %s", len(done), err.render())


def rematch_articles(ctx: ArticleContext, ids: Sequence[int]) -> int:
    """Match edited articles again on what they say now (the page is not fetched again):
    a watch they fire for the first time alerts. Returns the alerts queued. When the store
    fails they stay marked and are matched again next cycle."""
    edited: list[tuple[Article, Sequence[Match]]] = []
    for article in ctx.store.articles(ids):
        matches: Sequence[Match] = ()
        if ctx.ruleset is not None:
            prior = home.shares(ctx.store.feed_home_regions(article.feed))
            matches = ctx.ruleset.analyse(
                article, ctx.store.article_feeds(article.id), prior
            ).matches
        edited.append((article, matches))
    if not edited:
        return 0
    try:
        return ctx.store.rematch(edited, ctx.channels(), utcnow(), ctx._threads)
    except NewsbotError as err:
        log.error("%d edited articles not matched again yet: %s", len(edited), err.render())
        return 0


async def prepare_article(
    ctx: ArticleContext, article: Article, cfg: FeedSettings | None = None
) -> Processed:
    """Fetch and extract the page (or keep the summary), then match: no writes."""
    cfg = cfg or ctx.feed_settings(article.feed)
    full_text = cfg.full_text if cfg else True
    page = ctx.store.article_page(article.id) if full_text else None
    meta: dict[str, Any] = {}
    if not full_text:
        text, status = "", "summary: full_text off"
    elif page is None:  # no link, or one its feed's other items share (a landing page)
        text, status = "", "summary: no page of its own"
    else:
        text, status, meta = await _article_text(ctx, replace(article, url=page))
    complete = replace(article, text=text, language=meta.get("language") or article.language)
    feeds: Sequence[str] = ctx.store.article_feeds(article.id)
    if ctx.ruleset is None:
        return Processed(complete, text, status, meta, ())
    prior = home.shares(ctx.store.feed_home_regions(article.feed))
    found = ctx.ruleset.analyse(complete, feeds, prior)
    return Processed(complete, text, status, meta, tuple(found.matches), tuple(found.places))


async def _article_text(ctx: ArticleContext, article: Article) -> tuple[str, str, dict[str, Any]]:
    if not article.url.lower().startswith(("http://", "https://")):
        return "", "summary: no link", {}
    try:
        page = await ctx.fetcher.fetch(article.url, accept=PAGE_ACCEPT)
        got = await extract_async(page.content, page.url, page.content_type)
    except (FetchError, ExtractError) as err:
        log.info("article %s: keeping the summary: %s", article.url, err)
        return "", f"summary: {err}"[:300], {}
    except Exception as exc:  # an extractor bug on a hostile page: keep the summary
        log.exception("article %s: extraction crashed; keeping the summary", article.url)
        return "", f"summary: extraction crashed: {type(exc).__name__}"[:300], {}
    meta = {"canonical_url": got.canonical_url, "language": got.language}
    return got.text, "extracted", meta
