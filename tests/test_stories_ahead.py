"""The sentence vectors of a poll's articles are encoded before the transaction that completes
them, in the encoder's own thread (stories/clusterer.py, ``encode_ahead``): the event loop
fetches other feeds meanwhile instead of standing still inside the transaction, and the
stories come out the same."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from feedfactory import page, rss
from httpserver import Reply
from loopwatch import longest_stall
from storyfeeds import talks_site

import settings
from models import Article
from service.wiring import open_store, poll_cycle, run_once
from stories import StoryClusterer, embed, set_clusterer

SLOW = (
    0.3  # seconds an encoding takes in the stall test (sleeping lets go of the GIL, as BLAS does)
)


class Noting(StoryClusterer):
    """The real clusterer, noting the thread each encoding runs in; ``delay`` makes each
    encoding that much slower."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(encode=self._encode)
        self.delay = delay
        self.threads: list[str] = []

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        time.sleep(self.delay)
        return embed.encode(texts)


class Inline(Noting):
    """Encodes only inside the transaction, as the decisions ask (the code before)."""

    async def encode_ahead(self, batch: Sequence[tuple[Article, str, frozenset[int]]]) -> None:
        return None


def _stories(s: settings.Settings) -> set[frozenset[str]]:
    with open_store(s) as store:
        rows = store.db.execute("SELECT story_id, url FROM articles").fetchall()
    groups: dict[int, set[str]] = {}
    for story, url in rows:
        groups.setdefault(story, set()).add(url.rsplit("/", 1)[-1])
    return {frozenset(g) for g in groups.values()}


def test_a_cold_start_encodes_off_the_event_loop_and_groups_the_same(
    tmp_path: Path, http_server: Any
) -> None:
    """Thirteen reports of one day of talks from eleven outlets' feeds: every vector is
    encoded in the encoder's thread, none inside a transaction, and the stories are those
    of the same run encoding inline."""
    runs: dict[str, tuple[Noting, set[frozenset[str]]]] = {}
    for name, clusterer in (("ahead", Noting()), ("inline", Inline())):
        s = talks_site(http_server, tmp_path / name)
        set_clusterer(str(s.db_path), clusterer)
        assert run_once(s)[0].new == 13
        runs[name] = (clusterer, _stories(s))
    ahead, inline = runs["ahead"][0], runs["inline"][0]
    assert inline.encoded > 0 and set(inline.threads) == {"MainThread"}
    assert ahead.encoded == 0 and ahead.encoded_ahead >= 13 - 1
    assert ahead.threads and all(t.startswith("newsbot-encode") for t in ahead.threads)
    assert runs["ahead"][1] == runs["inline"][1]
    assert len(runs["ahead"][1]) < 13  # (reports were grouped: the comparison says something)


def _site(http_server: Any, tmp_path: Path) -> settings.Settings:
    now = datetime.now(UTC)
    items = [
        ("a1", "Shelling resumes in Aleppo after truce collapses", now - timedelta(hours=3)),
        (
            "a2",
            "Aid convoy turned back from Aleppo amid renewed shelling",
            now - timedelta(hours=2),
        ),
    ]
    dated = [(g, t, http_server.url(f"/{g}.html"), "", when) for g, t, when in items]
    http_server.route("/feed.xml", Reply(200, rss(dated), {"Content-Type": "application/rss+xml"}))
    for g, t, _ in items:
        html = page(t, [f"{t}. Officials in Aleppo said so on Tuesday.", "More followed."])
        http_server.route(f"/{g}.html", Reply(200, html, {"Content-Type": "text/html"}))
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"allow_private_networks": True, "timeout": "5s"},
            "feeds": [{"name": "wire", "url": http_server.url("/feed.xml")}],
            "watches": [{"name": "Aleppo", "keywords": ["Aleppo"]}],
        },
        base_dir=str(tmp_path),
    )


def _longest_stall(s: settings.Settings, clusterer: Noting) -> float:
    """One poll cycle; the longest the event loop went without running a ticking task."""
    set_clusterer(str(s.db_path), clusterer)

    async def main() -> float:
        with open_store(s) as store:
            report, stall = await longest_stall(poll_cycle(s, store, None, everything=True))
        assert report.new == 2
        return stall

    return asyncio.run(main())


def test_the_event_loop_runs_while_vectors_are_encoded(tmp_path: Path, http_server: Any) -> None:
    """With an encoder that takes ``SLOW`` seconds a call, the loop goes on ticking while the
    poll's vectors are encoded; encoding inside the transaction (the control) stops it for
    as long."""
    embed.load()
    ahead, inline = Noting(SLOW), Inline(SLOW)
    stalled = _longest_stall(_site(http_server, tmp_path / "ahead"), ahead)
    control = _longest_stall(_site(http_server, tmp_path / "inline"), inline)
    assert inline.encoded > 0 and control >= SLOW  # the control did stand still
    assert stalled < SLOW / 2, f"the event loop stood still {stalled:.2f} s"
    assert ahead.encoded_ahead == 2 and ahead.encoded == 0


def test_only_articles_with_a_candidate_story_are_encoded_ahead() -> None:
    """Two reports of one event handed over together are encoded ahead (each is the
    other's candidate before either is decided); a report sharing nothing is not."""
    now = datetime.now(UTC)
    titles = [
        ("a", "Local council notes budget"),
        ("a", "Ceasefire agreed in Aleppo after overnight talks"),
        ("b", "Aleppo ceasefire holds as mediators leave Geneva"),
    ]
    arts = [Article(i, f"http://{f}/{i}", t, "", "", now, f) for i, (f, t) in enumerate(titles)]
    clusterer = Noting()
    asyncio.run(clusterer.encode_ahead([(a, "", frozenset()) for a in arts]))
    assert clusterer.encoded_ahead == 2
    assert set(clusterer._ahead) == {titles[1][1], titles[2][1]}
