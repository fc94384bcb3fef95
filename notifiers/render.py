"""Alert -> what a human reads: subject, plain text, HTML, Markdown, and the JSON record.

Pure functions (no I/O, no clock). Every page-derived value (title, feed, snippet, URL, notice
body) is treated as hostile text and escaped for the target format: HTML with ``html.escape``,
Markdown with backslash escapes (``<`` as ``&lt;`` since Markdown passes raw HTML through), plain
text with control characters removed (an ESC sequence must not drive the operator's terminal).
Matched terms are highlighted inside snippets by splitting the *raw* snippet into pieces and
escaping each piece, never by editing already-escaped markup. No template engine is used, so a
title cannot inject template code.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import models

MAX_SNIPPETS = 5
SUBJECT_MAX = 200
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_MD_INLINE = re.compile(r"([\\`*_\[\]()>])")
_MD_LINE_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


# -- small text helpers ----------------------------------------------------------------------


def clean(value: str) -> str:
    """One line of text: control/line-break characters become spaces, runs of space collapse."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    return " ".join("".join(chars).translate(_BIDI).split())


def clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    return value if len(value) <= limit else value[: max(limit - 1, 0)].rstrip() + "…"


def published(dt: datetime) -> str:
    """'2024-05-01 12:00 UTC' (naive datetimes are taken as UTC)."""
    return _utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def iso_utc(dt: datetime) -> str:
    """'2024-05-01T12:00:00Z'."""
    return _utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def safe_url(url: str) -> str | None:
    """The URL if it is http(s) and has no whitespace/control characters, else None."""
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s\\]+$", url) or clean(url) != url:
        return None
    return url


_MENTION = re.compile(r"@(?=(?:everyone|here|channel|all)\b)", re.IGNORECASE)


def escape_md(value: str) -> str:
    """Markdown-escape one line of hostile text (CommonMark and Python-Markdown agree).

    Emphasis, code, links and blockquotes are backslash-escaped; ``<`` becomes ``&lt;`` (raw
    HTML passes through Markdown); a list/heading marker at the start is neutralised.
    """
    return _MD_LINE_START.sub(_md_marker, _md_inline(clean(value)))


def _md_marker(m: re.Match[str]) -> str:
    return m.group(0) + "\\" if m.group(0)[0].isdigit() else "\\" + m.group(0)


def _md_inline(value: str) -> str:
    escaped = _MD_INLINE.sub(r"\\\1", value).replace("<", "&lt;")
    # a headline must not ping a whole chat room (Discord/Slack/Mattermost mentions)
    return _MENTION.sub("@\u200b", escaped)


