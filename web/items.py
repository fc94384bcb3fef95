"""Search hits as news items for the templates: headline, outlet, date, places, watches and a
snippet whose matched words are marked.

Text from feeds and pages is third-party content. Hits are marked with two private characters
(MARK_OPEN U+0002, MARK_CLOSE U+0003), never HTML; the page escapes the text and only then turns
the markers into <mark>...</mark>.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

from storage.search import Hit
from storage.snippets import highlight

MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
MARKS = (MARK_OPEN, MARK_CLOSE)
MARKED = re.compile(f"{MARK_OPEN}([^{MARK_OPEN}{MARK_CLOSE}]*){MARK_CLOSE}")
SAFE_SCHEMES = ("http://", "https://")


def marked_html(value: str) -> Markup:
    """Escape third-party text, then turn MARK_OPEN..MARK_CLOSE pairs into <mark>...</mark>."""
    escaped = str(escape(value))
    marked = MARKED.sub(r"<mark>\1</mark>", escaped)
    return Markup(marked.replace(MARK_OPEN, "").replace(MARK_CLOSE, ""))


def watch_url(name: str) -> str:
    return f"/watch/{quote(name, safe='')}"


def place_url(geonameid: int) -> str:
    return f"/place/{int(geonameid)}"


def when(stamp: str | None) -> str:
    """'2026-11-25T12:00:00Z' -> '2026-11-25 12:00' (UTC), for people."""
    return (stamp or "")[:16].replace("T", " ")


@dataclass(frozen=True)
class StoryNote:
    """The story an article belongs to, seen from that article."""

    story_id: int
    others: int  # other reports of it
    outlets: tuple[str, ...]  # the other outlets that reported it

    @property
    def url(self) -> str:
        return f"/story/{self.story_id}"

    @property
    def label(self) -> str:
        n = len(self.outlets)
        if n:
            return f"+{n} outlet{'' if n == 1 else 's'}"
        return f"+{self.others} report{'' if self.others == 1 else 's'}"


@dataclass(frozen=True)
class Item:
    """One news item on a page (a story told by several outlets is one item)."""

    id: int
    title: Markup
    url: str  # the article's link, or "" when it is not http(s)
    outlet: str
    published: str  # ISO, for <time datetime>
    shown_date: str
    snippet: Markup
    places: list[tuple[str, str]]  # (name, url of the place page)
    watches: list[tuple[str, str]]  # (name, url of the watch page)
    story: StoryNote | None = None  # None: no other outlet reported it


def items(
    hits: Sequence[Hit],
    query: str,
    places: dict[int, list[tuple[int, str]]],
    stories: dict[int, StoryNote] | None = None,
    watches: dict[int, list[str]] | None = None,
) -> list[Item]:
    """News items, one per story: a story's later hits on the page fold into its first."""
    stories = stories or {}
    seen: set[int] = set()
    out = []
    for h in hits:
        note = stories.get(h.id)
        if note is not None and note.story_id in seen:
            continue
        if note is not None:
            seen.add(note.story_id)
        named = (watches or {}).get(h.id, [])
        out.append(_item(h, query, places.get(h.id, []), named, note))
    return out


def _item(
    hit: Hit,
    query: str,
    places: list[tuple[int, str]],
    watches: list[str],
    note: StoryNote | None,
) -> Item:
    title = highlight(hit.title, query, MARKS) if query else hit.title
    return Item(
        id=hit.id,
        title=marked_html(title or "(no headline)"),
        url=hit.url if hit.url.lower().startswith(SAFE_SCHEMES) else "",
        outlet=hit.feed,
        published=hit.published,
        shown_date=when(hit.published),
        snippet=marked_html(hit.snippet),
        places=[(name, place_url(gid)) for gid, name in places],
        watches=[(w, watch_url(w)) for w in watches],  # names, never split on a comma
        story=note,
    )
