"""The only trafilatura user: article page bytes -> main text + metadata.

``decode_html`` picks the charset (BOM, HTTP header, ``<meta>``/XML declaration, then a sniff
with charset-normalizer) and repairs two common lies: a page declared UTF-8 that is not valid
UTF-8, and a page declared Latin-1/windows-125x whose bytes are valid multi-byte UTF-8.
Labels follow the WHATWG encoding standard (``webencodings``: ``iso-8859-1`` and ``ascii`` mean
windows-1252).

``extract`` runs trafilatura with ``favor_precision``: navigation, "most read" rails, related
teasers, cookie banners, newsletters and comments stay out of the text; paragraphs are kept
one per line. When that text is short beside the page's own text (under ``SHORT_SHARE`` of it:
the precise pass dropped part of the body, often its end, a table or a whole article it did
not trust), a second, recall-oriented pass (``favor_recall``, tables kept) runs and the two
are merged (``merge_passes``): the recall pass's lines from the first one the precise pass
kept to the last that reads as body text, so menus before the body and footers after it stay
out. It is CPU-bound (a few ms per page): call it via ``asyncio.to_thread``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import trafilatura
import webencodings
from charset_normalizer import from_bytes
from lxml.html import HtmlElement

from errors import ExtractError

MIN_TEXT_CHARS = 100  # shorter than this is a teaser, a paywall stub or an index page
SHORT_SHARE = 0.65  # precise text under this share of the page's text: run the recall pass
BODY_WORDS = 8  # words of a line that reads as body text (with closing punctuation)
SNIFF_BYTES = 64_000
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HTML_SNIFF = re.compile(rb"<(!doctype\s+html|html|head|body|p|div|article|title)[\s>]", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_GENERIC_TYPES = ("", "text/plain", "application/octet-stream", "application/xml", "text/xml")
# No "extensive search": it takes a copyright year for a publication date.
_DATE_PARAMS = {
    "extensive_search": False,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_SINGLE_BYTE_PREFIXES = ("cp12", "latin", "iso8859", "cp874", "koi8", "mac")


@dataclass(frozen=True)
class Extracted:
    """What an article page gave: main text (paragraphs separated by newlines) + metadata."""

    text: str
    title: str | None
    author: str | None
    published: datetime | None  # UTC
    language: str | None
    canonical_url: str | None


def extract(content: bytes, url: str, content_type: str = "") -> Extracted:
    """Main text and metadata of an HTML page; ExtractError when it is not HTML or too short."""
    _require_html(content, url, content_type)
    html = decode_html(content, content_type)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractError(f"{url}: the page could not be parsed as HTML")
    language, canonical = _language(tree), _canonical(tree, url)
    page_chars = _page_chars(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        with_metadata=True,
        date_extraction_params=_DATE_PARAMS,
    )
    title = _clean(getattr(doc, "title", None))
    text = _clean_text(getattr(doc, "text", None) or "", title)
    if len(text) < SHORT_SHARE * page_chars:
        text = merge_passes(text, _clean_text(_recall_pass(html, url), title))
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractError(f"{url}: no article text found ({len(text)} characters)")
    return Extracted(
        text=text,
        title=title,
        author=_clean(getattr(doc, "author", None)),
        published=parse_date(getattr(doc, "date", None)),
        language=language or _clean(getattr(doc, "language", None)),
        canonical_url=canonical or _clean(getattr(doc, "url", None)),
    )


def _page_chars(tree: HtmlElement) -> int:
    """Characters of the page's visible text (scripts and styles left out)."""
    texts = tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
    return sum(len(t.strip()) for t in texts)


def _recall_pass(html: str, url: str) -> str:
    return (
        trafilatura.extract(
            html,
            url=url,
            favor_recall=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            with_metadata=False,
        )
        or ""
    )


def merge_passes(precise: str, recall: str) -> str:
    """The recall pass's lines from the first the precise pass also kept to the last that
    reads as body text (a sentence of BODY_WORDS+ words); the precise lines it lacks after
    them. With no line in common, the precise text, or when that is empty the recall pass's
    lines from its first sentence to its last (a list of links has none: an index page stays
    no article)."""
    kept = set(precise.splitlines())
    lines = recall.splitlines()
    anchors = [i for i, line in enumerate(lines) if line in kept]
    prose = [i for i, line in enumerate(lines) if _reads_as_body(line)]
    if not anchors:
        return precise or ("\n".join(lines[prose[0] : prose[-1] + 1]) if prose else "")
    end = max(anchors[-1], prose[-1] if prose else 0)
    out = lines[anchors[0] : end + 1]
    have = set(out)
    return "\n".join(out + [line for line in precise.splitlines() if line not in have])