def _md_url(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&*+,;=%~-._'")


# -- what an alert says ----------------------------------------------------------------------


def match_labels(alert: models.Alert) -> list[str]:
    """'Aleppo (location: Aleppo, SY)', 'shelling (keyword)', ... in order, without repeats."""
    labels: dict[str, None] = {}
    for m in alert.matches:
        if m.place is not None:
            label = f"{clean(m.text)} (location: {clean(m.place.label)})"
        elif m.kind == "query":
            label = f"{clean(m.text)} (query: {clean(m.term)})"
        else:
            label = f"{clean(m.text)} ({m.kind})"
        labels.setdefault(label, None)
    return list(labels)


def snippets(alert: models.Alert, limit: int = MAX_SNIPPETS) -> list[str]:
    """The distinct snippets of the alert's matches (one line each), at most ``limit``."""
    seen: dict[str, None] = {}
    for m in alert.matches:
        s = clean(m.snippet)
        if s:
            seen.setdefault(s, None)
    return list(seen)[:limit]


def highlight(snippet: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """Split ``snippet`` into (piece, is_match) pairs; longest terms win, case-insensitive."""
    words = sorted({clean(t) for t in terms if clean(t)}, key=len, reverse=True)
    if not words:
        return [(snippet, False)] if snippet else []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for hit in pattern.finditer(snippet):
        if hit.start() > pos:
            pieces.append((snippet[pos : hit.start()], False))
        pieces.append((hit.group(0), True))
        pos = hit.end()
    if pos < len(snippet):
        pieces.append((snippet[pos:], False))
    return pieces


def _terms(alert: models.Alert) -> list[str]:
    return [m.text for m in alert.matches]


def _head(alert: models.Alert) -> str:
    return clean(alert.watch) or "newsbot"


# -- formats -----------------------------------------------------------------------------------


def subject(alert: models.Alert) -> str:
    """'[watch] title' on one line (safe for an email header), at most 200 characters; a
    follow-up of a story is 'Re: [watch] title'."""
    re_ = "Re: " if alert.kind == "update" else ""
    return clip(f"{re_}[{_head(alert)}] {clean(alert.title) or '(no title)'}", SUBJECT_MAX)


def also(alert: models.Alert) -> str:
    """'also reported by DW, Al Jazeera (Arabic)' (empty when nobody else reported it)."""
    outlets = [clean(f) for f in alert.also if clean(f)]
    return f"also reported by {', '.join(outlets)}" if outlets else ""


def text(alert: models.Alert) -> str:
    """A readable plain-text block (console, email text part)."""
    lines = [f"{subject(alert)} — {clean(alert.feed)} — {published(alert.published)}"]
    if alert.url:
        lines.append(f"  {clean(alert.url)}")
    if alert.kind == "notice":
        lines += [f"  {clean(line)}" for line in alert.body.splitlines() if clean(line)]
        return "\n".join(lines) + "\n"
    if also(alert):
        lines.append(f"  {also(alert)}")
    if alert.kind == "update":
        return "\n".join(lines) + "\n"
    if labels := match_labels(alert):
        lines.append("  matched: " + ", ".join(labels))
    lines += [f"  {s}" for s in snippets(alert)]
    return "\n".join(lines) + "\n"


def html_fragment(alert: models.Alert, heading: str = "h2") -> str:
    """The alert as an HTML fragment (used by :func:`html` and the digest)."""
    esc = _html.escape
    title = esc(clean(alert.title) or "(no title)")
    url = safe_url(alert.url)
    link = f'<a href="{esc(url)}">{title}</a>' if url else title
    out = [
        f"<{heading}>{link}</{heading}>",
        f"<p>{esc(clean(alert.feed))} — {esc(published(alert.published))}</p>",
    ]
    if url:
        out.append(f'<p><a href="{esc(url)}">{esc(url)}</a></p>')
    elif alert.url:
        out.append(f"<p>{esc(clean(alert.url))}</p>")
    if alert.kind == "notice":
        out += [f"<p>{esc(clean(line))}</p>" for line in alert.body.splitlines() if clean(line)]
        return "\n".join(out)
    if also(alert):
        out.append(f"<p>{esc(also(alert).capitalize())}</p>")
    if alert.kind == "update":
        return "\n".join(out)
    if labels := match_labels(alert):
        out.append(f"<p>Matched: {esc(', '.join(labels))}</p>")
    for s in snippets(alert):
        marked = "".join(
            f"<mark>{esc(p)}</mark>" if hit else esc(p) for p, hit in highlight(s, _terms(alert))
        )
        out.append(f"<blockquote>{marked}</blockquote>")
    return "\n".join(out)


def _document(title: str, body: str, footer: str) -> str:
    foot = f'\n<hr>\n<p style="color:#666;font-size:small">{_html.escape(footer)}</p>'
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_html.escape(title)}</title>\n</head>\n<body>\n{body}"
        f"{foot if footer else ''}\n</body>\n</html>\n"
    )


def html(alert: models.Alert, footer: str = "") -> str:
    """A complete HTML document; ``footer`` is plain text (escaped here)."""
    body = f"<p><strong>{_html.escape(_head(alert))}</strong></p>\n{html_fragment(alert)}"
    return _document(subject(alert), body, footer)


def markdown(alert: models.Alert, limit: int | None = None) -> str:
    """Markdown for chat; page values escaped; at most ``limit`` characters with the link kept.

    The head (watch, linked title, feed, date) comes first so a cut only drops matched terms and
    snippets; if even the head is too long the title is shortened, never the URL.
    """
    title = clean(alert.title) or "(no title)"
    tail = _md_tail(alert)
    head = _md_head(alert, title)
    if limit is not None and len(head) > limit:
        head = _md_head(alert, _fit_title(alert, title, limit))
    out = head
    for part in tail:
        if limit is not None and len(out) + len(part) > limit:
            break
        out += part
    return out if limit is None else out[:limit]


def _fit_title(alert: models.Alert, title: str, limit: int) -> str:
    """The longest clipped title whose head fits in ``limit`` (binary search; at least 1)."""
    lo, hi = 1, len(title)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_md_head(alert, clip(title, mid))) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return clip(title, lo)


def _md_head(alert: models.Alert, title: str) -> str:
    url = safe_url(alert.url)
    linked = f"[{escape_md(title)}]({_md_url(url)})" if url else escape_md(title)
    lines = [
        f"**{escape_md(_head(alert))}**: {linked}",
        f"{escape_md(alert.feed)} · {escape_md(published(alert.published))}",
    ]
    return "\n".join(lines) + "\n"


def _md_tail(alert: models.Alert) -> list[str]:
    if alert.kind == "notice":
        return [f"\n{escape_md(line)}\n" for line in alert.body.splitlines() if clean(line)]
    parts = [escape_md(also(alert)) + "\n"] if also(alert) else []
    if alert.kind == "update":
        return parts
    labels = match_labels(alert)
    parts += ["matched: " + escape_md(", ".join(labels)) + "\n"] if labels else []
    for s in snippets(alert):
        pieces = highlight(s, _terms(alert))
        body = "".join(f"**{_md_inline(p)}**" if hit else _md_inline(p) for p, hit in pieces)
        parts.append(f"\n> {body}\n")
    return parts


