"""`bot.py serve` hardened: who may ask, what SQL may do, what an error may print.

- Host check (:func:`host_check`): bound to a loopback address, the server answers only to
  loopback host names (``localhost``, ``127.0.0.1``, ``[::1]``, with or without the port), so a
  page on another site cannot reach it through DNS rebinding; ``serve --allow-host NAME`` adds
  names (a reverse proxy's). Bound elsewhere, the operator decides who reaches the port.
- Arbitrary SQL is off unless ``serve --sql`` (:data:`SQL_OFF`): the pages' canned queries
  still run. With it on, every statement is read-only, time-limited by Datasette, and the
  authorizer (:func:`deny_dangerous`) refuses ``fts3_tokenizer()`` (it reads and writes raw
  pointers) and ``load_extension()``.
- Every value a page template prints loses bidi override characters and control characters
  (:func:`clean_pages`, Jinja's ``finalize``): ``gnp.exe`` behind U+202E reads as ``exe.png``.
  JSON and CSV keep the data as stored.
- A 500 logs one line, never Datasette's Rich traceback with local variables (which can hold
  query parameters and secrets): :func:`quiet_tracebacks`.
"""

from __future__ import annotations

import ipaddress
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from markupsafe import Markup

from safetext import terminal

log = logging.getLogger("newsbot.web")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
SQL_OFF = {"default_allow_sql": False}
DENIED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension"})

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether a bind address is loopback only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host names to answer to, lower case without port; None: any (not bound to loopback
    and nothing given)."""
    names = {h.strip().lower().rstrip(".") for h in extra if h.strip()}
    if is_loopback(bind):
        names.update(LOOPBACK_NAMES)
    return frozenset(names) if names else None


def host_name(value: str) -> str:
    """'Example.org:8001' -> 'example.org'; '[::1]:8001' -> '[::1]'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0].rstrip(".") if value.count(":") == 1 else value.rstrip(".")


def host_check(app: ASGIApp, allowed: frozenset[str] | None) -> ASGIApp:
    """An ASGI app that answers 421 to a request whose Host is not ``allowed``."""
    if allowed is None:
        return app

    async def checked(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            host = host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in allowed:
                await _refuse(send, host)
                return
        await app(scope, receive, send)

    return checked


async def _refuse(send: Any, host: str) -> None:
    body = (
        b"Misdirected request: this archive answers to localhost only "
        b"(bot.py serve --allow-host NAME adds a name).\n"
    )
    log.warning("refused a request for Host %r (not an allowed host name)", host[:100])
    await send(
        {
            "type": "http.response.start",
            "status": 421,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def deny_dangerous(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    """sqlite3 authorizer: refuse the functions no archive page needs (for SQLITE_FUNCTION the
    function's name is the second argument)."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def clean_pages(env: Any) -> None:
    """Strip bidi and control characters (safetext.terminal) from every ``{{ value }}`` a Jinja
    environment renders (set before the first template is compiled). Removing characters from
    safe HTML keeps it safe."""

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup):
            return Markup(terminal(str(value)))
        return terminal(value) if isinstance(value, str) else value

    env.finalize = finalize


def quiet_tracebacks() -> None:
    """Datasette's default exception handler prints a Rich traceback WITH local variables when
    Rich is installed; without it, a plain traceback (no locals) is printed instead."""
    import datasette.handle_exception as default_handler

    default_handler.rich = None
