"""Which story a new article joins: the rule of ``stories`` (see the package docstring), as a
pure function of the article and the window. Thresholds live in ``Params`` so the benchmark
can show what each one does; the defaults are the ones measured best on the labelled fixture
(tests/data/stories/labels.json) with precision held at 0.90 or more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from stories.text import zipf
from stories.window import Member, Window

Vectorize = Callable[[Sequence[Member]], None]  # fills member.vector where it is None


@dataclass(frozen=True)
class Params:
    span: timedelta = timedelta(days=2)  # a report joins only reports within this of it
    cap: int = 40  # a story this large takes no more members
    rare: float = 3.6  # Zipf frequency at or below which a word is rare (Kremlin 3.4, Iran 4.6)
    rare_idf: float = 5.5  # or, in a window of 300+ reports, an idf this high (Swift, Jackson)
    evidence: float = 1.0  # summed rarity of shared rare words for a firm link
    sim_firm: float = 0.70  # cosine that links with firm evidence
    sim_weak: float = 0.85  # cosine that links with one rare word or a place in common
    sim_cross: float = 0.62  # cosine that links reports in two scripts (no shared words)
    support: float = 0.55  # cosine at which a member counts as agreeing with the article
    quorum: float = 0.5  # share of the story's members that must agree: guards chaining
    rewrite: float = 0.5  # estimated shingle Jaccard of a rewrite (MinHash)


DEFAULT = Params()
MIN_SHINGLES = 8  # a title + lead shorter than 10 words says too little to call a rewrite


def choose(item: Member, window: Window, vectorize: Vectorize, p: Params = DEFAULT) -> int | None:
    """The story ``item`` joins, or None for a story of its own. Cheapest evidence first:
    the same title, a rewrite (MinHash), then the same event told differently."""
    near = _Near(item, window, p)
    copy = copy_of(item.words.key, item.published, window, p)
    if copy is not None:
        return copy
    few = len(item.words.shingles) < MIN_SHINGLES  # "r story 0: teaser 0" is no rewrite
    rewrites = [] if few else [i for i in window.rewrites(item.minhash) if i in near]
    rewrites = [i for i in rewrites if not other_numbers(item, window.members[i])]
    best = max(
        rewrites, key=lambda i: item.minhash.jaccard(window.members[i].minhash), default=None
    )
    if best is not None and item.minhash.jaccard(window.members[best].minhash) >= p.rewrite:
        return _open(window, window.members[best].story, p)
    stories = _open_stories(item, _candidates(item, window, near, p), window, p)
    if not stories:
        return None
    vectorize([item, *(m for s in stories for m in window.story_members(s))])
    scored = [(score, s) for s in stories if (score := _score(item, window, s, p)) is not None]
    return max(scored)[1] if scored else None


def to_compare(item: Member, window: Window, p: Params = DEFAULT) -> list[Member]:
    """The members whose vectors deciding ``item`` will need (the item first), or [] when it
    has no candidate: lets a batch of articles be encoded at once."""
    stories = _open_stories(item, _candidates(item, window, _Near(item, window, p), p), window, p)
    if not stories:
        return []
    return [item, *(m for s in stories for m in window.story_members(s))]


def copy_of(key: str, published: datetime, window: Window, p: Params = DEFAULT) -> int | None:
    """The story of a report with the same title words within the span (a copy), if open."""
    found = window.same_title(key)
    m = window.members.get(found) if found is not None else None
    if m is None or abs(m.published - published) > p.span:
        return None
    return _open(window, m.story, p)


class _Near:
    """``i in near``: member i was published within the span of the item (and is not it)."""

    def __init__(self, item: Member, window: Window, p: Params) -> None:
        self.item, self.window = item, window
        self.low, self.high = item.published - p.span, item.published + p.span

    def __contains__(self, i: int) -> bool:
        m = self.window.members.get(i)
        return m is not None and i != self.item.id and self.low <= m.published <= self.high


def _open(window: Window, story: int, p: Params) -> int | None:
    return story if len(window.by_story.get(story, ())) < p.cap else None


MAX_STORIES = 8  # candidate stories compared (the most evidence first): bounds the vectors made


def _open_stories(item: Member, candidates: set[int], window: Window, p: Params) -> list[int]:
    """The stories the candidates belong to that could take the item: not full, without a
    report from the item's own outlet; those sharing the most rare words first."""
    count: dict[int, int] = {}
    for i in candidates:
        story = window.members[i].story
        count[story] = count.get(story, 0) + 1
    open_ = [
        s
        for s in count
        if len(window.by_story.get(s, ())) < p.cap
        and all(m.feed != item.feed for m in window.story_members(s))
    ]
    return sorted(open_, key=lambda s: -count[s])[:MAX_STORIES]