def to_json(alert: models.Alert) -> dict[str, Any]:
    """The alert as a JSON-ready dict (the ``jsonl`` contract; also the webhook body)."""
    return {
        "alert_id": alert.id,
        "kind": alert.kind,
        "watch": alert.watch,
        "channel": alert.channel,
        "article_id": alert.article_id,
        "url": alert.url,
        "title": alert.title,
        "feed": alert.feed,
        "published": iso_utc(alert.published),
        "body": alert.body,
        "matches": [_match_json(m) for m in alert.matches],
        "locations": [_place_json(p) for p in alert.locations],
        "story_id": alert.story_id,
        "thread_of": alert.thread_of,
        "also_reported_by": list(alert.also),
    }


# The keys of the jsonl/webhook contract, in the order they are written.
_MATCH_KEYS = ("term", "kind", "text", "field", "start", "end", "snippet")
_PLACE_KEYS = ("name", "country_code", "admin1", "geonameid", "latitude", "longitude")


def _match_json(m: models.Match) -> dict[str, Any]:
    place = _place_json(m.place) if m.place is not None else None
    return {**{key: getattr(m, key) for key in _MATCH_KEYS}, "place": place}


def _place_json(p: models.Place) -> dict[str, Any]:
    return {key: getattr(p, key) for key in _PLACE_KEYS}


# -- digests -----------------------------------------------------------------------------------


def by_watch(alerts: Sequence[models.Alert]) -> dict[str, list[models.Alert]]:
    """Alerts grouped by watch (notices under 'feed notices'), groups in first-seen order;
    within a group each story once, its later reports folded into 'also reported by'."""
    groups: dict[str, list[models.Alert]] = {}
    for a in alerts:
        key = "feed notices" if a.kind == "notice" else _head(a)
        groups.setdefault(key, []).append(a)
    return {k: one_per_story(v) for k, v in groups.items()}


def one_per_story(alerts: Sequence[models.Alert]) -> list[models.Alert]:
    """Each story once: the first alert of a story gains the outlets of the others."""
    out: dict[object, models.Alert] = {}
    for a in alerts:
        key = a.story_id if a.story_id is not None else a.id
        first = out.get(key)
        if first is None:
            out[key] = a
            continue
        outlets = (*first.also, a.feed, *a.also)
        kept = tuple(dict.fromkeys(o for o in outlets if o and o != first.feed))
        out[key] = replace(first, also=kept)
    return list(out.values())


def digest_subject(alerts: Sequence[models.Alert], period: str) -> str:
    """'[newsbot] digest (1h): 3 alerts, 2 watches'."""
    n, w = len(alerts), len(by_watch(alerts))
    return clip(
        f"[newsbot] digest ({clean(period)}): {n} alert{'s' * (n != 1)}, "
        f"{w} watch{'es' * (w != 1)}",
        SUBJECT_MAX,
    )


def digest_text(alerts: Sequence[models.Alert], period: str) -> str:
    """One plain-text message listing every alert, grouped by watch."""
    out = [digest_subject(alerts, period), ""]
    for watch, group in by_watch(alerts).items():
        out.append(f"== {watch} ({len(group)}) ==")
        out += [text(a).rstrip("\n") for a in group]
        out.append("")
    return "\n".join(out)


def digest_html(alerts: Sequence[models.Alert], period: str, footer: str = "") -> str:
    """One HTML document listing every alert, grouped by watch."""
    esc = _html.escape
    parts = [f"<h1>{esc(digest_subject(alerts, period))}</h1>"]
    for watch, group in by_watch(alerts).items():
        parts.append(f"<h2>{esc(watch)} ({len(group)})</h2>")
        parts += [html_fragment(a, heading="h3") for a in group]
    return _document(digest_subject(alerts, period), "\n".join(parts), footer)


def digest_markdown(alerts: Sequence[models.Alert], period: str, limit: int | None = None) -> str:
    """Markdown digest; with ``limit``, alerts that do not fit are counted, not dropped silently."""
    out = f"**{escape_md(digest_subject(alerts, period))}**\n"
    room = None if limit is None else limit - 60  # keeps space for the "...and N more" line
    shown = 0
    groups = by_watch(alerts)
    total = sum(len(g) for g in groups.values())
    for watch, group in groups.items():
        section, fitted = f"\n**{escape_md(watch)}**\n", 0
        for a in group:
            entry = f"\n{_md_head(a, clean(a.title) or '(no title)')}"
            if room is not None and len(out) + len(section) + len(entry) > room:
                break
            section, fitted = section + entry, fitted + 1
        if fitted:
            out, shown = out + section, shown + fitted
        if fitted < len(group):
            break
    if shown < total:
        out += f"\n…and {total - shown} more (see the archive)\n"
    return out if limit is None else out[:limit]
