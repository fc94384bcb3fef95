"""OPML in and out, for people moving from other readers. Read with ``defusedxml``, which
refuses a DTD (and so any entity: no billion laughs, no external entities)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as defused
from defusedxml import DefusedXmlException

from errors import ConfigError
from settings import FeedSettings, read_file


def read_opml(path: str | Path) -> list[tuple[str, str]]:
    """(name, url) of every feed outline, in document order, nested folders included."""
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
        url = node.get("xmlUrl") or node.get("xmlurl")
        if url and url.lower().startswith(("http://", "https://")):
            feeds.append(((node.get("title") or node.get("text") or url).strip(), url.strip()))
    return feeds


def toml_feeds(feeds: Sequence[tuple[str, str]]) -> str:
    """[[feeds]] blocks to append to config.toml."""
    out = []
    for name, url in feeds:
        out.append(f"\n[[feeds]]\nname = {_toml_str(name)}\nurl = {_toml_str(url)}\n")
    return "".join(out)


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else " " for c in escaped) + '"'


def write_opml(feeds: Sequence[FeedSettings], title: str = "newsbot feeds") -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{title}</title></head>",
        "  <body>",
    ]
    for f in feeds:
        lines.append(
            f'    <outline type="rss" text={quoteattr(f.name)} title={quoteattr(f.name)}'
            f" xmlUrl={quoteattr(f.url)}/>"
        )
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
