"""Bytes -> ParsedFeed. The only feedparser user; feedparser never fetches anything itself.

A recoverable malformed feed (feedparser's "bozo") still yields its entries with a warning;
bytes with no entries that are not a feed at all (an HTML page, JSON, garbage) are a ParseError.
Dates are normalised to UTC; text fields are reduced to plain text.
"""

from __future__ import annotations

import asyncio
import atexit
import calendar
import multiprocessing
import os
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html
from lxml.etree import ParserError as LxmlParserError

from errors import ParseError
from feeds.jsonfeed import looks_like_json, parse_json_feed
from models import Entry, FetchResult, ParsedFeed

MAX_ENTRIES = 2000
_TAG = re.compile(r"<[^>]+>")
_SY_PERIOD = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}


def to_text(value: str) -> str:
    """Feed HTML (already sanitised by feedparser) -> plain text with collapsed spaces."""
    if not value:
        return ""
    if "<" in value or "&" in value:
        try:
            value = lxml.html.fromstring(f"<div>{value}</div>").text_content()
        except (LxmlParserError, ValueError):
            value = _TAG.sub(" ", value)
    return " ".join(value.split())


def _date(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        st = entry.get(key)
        if isinstance(st, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(st), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _entry(raw: Any) -> Entry:
    content = ""
    for c in raw.get("content") or ():
        content = max(content, to_text(c.get("value", "")), key=len)
    link = raw.get("link") or None
    if link and not link.lower().startswith(("http://", "https://")):
        link = None
    return Entry(
        guid=(raw.get("id") or "").strip() or None,
        link=link,
        title=to_text(raw.get("title", "")),
        summary=to_text(raw.get("summary", "")),
        published=_date(raw, "published_parsed", "updated_parsed", "created_parsed"),
        author=to_text(raw.get("author", "")),
        content=content,
    )


def _ttl_minutes(feed: Any) -> int | None:
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl)
    period = str(feed.get("sy_updateperiod", "")).strip().lower()
    if period in _SY_PERIOD:
        freq = str(feed.get("sy_updatefrequency", "1")).strip()
        return max(1, _SY_PERIOD[period] // (int(freq) if freq.isdigit() and int(freq) else 1))
    return None


def _looks_like_html(content: bytes, content_type: str) -> bool:
    head = content[:2048].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ProcessPoolExecutor | None:
    """One parser process per spare core (feedparser is pure Python: threads would share one
    core with storage and matching). None on a one-core machine: parse in a thread."""
    global _POOL
    workers = min((os.cpu_count() or 1) - 1, 4)
    if workers < 1 or os.environ.get("NEWSBOT_PARSE_WORKERS") == "0":
        return None
    with _POOL_LOCK:
        if _POOL is None:
            ctx = multiprocessing.get_context("spawn")
            _POOL = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=ctx,
                initializer=follow_parent,
                initargs=(os.getpid(),),
            )
            atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
        return _POOL


PARENT_CHECK = 1.0  # seconds between a worker's looks at its parent


def follow_parent(parent: int) -> None:
    """In a pool worker: exit when the process that started it is gone. A service killed with
    SIGKILL cannot shut its pool down, and its workers, which share the pool's queues among
    themselves, would otherwise wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def worker_pool() -> ProcessPoolExecutor | None:
    """The parser process pool, shared with text extraction (feeds.extraction)."""
    return _pool()


async def parse_async(result: FetchResult) -> ParsedFeed:
    """Parse off the event loop: in the parser process pool, or a thread without one.
    A broken pool (a worker killed) falls back to a thread for this feed."""
    global _POOL
    loop = asyncio.get_running_loop()
    pool = _pool()
    args = (result.content, result.url, result.content_type)
    if pool is not None:
        try:
            return await loop.run_in_executor(pool, parse_bytes, *args)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start afresh
            with _POOL_LOCK:
                _POOL = None
        except RuntimeError:  # cannot spawn here (an unguarded __main__): threads from now on
            os.environ["NEWSBOT_PARSE_WORKERS"] = "0"
    return await asyncio.to_thread(parse_bytes, *args)


def parse_bytes(content: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    if not content.strip():
        raise ParseError(f"{url}: empty response where a feed was expected")
    if looks_like_json(content, content_type):
        return parse_json_feed(content, url, to_text)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        d = feedparser.parse(content, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser can raise on pathological input
        raise ParseError(f"{url}: feed parser failed: {exc.__class__.__name__}: {exc}") from exc
    if not d.get("version") and not d.entries:
        if _looks_like_html(content, content_type):
            raise ParseError(
                f"{url}: an HTML page where a feed was expected",
                hint="the site changed: find the feed's new address (look for <link rel=alternate>)",
            )
        reason = d.get("bozo_exception") or "no RSS, Atom or RDF document found"
        raise ParseError(f"{url}: not a feed: {reason}")
    entries = tuple(_entry(e) for e in d.entries[:MAX_ENTRIES])
    warning = str(d.get("bozo_exception")) if d.get("bozo") else None
    return ParsedFeed(
        title=to_text(d.feed.get("title", "")),
        link=d.feed.get("link") or None,
        entries=entries,
        ttl_minutes=_ttl_minutes(d.feed),
        warning=warning,
    )
