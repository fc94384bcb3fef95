"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1) -> ParsedFeed. feedparser reads RSS,
Atom and RDF; this reads the JSON format some sites publish instead. Pure: bytes in, value
out; text fields reduced to plain text like the XML formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from errors import ParseError
from models import Entry, ParsedFeed

MAX_ENTRIES = 2000


def looks_like_json(content: bytes, content_type: str = "") -> bool:
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") or "json" in content_type.lower()


def parse_json_feed(content: bytes, url: str, to_text: Any) -> ParsedFeed:
    """Parse a JSON Feed; ParseError when the bytes are JSON of another kind, or not JSON."""
    try:
        doc = json.loads(content.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{url}: not a feed: invalid JSON ({exc})") from exc
    version = doc.get("version", "") if isinstance(doc, dict) else ""
    if not (isinstance(version, str) and "jsonfeed.org" in version):
        raise ParseError(f"{url}: not a feed: JSON without a jsonfeed.org version")
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    base = _str(doc.get("feed_url")) or url
    entries = tuple(_entry(i, base, to_text) for i in items[:MAX_ENTRIES] if isinstance(i, dict))
    return ParsedFeed(
        title=to_text(_str(doc.get("title"))), link=_str(doc.get("home_page_url")), entries=entries
    )


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _entry(item: dict[str, Any], base: str, to_text: Any) -> Entry:
    link = _str(item.get("url")) or _str(item.get("external_url"))
    link = urljoin(base, link) if link else ""
    html = _str(item.get("content_html"))
    text = to_text(html) if html else " ".join(_str(item.get("content_text")).split())
    summary = to_text(_str(item.get("summary"))) or text[:500]
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    author = ", ".join(
        _str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")
    )
    ident = item.get("id")
    return Entry(
        guid=str(ident).strip() or None if ident is not None else None,
        link=link if link.lower().startswith(("http://", "https://")) else None,
        title=to_text(_str(item.get("title"))),
        summary=summary,
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        author=author,
        content=text,
    )


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
