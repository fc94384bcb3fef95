"""`bot.py stories --rebuild --since 30d`: regroup the archive's recent articles with the
current rule, oldest first as they arrived, in one transaction; copies follow their
originals. Articles published before ``since`` keep their stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from storage.stories import StoryStore
from stories.clusterer import StoryClusterer, member


@dataclass(frozen=True)
class RebuildReport:
    articles: int
    stories: int
    multi: int  # stories with more than one article


def rebuild(
    store: StoryStore, since: datetime, clusterer: StoryClusterer | None = None
) -> RebuildReport:
    clusterer = clusterer or StoryClusterer()
    rows = sorted(store.window_rows(since), key=lambda r: (r.published, r.id))
    items = [member(r.id, r.id, r.title, r.lead, r.published, r.feed, r.places) for r in rows]
    assignment = clusterer.cluster(items)
    store.regroup(assignment, datetime.now(UTC))
    sizes: dict[int, int] = {}
    for story in assignment.values():
        sizes[story] = sizes.get(story, 0) + 1
    return RebuildReport(len(assignment), len(sizes), sum(1 for n in sizes.values() if n > 1))
