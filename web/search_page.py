"""/search: a query box and filters (watch, feed, place, dates), results as news items, best
or newest first, paged. A query that does not parse is a message on the page, status 400."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from datasette.utils.asgi import Response

from errors import QueryError
from storage import Store
from storage.browse import PlaceSummary
from storage.search import resolve_places, search, split_places
from web.items import MARKS, Item, items
from web.render import page
from web.search_form import PAGE_SIZE, FormError, SearchForm
from web.site import Site, site_of
from web.story_page import not_listed_before, story_notes

Link = tuple[str, int, str]  # a place's label, its article count, a search URL


@dataclass
class Results:
    items: list[Item] = field(default_factory=list)
    has_next: bool = False
    places: list[PlaceSummary] = field(default_factory=list)  # the place: terms, resolved
    suggestions: list[Link] = field(default_factory=list)  # "search as a place"


@dataclass(frozen=True)
class Choices:
    watches: list[str]
    feeds: list[str]


async def search_page(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)
    form = SearchForm.from_args(request.args)
    choices = await site.run(lambda store: _choices(store, site))
    context: dict[str, Any] = {"form": form, "choices": choices, "results": None}
    try:
        since, until = form.dates()
        if not form.empty:
            context["results"] = await site.run(lambda store: find(store, form, since, until))
    except (FormError, QueryError) as err:
        context["error"] = err
        return await page(datasette, request, "search.html", context, status=400)
    return await page(datasette, request, "search.html", context)


def _choices(store: Store, site: Site) -> Choices:
    fired = store.watch_names()
    return Choices(
        watches=sorted(set(site.watch_names) | set(fired), key=str.casefold),
        feeds=[f.name for f in store.all_feeds()],
    )


def find(store: Store, form: SearchForm, since: datetime | None, until: datetime | None) -> Results:
    """Run the form's search through storage.search (the one definition)."""
    out = Results()
    words, names = split_places(form.query)
    resolved = resolve_places(names)
    out.places = [store.place_summary(p.geonameid) or PlaceSummary(p, 0) for p in resolved]
    if not names and form.suggests_place():
        out.suggestions = suggestions(store, form)
    earlier: list[int] = []
    hits = search(
        store.db,
        words,
        watch=form.watch or None,
        feed=form.feed or None,
        places=[p.geonameid for p in resolved],
        since=since,
        until=until,
        limit=PAGE_SIZE + 1,
        offset=form.offset,
        order=form.order,
        marks=MARKS,
        earlier=earlier,
    )
    out.has_next = len(hits) > PAGE_SIZE
    hits = not_listed_before(store, hits[:PAGE_SIZE], earlier)
    ids = [h.id for h in hits]
    out.items = items(
        hits, words, store.places_of(ids), story_notes(store, ids), store.watches_of(ids)
    )
    return out


def suggestions(store: Store, form: SearchForm) -> list[Link]:
    """Plain words that name a place the archive's articles mention: search as that place."""
    try:
        (place,) = resolve_places([form.q])
    except QueryError:
        return []
    summary = store.place_summary(place.geonameid)
    if summary is None:
        return []
    term = f'place:"{form.q}"' if " " in form.q else f"place:{form.q}"
    return [(summary.label, summary.articles, form.url(q=term, page=1))]
