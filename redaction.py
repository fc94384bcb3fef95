"""Secrets out of everything newsbot stores, logs or shows.

One process-wide table of secret strings, each with what replaces it: the value of every
``${VAR}`` the config expanded becomes ``${VAR}`` again, a token found in a channel's URL or a
password becomes ``***``. Channels and the config register what they know when they are built;
:func:`scrub` is applied where text leaves the process (``alerts.last_error``, feed errors and
notices, ``notify test``, the CLI), and :class:`LogFilter` does it for every log record (and
removes terminal control characters from them: a page's text must not drive a terminal).

A URL's secrets are its userinfo, its query values and the path segments that look like tokens
(:func:`url_secrets`); a URL is shown as :func:`safe_url` (secrets masked).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

import safetext

MIN_LENGTH = 4  # shorter values would mangle ordinary text
MASK = "***"
_lock = threading.Lock()
_table: dict[str, str] = {}
_ordered: tuple[tuple[str, str], ...] = ()
_SPLIT = re.compile(r"[/?&=#;,:@+]+")


def register(secret: str | None, shown_as: str = MASK) -> None:
    """Remember ``secret`` (and its percent-encoded forms) to be replaced by ``shown_as``."""
    global _ordered
    if not secret or len(secret) < MIN_LENGTH:
        return
    with _lock:
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            _table.setdefault(form, shown_as)
        _ordered = tuple(sorted(_table.items(), key=lambda kv: len(kv[0]), reverse=True))


def register_all(secrets: Iterable[str], shown_as: str = MASK) -> None:
    for secret in secrets:
        register(secret, shown_as)


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every registered secret (and each of ``extra``, percent-encoded forms
    too) replaced."""
    forms = {f for s in extra if s for f in (s, quote(s, safe=""))}
    for secret in sorted(forms, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for secret, shown in _ordered:
        if secret in text:
            text = text.replace(secret, shown)
    return re.sub(r"(//)[^/@\s]*@", r"\1***@", text)


def looks_like_token(piece: str) -> bool:
    """A URL piece that is probably a credential: long, or with digits or capitals."""
    if len(piece) < 6:
        return False
    return len(piece) >= 12 or any(c.isdigit() or c.isupper() for c in piece)


def url_secrets(url: str) -> list[str]:
    """The parts of an http(s) URL that may be credentials: the password, query values, and
    path segments that look like tokens (``/hooks/T0K3N``); the path itself when it has one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [parts.password or ""]
    segments = [unquote(s) for s in _SPLIT.split(parts.path) if s]
    tokens = [s for s in segments if looks_like_token(s)]
    found += tokens
    if tokens:
        found.append(parts.path)
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2] or ("" if "=" in pair else pair)
        found += [value, unquote(value)]
    return [s for s in found if s]


def safe_url(url: str) -> str:
    """``url`` with its secrets masked: fit for logs, errors and screens."""
    return scrub(url, url_secrets(url))


class LogFilter(logging.Filter):
    """Scrubs secrets and terminal control characters from each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = safetext.terminal(scrub(message))
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = safetext.terminal(scrub(record.exc_text))
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Put a :class:`LogFilter` on every handler of ``logger`` (the root by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, LogFilter) for f in handler.filters):
            handler.addFilter(LogFilter())
