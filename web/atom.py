"""An Atom feed per watch (RFC 4287): follow what a watch found in any feed reader.

Titled "newsbot: WATCH"; one entry per story, newest first, each with a stable id (a UUID
derived from the watch and the story, whose id is its first article's), updated/published
dates, a link to the newest report and a plain-text summary (outlet, places, the snippet where
it matched, the other outlets that reported it). A watch that has found
nothing yet gives a valid feed without entries. Third-party text is XML-escaped by ElementTree
and stripped of the characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import Response

from safetext import strip_bidi, xml_safe
from storage import Store
from storage.search import Hit, search
from web.items import SAFE_SCHEMES, StoryNote, watch_url, when
from web.site import site_of
from web.story_page import story_notes

ATOM_NS = "http://www.w3.org/2005/Atom"
ENTRIES = 50
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def xml_text(value: str) -> str:
    """Text XML 1.0 can carry (control characters and lone surrogates dropped), without bidi
    overrides."""
    return xml_safe(strip_bidi(value))


def _uuid(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "newsbot:" + "\x1f".join(parts)).urn


def _add(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text:
        el.text = xml_text(text)
    return el


@dataclass(frozen=True)
class Found:
    """What the feed is made of: the watch's newest hits and what to say about each."""

    hits: Sequence[Hit]
    places: dict[int, list[tuple[int, str]]]
    stories: dict[int, int]  # article id -> story id
    notes: dict[int, StoryNote]


def feed_document(watch: str, found: Found, base: str, now: datetime) -> bytes:
    """The Atom document of ``watch`` (``base``: scheme://host of this server)."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    page = base + watch_url(watch)
    _add(feed, "title", f"newsbot: {watch}")
    _add(feed, "subtitle", f"What the newsbot watch “{watch}” found, newest first")
    _add(feed, "id", _uuid("watch", watch))
    hits = _one_per_story(found)
    newest = max((h.published for h in hits), default=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _add(feed, "updated", newest)
    _add(feed, "link", rel="self", type="application/atom+xml", href=f"{page}/feed.atom")
    _add(feed, "link", rel="alternate", type="text/html", href=page)
    _add(_add(feed, "author"), "name", "newsbot")
    _add(feed, "generator", "newsbot")
    for hit in hits:
        named = [name for _, name in found.places.get(hit.id, [])]
        story = found.stories.get(hit.id, hit.id)
        _entry(feed, watch, hit, story, named, found.notes.get(hit.id))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _one_per_story(found: Found) -> list[Hit]:
    """The newest hit of each story (hits come newest first)."""
    seen: set[int] = set()
    out = []
    for h in found.hits:
        story = found.stories.get(h.id, h.id)
        if story not in seen:
            seen.add(story)
            out.append(h)
    return out


def _entry(
    feed: ET.Element, watch: str, hit: Hit, story: int, places: list[str], note: StoryNote | None
) -> None:
    entry = _add(feed, "entry")
    _add(entry, "id", _uuid("story", watch, str(story)))
    _add(entry, "title", hit.title or "(no headline)", type="text")
    _add(entry, "updated", hit.published)
    _add(entry, "published", hit.published)
    if hit.url.lower().startswith(SAFE_SCHEMES):
        _add(entry, "link", rel="alternate", type="text/html", href=hit.url)
    lead = f"{hit.feed}, {when(hit.published)} UTC" + (f" · {', '.join(places)}" if places else "")
    also = f"\nAlso reported by: {', '.join(note.outlets)}" if note and note.outlets else ""
    _add(entry, "summary", f"{lead}\n{hit.snippet}{also}", type="text")


async def watch_feed(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)
    name = unquote(request.url_vars["name"])

    def latest(store: Store) -> Found:
        hits = search(store.db, "", watch=name, limit=ENTRIES, order="newest", marks=("", ""))
        ids = [h.id for h in hits]
        return Found(hits, store.places_of(ids), store.stories_of(ids), story_notes(store, ids))

    found = await site.run(latest)
    base = f"{request.scheme}://{request.host}"
    body = feed_document(name, found, base, datetime.now(UTC))
    return Response(body, content_type=CONTENT_TYPE)
