"""/story/ID: one story, every report of it (outlet, date, headline linked, places), oldest
first (the ID of a story merged into another since redirects there); and what the result lists need to collapse a story into one item ("+4 outlets")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasette.utils.asgi import Response
from markupsafe import escape

from storage import Store
from storage.search import Hit
from web.items import SAFE_SCHEMES, Item, StoryNote, place_url, watch_url, when
from web.render import not_found, page
from web.site import site_of


def story_notes(store: Store, article_ids: Sequence[int]) -> dict[int, StoryNote]:
    """Article id -> its story: how many other reports, from which other outlets."""
    of = store.stories_of(list(article_ids))
    notes: dict[int, StoryNote] = {}
    for story_id in set(of.values()):
        story = store.story(story_id)
        if story is None or story.size < 2:
            continue
        for a in story.articles:
            others = [x.feed for x in story.articles if x.id != a.id and x.feed != a.feed]
            notes[a.id] = StoryNote(story_id, story.size - 1, tuple(dict.fromkeys(others)))
    return {aid: notes[aid] for aid in article_ids if aid in notes}


def not_listed_before(store: Store, hits: list[Hit], earlier: list[int]) -> list[Hit]:
    """The hits whose story no earlier page listed (a story is shown where its best-ranked
    report falls)."""
    if not earlier:
        return hits
    of = store.stories_of([h.id for h in hits])
    shown = set(store.stories_of(earlier).values())
    return [h for h in hits if of.get(h.id) not in shown]


async def story_page(datasette: Any, request: Any) -> Response:
    site = site_of(datasette)
    if site is None:
        return Response.text("not found", status=404)
    story_id = int(request.url_vars["story_id"])

    def gather(store: Store) -> dict[str, Any] | int | None:
        story = store.story(story_id)
        if story is None:  # merged into another since: its link goes there
            live = store.live_story(story_id)
            return live if live != story_id else None
        ids = [a.id for a in story.articles]
        places, watches = store.places_of(ids), store.watches_of(ids)
        reports = [
            Item(
                id=a.id,
                title=escape(a.title or "(no headline)"),
                url=a.url if a.url.lower().startswith(SAFE_SCHEMES) else "",
                outlet=a.feed,
                published=a.published,
                shown_date=when(a.published),
                snippet=escape(""),
                places=[(name, place_url(gid)) for gid, name in places.get(a.id, [])],
                watches=[(w, watch_url(w)) for w in watches.get(a.id, [])],
            )
            for a in story.articles
        ]
        return {"story": story, "items": reports}

    context = await site.run(gather)
    if isinstance(context, int):
        return Response.redirect(f"/story/{context}", status=301)
    if context is None:
        return await not_found(datasette, request, "There is no such story in the archive.")
    return await page(datasette, request, "story.html", context)
