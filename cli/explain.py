"""`bot.py watches test` and `notify test`: show which watches fire on a text and why, and
build the sample alert a channel test sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from feeds import extract
from feeds.fetch import PAGE_ACCEPT, make_client
from matching.rules import Ruleset
from models import Alert, Article, Match, Place
from settings import Settings


def explain(ruleset: Ruleset, text: str, title: str = "") -> list[str]:
    """Human lines: each watch that fires, each piece of evidence with its snippet."""
    article = Article(0, "", title, "", text, datetime.now(UTC), "(test)")
    by_watch: dict[str, list[Match]] = {}
    for m in ruleset.match(article):
        by_watch.setdefault(m.watch, []).append(m)
    lines = [f"place {line}" for line in ruleset.resolutions(article)]
    for watch, text_, field, start, why in ruleset.rejected(article):
        if watch not in by_watch:
            lines.append(f"{watch}: {text_!r} at {field}[{start}] does not count: {why}")
    for watch, matches in by_watch.items():
        lines.append(f"{watch}: FIRES")
        for m in matches:
            where = f"{m.field}[{m.start}:{m.end}]"
            place = f" -> {m.place.label} (geonames:{m.place.geonameid})" if m.place else ""
            lines.append(f"  {m.kind} {m.term!r} matched {m.text!r} at {where}{place}")
            lines.append(f"    … {m.snippet} …")
    return lines


def fetch_text(settings: Settings, url: str) -> str:
    """Fetch a page with the project's client (SSRF guard on) and extract its text."""

    async def go() -> str:
        async with make_client(settings.http) as fetcher:
            page = await fetcher.fetch(url, accept=PAGE_ACCEPT)
        got = extract.extract(page.content, page.url, page.content_type)
        return f"{got.title or ''}\n\n{got.text}"

    return asyncio.run(go())


def sample_alert(channel: str) -> Alert:
    text = "Syrian forces said on Saturday they had retaken the ancient city of Palmyra."
    place = Place(163808, "Tadmur", "SY", "11", 34.5624, 38.28402, 51015)
    match = Match("newsbot test", "location", "Palmyra", "Palmyra", "summary", 63, 70, text, place)
    now = datetime.now(UTC).replace(microsecond=0)
    return Alert(
        id=f"test-{now:%Y%m%d%H%M%S}",
        watch="newsbot test",
        channel=channel,
        article_id=0,
        url="https://example.org/newsbot-test",
        title="newsbot test alert: Palmyra retaken",
        feed="newsbot",
        published=now,
        matches=(match,),
    )
