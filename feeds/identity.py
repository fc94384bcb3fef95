"""Who is who: URL normalisation and the identity of feed entries.

An entry is known by, in order: its guid (when the feed's guids are usable), its link
normalised, or a hash of title + summary. The *article* behind it is known by its normalised
link, so the same story reached through two feeds, or with tracking parameters, is one article;
unless the link names no article: a site's root, or a page several items of one poll link
under other titles (a feed whose every item links its home page or a live page). Such an
entry is an article of its own (``own_url``).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from models import Entry

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ocid",
        "cmpid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "icid",
        "at_medium",
        "at_campaign",
        "smid",
    }
)
GuidMode = Literal["guid", "link", "content"]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Canonical form of a link: lower-case scheme/host, no default port, no fragment,
    no utm_*/tracking parameters, remaining parameters sorted. Non-http strings pass through."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(" ".join(p.split()).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


def choose_mode(entries: Sequence[Entry], tolerance: float = 0.05) -> GuidMode:
    """Per feed: guids when they are present and distinct for all but a few percent of the
    items, else links when those are, else title + summary (FreshRSS's fallback ladder)."""
    if not entries:
        return "guid"
    if _usable([e.guid for e in entries], tolerance):
        return "guid"
    if _usable([e.link for e in entries], tolerance):
        return "link"
    return "content"


def _usable(values: Sequence[str | None], tolerance: float) -> bool:
    present = [v for v in values if v and v.strip()]
    missing = len(values) - len(present)
    repeats = sum(c - 1 for c in Counter(present).values())
    return (missing + repeats) <= tolerance * len(values)


def entry_key(entry: Entry, mode: GuidMode) -> str:
    """The entry's identity within its feed under the feed's mode."""
    if mode == "guid" and entry.guid and entry.guid.strip():
        return "guid:" + entry.guid.strip()
    if mode in ("guid", "link") and entry.link:
        return "link:" + normalize_url(entry.link)
    return "hash:" + content_hash(entry.title, entry.summary, entry.link or "")


def article_url(entry: Entry) -> str:
    """The archive's key for the article behind an entry."""
    if entry.link:
        return normalize_url(entry.link)
    if entry.guid and entry.guid.startswith(("http://", "https://")):
        return normalize_url(entry.guid)
    return "urn:newsbot:" + content_hash(entry.title, entry.summary)


def landing_links(entries: Sequence[Entry]) -> set[str]:
    """Normalised links that name no one article in this poll: shared by items with other
    titles, or a site's root (``https://example.org/``)."""
    titles: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        if e.link:
            titles[normalize_url(e.link)].add(" ".join(e.title.split()).casefold())
    return {u for u, t in titles.items() if len(t) > 1 or is_site_root(u)}


def is_site_root(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in _DEFAULT_PORTS and not parts.path.strip("/") and not parts.query


def own_url(entry: Entry) -> str:
    """The archive's key for an entry whose link names no article: its guid when that is a
    link of its own, else a hash of what the entry says (stable: link, guid, title, summary)."""
    guid = (entry.guid or "").strip()
    if guid.startswith(("http://", "https://")):
        mine = normalize_url(guid)
        if not is_site_root(mine) and mine != normalize_url(entry.link or ""):
            return mine
    return "urn:newsbot:" + content_hash(entry.link or "", guid, entry.title, entry.summary)


def names_an_article(canonical: str) -> bool:
    """A canonical URL of a site's root names no article (misconfigured sites put their home
    page's on every page)."""
    parts = urlsplit(canonical)
    return bool(parts.path.strip("/") or parts.query)


def same_site_other_story(url: str, title: str, other_url: str, other_title: str) -> bool:
    """The 'original' is on the same site and shares no title word (of 4+ letters) with the
    article: what they have in common (a text, a canonical) is the site's, not one story."""
    if urlsplit(url).hostname != urlsplit(other_url).hostname:
        return False
    return not _title_words(title) & _title_words(other_title or "")


def guid_reused(entry: Entry, known_link: str, known_title: str) -> bool:
    """A known entry key (a guid) on an item with another link and a title sharing no word
    with the known one's: a feed that numbers its items by position, or recycles guids; an
    edit of the same item keeps its link."""
    moved = normalize_url(entry.link or "") != normalize_url(known_link)
    return bool(entry.link) and moved and other_item(entry.title, known_title)


def other_item(title: str, known_title: str) -> bool:
    """An entry whose link is already an article's, under a title sharing no word with that
    article's: the link is a landing page, not this item's (both titles must say something)."""
    mine, known = _title_words(title), _title_words(known_title)
    return bool(mine and known and not mine & known)


def _title_words(title: str) -> set[str]:
    return {w for w in re.findall(r"\w+", title.casefold()) if len(w) > 3}
