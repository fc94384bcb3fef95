"""``StoryClusterer``: the window and the rule behind the archive's ``Clusterer`` protocol.

Inside the transaction that completes articles, ``begin`` brings the window up to date with
what was processed since the last call (by this process or another: the write lock is held,
so nothing is missed), ``assign`` decides each article's story and adds it to the window,
``end`` keeps or forgets what was added (a rolled-back transaction leaves no trace).
The same object clusters a list of articles offline (``cluster``): the benchmark and
``bot.py stories --rebuild`` use that.

Before the transaction, ``encode_ahead`` encodes the sentence vectors of the articles about to
be completed in a thread of its own (numpy lets go of the interpreter while it multiplies),
so the event loop fetches other feeds meanwhile instead of waiting inside the transaction:
encoding is most of what a decision costs. Only what a decision is likely to ask for is
encoded: the vectors of articles with a candidate story, looked for in the window and among
the articles handed over and not decided yet (``_pending``), and of that story's members.
The decisions are unchanged: a vector encoded ahead is used only where a decision asks for
one, and what was not foreseen is encoded in the transaction as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from models import Article
from storage.db import iso
from stories import embed
from stories.rule import DEFAULT, Params, choose, copy_of, to_compare
from stories.text import lead, title_key, words
from stories.window import Member, Window, minhash

log = logging.getLogger("newsbot.stories")
Encode = Callable[[Sequence[str]], np.ndarray]
BATCH = 64  # offline: articles whose vectors are encoded together
MAX_AHEAD = 10_000  # vectors encoded ahead and not used yet (float16: 10 MB)
# The process's one encoding thread (started at its first use): on two cores, one encodes
# while the other runs the event loop; more threads would only take turns on the same cores.
_ENCODER = ThreadPoolExecutor(1, thread_name_prefix="newsbot-encode")


class WindowSource(Protocol):
    """What the clusterer reads from storage (``storage.stories.StoryStore``)."""

    def window_rows(self, since: datetime, processed_since: str = "") -> Iterable: ...  # type: ignore[type-arg]

    def merges_since(self, at: str) -> list[tuple[int, int]]: ...


def member(
    article_id: int,
    story: int,
    title: str,
    lead_text: str,
    published: datetime,
    feed: str,
    places: frozenset[int] = frozenset(),
) -> Member:
    w = words(title, lead_text)
    return Member(
        article_id, story, published, feed, vector_text(title, lead_text), w, places, minhash(w)
    )


def vector_text(title: str, lead_text: str) -> str:
    """What a report's sentence vector is made of: its title (its lead when it has none)."""
    return title.strip() or " ".join(lead_text.split()[:30])


