"""Benchmark corpora: real news texts and feeds from ../shared when present, generated ones
otherwise; a Zipfian vocabulary; feed documents of realistic size."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from bench.common import GEO_DEV, REAL_FEEDS, ROOT  # noqa: F401

# ---- corpora -------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


@lru_cache(maxsize=1)
def news_texts() -> tuple[tuple[str, str], ...]:
    """(title, text) of real news articles (GeoWebNews + GeoVirus) when the corpora are here,
    else generated paragraphs."""
    import xml.etree.ElementTree as ET

    out: list[tuple[str, str]] = []
    for name in ("GWN.xml", "GeoVirus.xml"):
        p = GEO_DEV / name
        if not p.exists():
            continue
        try:
            root = ET.parse(p).getroot()
        except ET.ParseError:
            continue
        for art in root.iter("article"):
            text = (art.findtext("text") or "").strip()
            title = (art.findtext("title") or text[:80]).strip()
            if text:
                out.append((title, text))
    if not out:
        rng = random.Random(7)
        words = generated_words()  # not vocabulary(): it counts the words of news_texts()
        weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf, like real text
        for i in range(200):
            body = " ".join(rng.choices(words, weights, k=400))
            out.append((f"Generated story {i}", body.capitalize() + "."))
    return tuple(out)


_FALLBACK_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "said",
    "on",
    "for",
    "that",
    "is",
    "with",
    "was",
    "by",
    "at",
    "from",
    "as",
    "he",
    "it",
    "his",
    "be",
    "has",
    "have",
    "government",
    "police",
    "people",
    "year",
    "minister",
    "president",
    "city",
    "officials",
    "state",
    "news",
    "report",
    "war",
    "attack",
    "killed",
    "forces",
    "election",
    "health",
    "week",
    "country",
    "military",
    "court",
    "water",
    "fire",
    "border",
    "aid",
    "refugees",
    "hospital",
    "village",
    "army",
    "rebels",
    "talks",
    "peace",
    "economy",
    "market",
    "oil",
    "prices",
    "bank",
    "crisis",
]


_SYLLABLES = ("ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "ba", "ri", "po", "gu", "fa")


@lru_cache(maxsize=1)
def generated_words() -> list[str]:
    """Common English news words, then 2,744 made-up three-syllable words: a vocabulary big
    enough for every benchmark when the real corpora are absent."""
    made = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
    return _FALLBACK_WORDS + made


@lru_cache(maxsize=1)
def vocabulary() -> list[str]:
    """Real words ranked by frequency in the news corpora (most frequent first)."""
    counts: Counter[str] = Counter()
    for title, text in news_texts():
        counts.update(w.lower() for w in _WORD.findall(f"{title} {text}"))
    words = [w for w, _ in counts.most_common() if len(w) < 20]
    return words if len(words) > 1000 else generated_words()


@lru_cache(maxsize=1)
def real_feed_files() -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of the real outlet feeds (XML ones), or () when the corpus is absent."""
    if not REAL_FEEDS.is_dir():
        return ()
    out = []
    for p in sorted(REAL_FEEDS.glob("*.xml")):
        data = p.read_bytes()
        if data.lstrip()[:1] == b"<":
            out.append((p.name, data))
    return tuple(out)


@dataclass(frozen=True)
class ItemTemplate:
    title: str
    summary_html: str
    author: str


@lru_cache(maxsize=1)
def real_items() -> tuple[tuple[ItemTemplate, ...], ...]:
    """Items of each real feed (title, summary HTML as published, author); used to build
    feeds of realistic sizes. Content (full article bodies) is left out: a typical outlet
    feed carries summaries."""
    import feedparser

    pools = []
    for _name, data in real_feed_files():
        d = feedparser.parse(data, sanitize_html=False)
        items = []
        for e in d.entries:
            summary = e.get("summary", "") or ""
            if len(summary) > 4000:  # a few outlets put the whole article in the summary
                summary = summary[:4000]
            items.append(ItemTemplate(e.get("title", "") or "", summary, e.get("author", "")))
        if len(items) >= 5:
            pools.append(tuple(items))
    if not pools:
        rng = random.Random(3)
        words = vocabulary()
        gen = tuple(
            ItemTemplate(
                " ".join(rng.choice(words) for _ in range(9)).capitalize(),
                "<p>" + " ".join(rng.choice(words) for _ in range(60)) + ".</p>",
                "Staff",
            )
            for _ in range(50)
        )
        pools = [gen]
    return tuple(pools)


BASE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def build_feed(
    index: int,
    items: int = 50,
    *,
    generation: int = 0,
    host: str = "outlet.bench.test",
    extra_items: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    """Feed ``index``: RSS 2.0 for even indexes, Atom for odd ones, ``items`` entries taken
    from real feed ``index % 28`` (cycled), with guids and links unique to this feed.
    ``extra_items`` (guid, title, summary) are put first (the newest)."""
    pools = real_items()
    pool = pools[index % len(pools)]
    entries: list[tuple[str, str, str, str, str, datetime]] = []
    for g, t, s in extra_items:
        link = f"https://{host}/{index}/{g}.html"
        entries.append((g, t, link, escape(s), "Desk", BASE_TIME + timedelta(hours=1)))
    for j in range(items):
        it = pool[(j + generation) % len(pool)]
        guid = f"urn:bench:{index}:{generation}:{j}"
        link = f"https://{host}/{index}/{generation}-{j}.html"
        when = BASE_TIME - timedelta(minutes=17 * j + index % 60)
        entries.append((guid, it.title, link, it.summary_html, it.author, when))
    if index % 2 == 0:
        body = "".join(
            f'<item><guid isPermaLink="false">{escape(g)}</guid><title>{escape(t)}</title>'
            f"<link>{escape(link)}</link><pubDate>{format_datetime(w)}</pubDate>"
            f"<dc:creator>{escape(a)}</dc:creator>"
            f"<description>{escape(s)}</description></item>\n"
            for g, t, link, s, a, w in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>Outlet {index}</title><link>https://{host}/</link>"
            f"<description>News from outlet {index}</description><language>en</language>"
            f"<lastBuildDate>{format_datetime(BASE_TIME)}</lastBuildDate>\n{body}"
            "</channel></rss>\n"
        ).encode()
    body = "".join(
        f"<entry><id>{escape(g)}</id><title>{escape(t)}</title>"
        f'<link rel="alternate" type="text/html" href="{escape(link)}"/>'
        f"<published>{w:%Y-%m-%dT%H:%M:%SZ}</published><updated>{w:%Y-%m-%dT%H:%M:%SZ}</updated>"
        f"<author><name>{escape(a)}</name></author>"
        f'<summary type="html">{escape(s)}</summary></entry>\n'
        for g, t, link, s, a, w in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Outlet {index}</title><id>urn:bench:outlet:{index}</id>"
        f'<link rel="alternate" href="https://{host}/"/>'
        f"<updated>{BASE_TIME:%Y-%m-%dT%H:%M:%SZ}</updated>\n{body}</feed>\n"
    ).encode()
