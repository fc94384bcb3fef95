"""Small feed documents for tests (RSS 2.0, Atom, RDF) with realistic structure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

Item = tuple[str, str, str, str]  # guid, title, link, description
Dated = tuple[str, str, str, str, datetime]  # the same, with its own pubDate


def rss(
    items: Sequence[Item | Dated],
    title: str = "Test feed",
    when: datetime | None = None,
    extra: str = "",
) -> bytes:
    """An RSS 2.0 document; every item dated ``when``, or the date it carries."""
    when = when or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    body = "".join(
        f'<item><guid isPermaLink="false">{escape(i[0])}</guid><title>{escape(i[1])}</title>'
        f"<link>{escape(i[2])}</link><pubDate>{format_datetime(_date(i, when))}</pubDate>"
        f"<description>{escape(i[3])}</description></item>"
        for i in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link>{extra}{body}"
        f"</channel></rss>"
    ).encode()


def _date(item: Item | Dated, default: datetime) -> datetime:
    return item[4] if len(item) == 5 else default  # type: ignore[misc]


def atom(items: Sequence[Item], title: str = "Atom feed") -> bytes:
    body = "".join(
        f"<entry><id>{escape(g)}</id><title>{escape(t)}</title>"
        f'<link rel="alternate" href="{escape(link)}"/><updated>2026-11-20T12:00:00Z</updated>'
        f"<summary>{escape(d)}</summary></entry>"
        for g, t, link, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:x</id><updated>2026-11-20T12:00:00Z</updated>"
        f"{body}</feed>"
    ).encode()


def rdf(items: Sequence[Item], title: str = "RDF feed") -> bytes:
    body = "".join(
        f'<item rdf:about="{escape(link)}"><title>{escape(t)}</title><link>{escape(link)}</link>'
        f"<description>{escape(d)}</description><dc:date>2026-11-20T12:00:00Z</dc:date></item>"
        for _g, t, link, d in items
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="http://example.org/"><title>{escape(title)}</title>'
        f"<link>http://example.org/</link></channel>{body}</rdf:RDF>"
    ).encode()


def page(title: str, paragraphs: Sequence[str], rail: Sequence[str] = ()) -> bytes:
    paras = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    rail_html = "".join(f'<li><a href="/x">{escape(r)}</a></li>' for r in rail)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<main><article><h1>{escape(title)}</h1>{paras}</article></main>"
        f"<aside><h2>Most read</h2><ul>{rail_html}</ul></aside>"
        f"<footer><p>Comments are moderated according to our guidelines.</p></footer>"
        f"</body></html>"
    ).encode()
