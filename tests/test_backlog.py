"""Old articles (a cold start's backlog) are completed across feeds in the order they were
published (service/backlog.py): the story rule decides report by report, and the order in
which reports come is the order they were told in, not the order their feeds answered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from storyfeeds import talks_site

from models import Article
from service.backlog import Backlog, split
from service.wiring import run_once
from storage.archive import Processed
from stories import StoryClusterer, set_clusterer

T0 = datetime(2026, 2, 17, 12, 0, tzinfo=UTC)


def _done(aid: int, hour: int, feed: str) -> Processed:
    art = Article(aid, f"http://{feed}/{aid}", f"t{aid}", "", "", T0.replace(hour=hour), feed)
    return Processed(art, "", "ok", {}, ())


def test_fresh_and_old_articles() -> None:
    now = T0.replace(hour=19, minute=30)  # 19:00 is fresh, 18:00 old, 20:00 (ahead) fresh
    fresh, old = split([_done(1, 19, "a"), _done(2, 18, "a"), _done(3, 20, "b")], now)
    assert [d.article.id for d in fresh] == [1, 3] and [d.article.id for d in old] == [2]


def test_polls_hand_over_and_are_completed_together_oldest_first() -> None:
    calls: list[list[int]] = []

    def complete_now(done, counts: dict[int, int]) -> None:
        calls.append([d.article.id for d in done])
        counts.update({d.article.id: d.article.id % 2 for d in done})

    async def main() -> list[int]:
        backlog = Backlog(complete_now, lambda: 2, quiet=5.0)
        a = [_done(1, 15, "a"), _done(3, 9, "a")]  # one feed's backlog, newest first
        b = [_done(2, 11, "b"), _done(4, 13, "b")]
        return list(await asyncio.gather(backlog.complete(a), backlog.complete(b)))

    assert asyncio.run(main()) == [2, 0]  # each poll gets the alerts of its own articles
    assert calls == [[3, 2, 4, 1]]  # one pass, in the order published


def test_a_poll_that_never_hands_over_delays_nothing_for_long() -> None:
    """A poll still fetching (or with nothing old) is not waited for past ``quiet``."""
    calls: list[list[int]] = []

    async def main() -> None:
        backlog = Backlog(lambda d, c: calls.append([x.article.id for x in d]), lambda: 3)
        backlog.quiet = 0.05
        await asyncio.gather(backlog.complete([_done(1, 10, "a")]), backlog.complete([]))

    asyncio.run(main())
    assert calls == [[1]]


def test_work_ahead_starts_at_hand_over_and_ends_before_the_completion() -> None:
    """The work done ahead (the sentence vectors) starts as each poll hands over, while
    other polls go on, and the completion waits for all of it."""
    events: list[tuple[str, list[int]]] = []

    async def ahead(done: Sequence[Processed]) -> None:
        events.append(("start", [d.article.id for d in done]))
        await asyncio.sleep(0.05)
        events.append(("end", [d.article.id for d in done]))

    def complete_now(done: Sequence[Processed], counts: dict[int, int]) -> None:
        events.append(("complete", [d.article.id for d in done]))

    async def main() -> None:
        backlog = Backlog(complete_now, lambda: 2, quiet=5.0, ahead=ahead)
        first = asyncio.ensure_future(backlog.complete([_done(1, 15, "a")]))
        await asyncio.sleep(0.01)
        assert events == [("start", [1])]  # under way while the other poll still polls
        await asyncio.gather(first, backlog.complete([_done(2, 11, "b")]))

    asyncio.run(main())
    assert events[-1] == ("complete", [2, 1])
    assert ("end", [1]) in events[:-1] and ("end", [2]) in events[:-1]


class Recording(StoryClusterer):
    """The real clusterer, noting the order it is asked about articles in."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[datetime] = []

    def assign(self, store: Any, article: Article, text: str, places: frozenset[int]) -> Any:
        self.asked.append(article.published)
        return super().assign(store, article, text, places)


@pytest.mark.parametrize("dates", ["as published", "of the last hour"])
def test_a_cold_start_meets_its_reports_in_the_order_they_were_published(
    tmp_path: Path, http_server: Any, dates: str
) -> None:
    """The clusterer is asked about the talks' reports oldest first, whatever order the
    feeds answered in; so too when the feeds date them all within the last hour (a first
    poll is a backlog, whatever its dates)."""
    s = talks_site(http_server, tmp_path, dates)
    recording = Recording()
    set_clusterer(str(s.db_path), recording)
    report, _ = run_once(s)
    assert report.new == 13
    assert len(recording.asked) == 13 and recording.asked == sorted(recording.asked)
