"""The archive's pages for reading news: home, a watch, a place, the map. Each asks storage
for what it shows (storage.browse, storage.search) and renders a template; none has SQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import Response

from storage import Store
from storage.browse import PlaceSummary
from storage.search import search
from web.items import MARKS, items, watch_url
from web.metadata import MAX_TILE_ZOOM, TILE_URL
from web.render import not_found, page
from web.search_form import PAGE_SIZE, SearchForm
from web.site import Site, site_of
from web.story_page import not_listed_before, story_notes


def map_context(places: list[PlaceSummary]) -> dict[str, Any]:
    return {"places": places, "tile_url": TILE_URL, "max_zoom": MAX_TILE_ZOOM}


async def home(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)

    def gather(store: Store) -> dict[str, Any]:
        fired = {w.name: w for w in store.watch_summaries()}
        quiet = [n for n in site.watch_names if n not in fired]
        return {
            "overview": store.overview(),
            "watches": list(fired.values()),
            "quiet_watches": quiet,
            "top_places": store.place_summaries(limit=12),
        }

    context = await site.run(gather)
    return await page(datasette, request, "home.html", {**context, "watch_url": watch_url})


def _listing(store: Store, page_number: int, **filters: Any) -> tuple[list[Any], bool]:
    """Newest articles a filter selects (storage.search with no words), one page."""
    earlier: list[int] = []
    hits = search(
        store.db,
        "",
        limit=PAGE_SIZE + 1,
        offset=(page_number - 1) * PAGE_SIZE,
        order="newest",
        marks=MARKS,
        earlier=earlier,
        **filters,
    )
    shown = not_listed_before(store, hits[:PAGE_SIZE], earlier)
    ids = [h.id for h in shown]
    listed = items(shown, "", store.places_of(ids), story_notes(store, ids), store.watches_of(ids))
    return listed, len(hits) > PAGE_SIZE


async def watch_page(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)
    name = unquote(request.url_vars["name"])
    definition = await _definition(site, name)

    def gather(store: Store) -> dict[str, Any]:
        listed, more = _listing(store, 1, watch=name)
        summary = store.watch_summary(name)
        return {
            "items": listed,
            "has_next": more,
            "summary": summary,
            **map_context(store.place_summaries(watch=name)),
        }

    context = await site.run(gather)
    if definition is None and context["summary"] is None:
        return await not_found(datasette, request, f"No watch is called “{name}”.")
    context.update(
        name=name,
        definition=definition,
        atom_url=f"{watch_url(name)}/feed.atom",
        more_url=SearchForm(watch=name, order="newest", page=2).url(),
        search_url=SearchForm(watch=name).url(),
    )
    return await page(datasette, request, "watch.html", context)


async def _definition(site: Site, name: str) -> Any:
    import asyncio

    return await asyncio.to_thread(site.definition, name)


async def place_page(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)
    geonameid = int(request.url_vars["geonameid"])
    form = SearchForm.from_args(request.args)

    def gather(store: Store) -> dict[str, Any] | None:
        place = store.place_summary(geonameid)
        if place is None:
            return None
        listed, more = _listing(store, form.page, places=[geonameid])
        return {"place": place, "items": listed, "has_next": more, **map_context([place])}

    context = await site.run(gather)
    if context is None:
        return await not_found(datasette, request, "No article mentions this place.")
    context.update(page_number=form.page, search_url=f"/search?q=place:geonames:{geonameid}")
    return await page(datasette, request, "place.html", context)


async def map_page(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)
    watch = str(request.args.get("watch") or "")

    def gather(store: Store) -> dict[str, Any]:
        watches = store.watch_names()
        return {"watches": watches, **map_context(store.place_summaries(watch=watch or None))}

    context = await site.run(gather)
    return await page(datasette, request, "map.html", {**context, "watch": watch})