def _candidates(item: Member, window: Window, near: _Near, p: Params) -> set[int]:
    """Members sharing a rare word or name, or a place; for an article in another script
    than the Latin one, every near member that has a vector."""
    found: set[int] = set()
    for w in item.words.title | item.words.names:
        if not w.isdigit() and rarity(w, item.words.script, window, p) > 0:
            found |= window.by_word.get(w, set())
    for place in item.places:
        found |= window.by_place.get(place, set())
    if item.words.script != "latin":  # no words in common with Latin reports but numbers
        found |= window.vectored
        for w in item.words.names:
            if w.isdigit():
                found |= window.by_word.get(w, set())
    return {i for i in found if i in near}


def evidence(item: Member, other: Member, window: Window, p: Params) -> tuple[float, bool]:
    """Summed rarity of the rare title words, names and numbers one report shares with the
    other, and whether a word is among them (a number alone, "3", is no evidence)."""
    a, b = item.words, other.words
    shared = ((a.title | a.names) & (b.body | b.names)) | ((b.title | b.names) & (a.body | a.names))
    rare = {w: r for w in shared if (r := rarity(w, a.script, window, p)) > 0}
    return sum(rare.values()), any(not w.isdigit() for w in rare)


MIN_IDF_WINDOW = 300  # a smaller window says little about which words are rare


def rarity(word: str, script: str, window: Window, p: Params) -> float:
    """How much a shared ``word`` says that two reports tell the same event: rare in the
    language at large (4 - its Zipf frequency: Navalny 1.7, Kremlin 0.6), or rare among the
    window's reports (0.5); 0 for a common word."""
    z = zipf(word, script)
    if z <= p.rare:
        return 4.0 - z
    if len(window) >= MIN_IDF_WINDOW and window.idf(word) >= p.rare_idf:
        return 0.5
    return 0.0


def other_numbers(a: Member, b: Member) -> bool:
    """Both titles carry numbers and they differ: "district 3" is not "district 4"."""
    na = {w for w in a.words.title if w.isdigit()}
    nb = {w for w in b.words.title if w.isdigit()}
    return bool(na and nb and na != nb)


def linked(item: Member, other: Member, sim: float, window: Window, p: Params) -> bool:
    """Does ``item`` report the same event as ``other``? Similar wording needs evidence;
    titles with different numbers never link."""
    if other_numbers(item, other):
        return False
    if item.words.script != other.words.script:
        bar = p.sim_cross - (0.08 if item.places & other.places else 0.0)
        return sim >= bar
    ev, word = evidence(item, other, window, p)
    if word and ev >= p.evidence and sim >= p.sim_firm:
        return True
    return (word or bool(item.places & other.places)) and sim >= p.sim_weak


def _score(item: Member, window: Window, story: int, p: Params) -> float | None:
    """The best link to a member of the story, if the item is linked to one of them and close
    enough to all of them on average; None when it must not join."""
    members = window.story_members(story)
    if not members or item.vector is None:
        return None
    vectors = np.stack([m.vector for m in members if m.vector is not None])
    if len(vectors) < len(members):
        return None
    sims = (vectors.astype(np.float32) @ item.vector.astype(np.float32)).tolist()
    if sum(s >= p.support for s in sims) < p.quorum * len(sims):
        return None
    links = [s for m, s in zip(members, sims, strict=True) if linked(item, m, s, window, p)]
    return max(links) if links else None
