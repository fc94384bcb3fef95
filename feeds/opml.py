"""OPML in and out, for people moving from other readers.

Read with ``defusedxml``, which refuses a DTD (and so any entity: no billion laughs, no
external entities). An OPML file is a stranger's text: names are cleaned to one line, URLs must pass the
SSRF guard's syntax check, and a ``${`` in an imported URL is written as ``$${`` (a literal, see
settings.expand) so the file cannot make newsbot expand ``${SMTP_PASSWORD}`` into a URL it
fetches. Feeds are appended with tomlkit: the config's comments and layout are kept.
Export writes only characters XML can carry."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as defused
import tomlkit
from defusedxml import DefusedXmlException
from tomlkit.items import AoT, Array, Comment, Table, Whitespace

import safetext
from errors import BlockedAddressError, ConfigError
from feeds.guard import parse_url
from settings import FeedSettings, escape_template, read_file


def read_opml(path: str | Path, skipped: list[str] | None = None) -> list[tuple[str, str]]:
    """(name, url) of every feed outline, in document order, nested folders included; URLs the
    fetcher would refuse (not http(s), spaces, user:password@) go to ``skipped``."""
    p = Path(path)
    raw = read_file(p, "OPML")
    try:
        root = defused.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ConfigError(f"{p}: OPML with a DTD/entities is refused ({exc})") from exc
    except ET.ParseError as exc:
        raise ConfigError(f"{p}: not valid OPML: {exc}") from exc
    feeds = []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if not url:
            continue
        try:
            parse_url(url)
        except BlockedAddressError:
            (skipped if skipped is not None else []).append(url)
            continue
        name = safetext.one_line(node.get("title") or node.get("text") or "") or url
        feeds.append((name, url))
    return feeds


def append_feeds(config_text: str, feeds: Sequence[tuple[str, str]]) -> str:
    """``config_text`` (TOML) with a ``[[feeds]]`` table per (name, url) after the last feed;
    comments and layout are kept. URLs are escaped: an imported ``${VAR}`` stays literal."""
    doc = tomlkit.parse(config_text)
    tables = [_feed_table(name, url) for name, url in feeds]
    if not tables:
        return config_text
    existing = doc.get("feeds")
    if isinstance(existing, Array):  # feeds = [{...}] written inline
        for t in tables:
            existing.append(dict(t))
        return tomlkit.dumps(doc)
    if not isinstance(existing, AoT):
        doc.append("feeds", tomlkit.aot())
        existing = doc["feeds"]
    tail = _trailing_trivia(existing[-1]) if len(existing) else []
    for t in tables:
        existing.append(t)
    existing[-1].value.body.extend((None, item) for item in tail)
    return tomlkit.dumps(doc)


def _feed_table(name: str, url: str) -> Table:
    table = tomlkit.table()
    table["name"] = name
    table["url"] = escape_template(url)
    table.trivia.indent = "\n"
    return table


def _trailing_trivia(table: Any) -> list[Any]:
    """Take the blank lines and comments that end ``table`` (they introduce what follows it
    in the file), so new tables go before them."""
    body = table.value.body
    tail: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace | Comment):
        tail.insert(0, body.pop()[1])
    return tail


def write_opml(feeds: Sequence[FeedSettings], title: str = "newsbot feeds") -> str:
    """The feeds as OPML 2.0; URLs as configured (``${VAR}`` unexpanded)."""

    def attr(value: str) -> str:
        return quoteattr(safetext.xml_safe(value))

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{escape(safetext.xml_safe(title))}</title></head>",
        "  <body>",
    ]
    for f in feeds:
        lines.append(
            f'    <outline type="rss" text={attr(f.name)} title={attr(f.name)}'
            f" xmlUrl={attr(f.url)}/>"
        )
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