def _reads_as_body(line: str) -> bool:
    """A sentence (BODY_WORDS+ words, closing punctuation) or a long run of prose."""
    words = len(line.split())
    closed = line.rstrip().endswith((".", "!", "?", '"', "”", "»", "。"))
    return words >= BODY_WORDS and (closed or words >= 5 * BODY_WORDS)


def decode_html(content: bytes, content_type: str = "") -> str:
    """Bytes -> text: BOM, HTTP charset, <meta>/XML declaration, then a sniff."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return content.decode(name, errors="replace").lstrip("\ufeff")
    for declared in (_header_charset(content_type), _prescan_charset(content)):
        if declared:
            decoded = _decode_declared(content, declared)
            if decoded is not None:
                return decoded
    return _decode_sniffed(content)


def _header_charset(content_type: str) -> str | None:
    m = _HEADER_CHARSET.search(content_type or "")
    return _codec(m.group(1)) if m else None


def _prescan_charset(content: bytes) -> str | None:
    """The charset a <meta> or an XML declaration names in the first bytes."""
    head = content[:_PRESCAN_BYTES]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    codec = _codec(m.group(1).decode("ascii")) if m else None
    return "utf-8" if codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32") else codec


def _codec(label: str) -> str | None:
    """A Python codec name for a charset label (WHATWG labels, via webencodings), None when
    unknown or not a codec Python has (x-user-defined)."""
    encoding = webencodings.lookup(label)
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding.codec_info.name).name
    except LookupError:
        return None


def _decode_declared(content: bytes, codec: str) -> str | None:
    """Decode with a declared codec; None when the declaration is evidently wrong."""
    if codec == "utf-8":
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            return None  # declared UTF-8 but is not: sniff it
    if codec.replace("-", "").startswith(_SINGLE_BYTE_PREFIXES) and _is_utf8_text(content):
        return content.decode("utf-8")  # declared a legacy charset, really UTF-8
    return content.decode(codec, errors="replace")


def _is_utf8_text(content: bytes) -> bool:
    """Valid UTF-8 with non-ASCII characters: almost never a legacy encoding by accident."""
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_sniffed(content: bytes) -> str:
    """UTF-8 if valid, else the best charset-normalizer guess, else windows-1252."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(content[:SNIFF_BYTES]).best()
    codec = _codec(best.encoding) if best is not None else None
    return content.decode(codec or "cp1252", errors="replace")


def _require_html(content: bytes, url: str, content_type: str) -> None:
    """Refuse PDFs, images and other non-HTML bodies before parsing."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if not content.strip():
        raise ExtractError(f"{url}: empty page")
    if mime in _HTML_TYPES:
        return
    if mime in _GENERIC_TYPES and _HTML_SNIFF.search(content[:_PRESCAN_BYTES]):
        return
    raise ExtractError(f"{url}: not an HTML page ({mime or 'unknown type'})")


def _language(tree: HtmlElement) -> str | None:
    """<html lang>, else a Content-Language meta; primary subtag, lower case."""
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        metas = root.xpath(
            '//meta[translate(@http-equiv,"CONTENT-LANGUAGE","content-language")'
            '="content-language"]/@content'
        )
        lang = metas[0] if metas else None
    lang = (lang or "").strip().split(",")[0].replace("_", "-").split("-")[0].lower()
    return lang if re.fullmatch(r"[a-z]{2,3}", lang) else None


def _canonical(tree: HtmlElement, url: str) -> str | None:
    """<link rel="canonical"> as an absolute http(s) URL."""
    for link in tree.xpath("//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            absolute = urljoin(url, link.get("href").strip())
            return absolute if absolute.startswith(("http://", "https://")) else None
    return None


def parse_date(value: str | None) -> datetime | None:
    """trafilatura's date (ISO with offset, or a plain date) -> aware UTC datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _clean(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def _clean_text(text: str, title: str | None) -> str:
    """One paragraph a line, inner whitespace collapsed, no blank lines, no leading title."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if lines and title and lines[0] == title:
        lines = lines[1:]
    return "\n".join(lines)
