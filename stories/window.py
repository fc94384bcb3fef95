"""The window: what the clustering remembers of the recent articles, in memory.

Each member keeps its words (for evidence and rarity), its resolved places, a MinHash of its
word shingles (in a datasketch LSH index, for rewrites) and, once computed, its sentence
vector (float16, 1 KB). Word and place postings find the candidates a new article is
compared with; a word's rarity is its document frequency among the members. Members older
than the span are dropped as the window moves.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from datasketch import MinHash, MinHashLSH

from stories.text import Words

NUM_PERM = 64
REWRITE_JACCARD = 0.5  # word-shingle Jaccard of title + lead at which a text is a rewrite


@dataclass
class Member:
    id: int
    story: int
    published: datetime
    feed: str
    text: str  # title + lead: what the vector is made of
    words: Words
    places: frozenset[int]
    minhash: MinHash
    vector: np.ndarray | None = None


_TEMPLATE = MinHash(num_perm=NUM_PERM)  # its permutations, drawn once (a tenth of the cost)


def minhash(words: Words) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, scheme=_TEMPLATE.scheme, permutations=_TEMPLATE.permutations)
    m.update_batch(s.encode("utf-8") for s in words.shingles)
    return m


@dataclass
class Window:
    span: timedelta = timedelta(days=3)
    members: dict[int, Member] = field(default_factory=dict)
    by_word: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_place: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_story: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_title: dict[str, int] = field(default_factory=dict)  # exact folded title -> member
    lsh: MinHashLSH = field(
        default_factory=lambda: MinHashLSH(threshold=REWRITE_JACCARD, num_perm=NUM_PERM)
    )
    vectored: set[int] = field(default_factory=set)  # members that have a vector
    foreign: set[int] = field(default_factory=set)  # members in another script than Latin
    newest: datetime | None = None
    _expired_at: float = -1e9

    def __len__(self) -> int:
        return len(self.members)

    def add(self, m: Member) -> None:
        if m.id in self.members:
            self.remove(m.id)
        self.members[m.id] = m
        for w in _postings(m.words):
            self.by_word[w].add(m.id)
        for p in m.places:
            self.by_place[p].add(m.id)
        self.by_story[m.story].add(m.id)
        if m.words.key:
            self.by_title.setdefault(m.words.key, m.id)
        self.lsh.insert(m.id, m.minhash, check_duplication=False)
        if m.vector is not None:
            self.vectored.add(m.id)
        if m.words.script != "latin":
            self.foreign.add(m.id)
        if self.newest is None or m.published > self.newest:
            self.newest = m.published  # (a future date is capped by expire's ``now``)

    def remove(self, member_id: int) -> None:
        m = self.members.pop(member_id, None)
        if m is None:
            return
        for w in _postings(m.words):
            _discard(self.by_word, w, m.id)
        for p in m.places:
            _discard(self.by_place, p, m.id)
        _discard(self.by_story, m.story, m.id)
        if m.words.key and self.by_title.get(m.words.key) == m.id:
            del self.by_title[m.words.key]
        self.lsh.remove(m.id)
        self.vectored.discard(m.id)
        self.foreign.discard(m.id)

    def move(self, member_id: int, story: int) -> None:
        m = self.members.get(member_id)
        if m is None or m.story == story:
            return
        _discard(self.by_story, m.story, m.id)
        m.story = story
        self.by_story[story].add(m.id)

    def merge(self, story: int, into: int) -> list[tuple[int, int]]:
        """Move every member of ``story`` into ``into``; returns (member, story it left), what
        undoing it takes."""
        moved = [(i, story) for i in list(self.by_story.get(story, ()))]
        for i, _ in moved:
            self.move(i, into)
        return moved

    def expire(self, now: datetime, every: float = 60.0) -> None:
        """Drop the members published more than a span before the newest one seen (or ``now``
        when that is earlier: a feed's backlog from last week still clusters together)."""
        tick = time.monotonic()
        if tick - self._expired_at < every:
            return  # a walk over every member: once a minute is enough
        self._expired_at = tick
        edge = min(now, self.newest or now) - self.span
        for mid in [i for i, m in self.members.items() if m.published < edge]:
            self.remove(mid)

    def idf(self, word: str) -> float:
        """Rarity of a word among the members: log(N / df), the smoothed kind."""
        df = len(self.by_word.get(word, ()))
        return math.log((len(self.members) + 1) / (df + 1)) + 1.0

    def same_title(self, key: str) -> int | None:
        """The member whose title has these words (``stories.text.title_key``): a copy."""
        return self.by_title.get(key) if key else None

    def rewrites(self, mh: MinHash) -> list[int]:
        return [int(i) for i in self.lsh.query(mh)]

    def story_members(self, story: int) -> list[Member]:
        return [self.members[i] for i in self.by_story.get(story, ())]

    def vector_bytes(self) -> int:
        return sum(m.vector.nbytes for m in self.members.values() if m.vector is not None)


def _postings(words: Words) -> frozenset[str]:
    return words.body | words.names


def _discard(index: dict, key: object, value: int) -> None:  # type: ignore[type-arg]
    bucket = index.get(key)
    if bucket is not None:
        bucket.discard(value)
        if not bucket:
            del index[key]