class StoryClusterer:
    def __init__(self, params: Params = DEFAULT, encode: Encode = embed.encode) -> None:
        self.params = params
        self.encode = encode
        self.window = Window(span=params.span * 2)
        self._added: list[int] = []
        self._prepared: dict[int, Member] = {}
        self._keys: dict[int, str] = {}  # title keys worked out by ``prepare``, for ``assign``
        self._loaded_until = ""  # processed_at of the newest row read from storage
        self._now = ""  # the current transaction's time, as processed_at stores it
        self._when = datetime.fromtimestamp(0, UTC)  # the same, as a datetime
        self._moved: list[tuple[int, int]] = []  # (member, story it left) by this transaction
        self.merged: dict[int, int] = {}  # story -> the story it merged into (offline runs)
        self.seconds = 0.0  # time spent deciding (for the benchmark and the logs)
        self.encoded = 0
        self.encoded_ahead = 0
        self._ahead: dict[str, np.ndarray] = {}  # text -> vector encoded off the event loop
        self._pending = Window(span=params.span * 2)  # made ahead, not decided yet

    # -- the archive's Clusterer protocol --------------------------------------------------

    def begin(self, store: WindowSource, now: datetime) -> None:
        since = now - self.window.span
        if self._loaded_until:  # stories merged by others since (members read before hold
            for story, into in store.merges_since(self._loaded_until):  # the old story id)
                self.window.merge(story, into)
        for row in store.window_rows(since, self._loaded_until):
            key = title_key(row.title, row.lead)
            copy = copy_of(key, row.published, self.window, self.params)
            if row.id not in self.window.members and copy is None:
                m = member(
                    row.id, row.story_id, row.title, row.lead, row.published, row.feed, row.places
                )
                self.window.add(m)
            self._loaded_until = max(self._loaded_until, row.processed_at)
        self.window.expire(now)
        self._added = []
        self._moved = []
        self._now = iso(now)
        self._when = now

    def prepare(self, store: object, batch: Sequence[tuple[Article, str, frozenset[int]]]) -> None:
        """Before a batch is assigned: make the members of the articles that are not copies
        and encode every vector their decisions will need in one call (a batch encodes
        several times faster than one title at a time)."""
        started = time.perf_counter()
        story_of = getattr(store, "story_of", lambda _i: None)
        self._prepared = {}
        keys: set[str] = set()
        for article, text, places in batch:
            key = self._keys[article.id] = title_key(article.title, lead(article.summary, text))
            if key in keys or copy_of(key, article.published, self.window, self.params):
                self._pending.remove(article.id)  # (made ahead: it is decided now)
                continue  # a copy of an article in the window or earlier in the batch
            if key:
                keys.add(key)
            story = story_of(article.id) or article.id
            self._prepared[article.id] = self._member(article, text, places, story)
        self._encode_ahead(list(self._prepared.values()))
        self.seconds += time.perf_counter() - started

    def assign(
        self, store: object, article: Article, text: str, places: frozenset[int]
    ) -> int | None:
        started = time.perf_counter()
        key = self._keys.pop(article.id, None)
        if key is None:
            key = title_key(article.title, lead(article.summary, text))
        joined = copy_of(key, article.published, self.window, self.params)
        if joined is None:  # not a copy: make the member (words, MinHash) and decide
            m = self._prepared.pop(article.id, None)
            if m is None:
                story = getattr(store, "story_of", lambda _i: None)(article.id) or article.id
                m = self._member(article, text, places, story)
            joined, absorbed = self._decide(m)
            self._added.append(m.id)
            for story in absorbed if joined is not None else ():
                store.merge_story(story, joined, self._when)  # type: ignore[attr-defined]
        self.seconds += time.perf_counter() - started
        return joined

    def _encode_ahead(self, items: Sequence[Member]) -> None:
        needed: dict[int, Member] = {}
        for m in items:
            for other in to_compare(m, self.window, self.params):
                needed.setdefault(id(other), other)
        self.vectorize(list(needed.values()))

    def _decide(self, m: Member) -> tuple[int | None, tuple[int, ...]]:
        """The story ``m`` joins and the stories it bridged (merged into that one, in the
        window here; the caller merges them in storage)."""
        choice = choose(m, self.window, self.vectorize, self.params)
        if choice.story is not None:
            m.story = choice.story
            for story in choice.absorbs:
                self._moved += self.window.merge(story, choice.story)
                self.merged[story] = choice.story
        self.window.add(m)
        return choice.story, choice.absorbs

    def end(self, ok: bool) -> None:
        if not ok:
            for mid in self._added:
                self.window.remove(mid)
            for mid, story in reversed(self._moved):
                self.window.move(mid, story)
        else:  # what this transaction processed is in the window: not read back
            self._loaded_until = max(self._loaded_until, self._now)
        self._added = []
        self._moved = []
        self._prepared = {}
        self._keys = {}

    # -- vectors ------------------------------------------------------------------------------

    def _member(self, article: Article, text: str, places: frozenset[int], story: int) -> Member:
        """The article's member: the one made ahead of its transaction, or a new one."""
        m = self._pending.members.get(article.id)
        if m is not None and m.places == places and m.published == article.published:
            self._pending.remove(article.id)
            m.story = story
            return m
        lead_text = lead(article.summary, text)
        return member(
            article.id, story, article.title, lead_text, article.published, article.feed, places
        )

    async def encode_ahead(self, batch: Sequence[tuple[Article, str, frozenset[int]]]) -> None:
        """Encode, in the encoding thread while the event loop goes on, the vectors that the
        decisions on the articles about to be completed are likely to ask for: those of the
        articles with a candidate story, and of that story's members. The candidates are
        looked for in the window and among the articles handed over but not decided yet
        (``_pending``: a cold start's feeds report the same events before any is decided).
        The decisions are unchanged: they take a vector encoded ahead where they ask for
        one and encode what is missing; if encoding fails here, they encode it all."""
        if len(self._pending) > MAX_AHEAD:  # (articles handed over and never completed)
            self._pending = Window(span=self.window.span)
        made: list[Member] = []
        for article, text, places in batch:
            lead_text = lead(article.summary, text)
            key = title_key(article.title, lead_text)
            if article.id in self._pending.members or any(
                copy_of(key, article.published, w, self.params) is not None
                for w in (self.window, self._pending)
            ):
                continue
            m = member(
                article.id,
                article.id,
                article.title,
                lead_text,
                article.published,
                article.feed,
                places,
            )
            self._pending.add(m)
            made.append(m)
        needed: dict[str, None] = {}
        for m in made:
            likely = [*to_compare(m, self.window, self.params)]
            likely += to_compare(m, self._pending, self.params)
            if m.words.script != "latin":
                likely.append(m)
            for other in likely:
                if other.vector is None and other.text.strip() and other.text not in self._ahead:
                    needed[other.text] = None
        if not needed:
            return
        todo = list(needed)
        try:
            loop = asyncio.get_running_loop()
            vectors = await loop.run_in_executor(_ENCODER, self.encode, todo)
        except Exception as err:  # noqa: BLE001 - the transaction encodes what it needs
            log.warning("stories: %d vectors not encoded ahead: %r", len(todo), err)
            return
        self.encoded_ahead += len(todo)
        self._ahead.update(zip(todo, vectors, strict=True))
        while len(self._ahead) > MAX_AHEAD:  # the oldest first
            del self._ahead[next(iter(self._ahead))]

    def vectorize(self, members: Sequence[Member]) -> None:
        """Compute the missing vectors of ``members`` in one batch."""
        for m in members:
            if m.vector is None and m.text in self._ahead:
                m.vector = self._ahead.pop(m.text)
                if m.id in self.window.members:
                    self.window.vectored.add(m.id)
        todo = [m for m in members if m.vector is None]
        if not todo:
            return
        vectors = self.encode([m.text for m in todo])
        self.encoded += len(todo)
        for m, v in zip(todo, vectors, strict=True):
            m.vector = v
            if m.id in self.window.members:
                self.window.vectored.add(m.id)

    # -- offline ------------------------------------------------------------------------------

    def cluster(self, items: Iterable[Member]) -> dict[int, int]:
        """Cluster members in the order given (oldest first, as they would arrive): member id
        -> story id. A copy (same title words within the span) joins at once and, as in the
        archive, is not remembered: its original stands for it in the window."""
        out: dict[int, int] = {}
        items = list(items)
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            started = time.perf_counter()
            self._encode_ahead(
                [m for m in chunk if not copy_of(m.words.key, m.published, self.window)]
            )
            for m in chunk:
                joined = copy_of(m.words.key, m.published, self.window, self.params)
                if joined is None:
                    joined = self._decide(m)[0]
                out[m.id] = joined if joined is not None else m.story
            self.seconds += time.perf_counter() - started
        return {i: self.survivor(story) for i, story in out.items()}

    def survivor(self, story: int) -> int:
        """The story that ``story`` merged into, through any number of merges."""
        while story in self.merged:
            story = self.merged[story]
        return story
