"""newsbot's Datasette plugin, registered in-process by web.make_datasette.

- register_routes: the pages for reading news (web.routes).
- render_cell: in the explorer's tables a watch name links to the watch's page.
- prepare_connection: an authorizer that refuses fts3_tokenizer() (web.guard).
- asgi_wrapper + extra_template_vars: a strict Content-Security-Policy with a per-request nonce.
  Datasette's inline <script> elements either carry the nonce (plugin body scripts, through a
  patched base.html) or are allowed by the hash of their fixed text (core templates); anything
  else inline, e.g. a script smuggled in by an article, does not run.

Hooks act only on Datasette instances made by web.make_datasette (see `OURS`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import datasette
from datasette import hookimpl
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup

from web import guard
from web.items import watch_url
from web.metadata import DB_NAME

OURS: weakref.WeakSet[Any] = weakref.WeakSet()
NONCE_KEY = "newsbot.csp_nonce"
DEFAULT_TEMPLATES = Path(datasette.__file__).parent / "templates"
BODY_SCRIPT_TAG = "<script{% if body_script.module %}"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def watch_link(watch: str) -> Markup:
    """A watch name as a link to its page."""
    return Markup('<a href="{}">{}</a>').format(watch_url(watch), watch)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if datasette not in OURS or database != DB_NAME or not isinstance(value, str):
        return None
    if column == "watch" and table in ("matches", "alerts", "match_articles"):
        return watch_link(value)
    return None


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    if datasette in OURS and database == DB_NAME:
        conn.set_authorizer(guard.deny_dangerous)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    """The pages for reading news (web.routes); Datasette keeps /archive for the tables."""
    from web.routes import ROUTES

    return ROUTES


# --- Content-Security-Policy -------------------------------------------------------------------


def _sha256(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@functools.cache
def fixed_script_hashes() -> tuple[str, ...]:
    """Hashes of the inline scripts in Datasette's templates whose text never varies."""
    scripts = ["DATASETTE_ALLOW_FACET = true;", "DATASETTE_ALLOW_FACET = false;"]
    for name in ("_close_open_menus.html", "_codemirror_foot.html"):
        text = (DEFAULT_TEMPLATES / name).read_text()
        found = re.findall(r"<script>(.*?)</script>", text, re.S)
        if not found or any("{{" in s or "{%" in s for s in found):
            raise RuntimeError(f"datasette's {name} changed: review web/plugin.py's CSP")
        scripts += found
    return tuple(_sha256(s) for s in scripts)


def content_security_policy(nonce: str, hashes: tuple[str, ...]) -> str:
    """Scripts only from this server, or inline with this response's nonce or a known hash.
    Styles allow 'unsafe-inline': Datasette's templates use style attributes and <style>."""
    script_src = " ".join(["'self'", f"'nonce-{nonce}'", *hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_src}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def patched_loader(ds: Any) -> None:
    """Put a base.html with nonce'd body scripts in front of Datasette's template loader."""
    base = (DEFAULT_TEMPLATES / "base.html").read_text()
    if base.count(BODY_SCRIPT_TAG) != 1:
        raise RuntimeError("datasette's base.html changed: review web/plugin.py's CSP")
    base = base.replace(
        BODY_SCRIPT_TAG, '<script nonce="{{ csp_nonce }}"{% if body_script.module %}'
    )
    base = base.replace("<html>", '<html lang="en">', 1)  # screen readers pick the voice
    ds.jinja_env.loader = ChoiceLoader([DictLoader({"base.html": base}), ds.jinja_env.loader])


@hookimpl
def extra_template_vars(request: Any, datasette: Any) -> dict[str, Any]:
    if datasette not in OURS or request is None:
        return {}
    return {"csp_nonce": request.scope.get(NONCE_KEY, "")}


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    # Datasette builds its app (for ds.client) inside Datasette.__init__, before make_datasette
    # has marked the instance as ours: decide per request.
    def wrap(app: ASGIApp) -> ASGIApp:
        async def with_csp(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or datasette not in OURS:
                return await app(scope, receive, send)
            nonce = secrets.token_urlsafe(16)
            policy = content_security_policy(nonce, fixed_script_hashes()).encode()

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = dict(message)
                    message["headers"] = [*message.get("headers", []), *_security_headers(policy)]
                await send(message)

            await app({**scope, NONCE_KEY: nonce}, receive, send_with_headers)

        return with_csp

    return wrap


def _security_headers(policy: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", policy),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return ["/newsbot-static/newsbot.css"] if datasette in OURS else []
