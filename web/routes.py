"""The URL of every page (Datasette plugin routes, matched on the raw path, before Datasette's
own), and permanent redirects from the canned-query URLs of earlier versions, so bookmarks and
subscribed Atom feeds keep working."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from web.atom import watch_feed
from web.items import watch_url
from web.pages import home, map_page, place_page, watch_page
from web.search_page import search_page
from web.story_page import story_page

WATCH = r"/watch/(?P<name>[^/]+)"


def _old_url(path: str, args: Any) -> str:
    """Where an earlier version's canned query now lives."""
    watch = str(args.get("watch") or "")
    if path in ("matches_for_watch", "watch_feed.atom") and watch:
        return watch_url(watch) + ("/feed.atom" if path.endswith(".atom") else "")
    if path == "search":
        kept = {k: str(args.get(k)) for k in ("q", "watch", "feed", "since") if args.get(k)}
        return "/search" + ("?" + urlencode(kept) if kept else "")
    if path == "map":
        return "/map" + ("?" + urlencode({"watch": watch}) if watch else "")
    return "/"


async def old_canned_query(request: Any) -> Response:
    return Response.redirect(_old_url(request.url_vars["path"], request.args), status=301)


ROUTES: list[tuple[str, Any]] = [
    (r"^/$", home),
    (r"^/search$", search_page),
    (r"^/map$", map_page),
    (r"^/place/(?P<geonameid>[0-9]{1,12})$", place_page),
    (r"^/story/(?P<story_id>[0-9]{1,18})$", story_page),
    (rf"^{WATCH}/feed\.atom$", watch_feed),
    (rf"^{WATCH}$", watch_page),
    (
        r"^/archive/(?P<path>search|watches|matches_for_watch|watch_feed\.atom|map)$",
        old_canned_query,
    ),
]
