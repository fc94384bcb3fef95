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
    cap: int = 40  # a story this large takes no more members by likeness (copies still join)
    rare: float = 5.0  # a word's rarity: this minus its Zipf frequency (Kremlin 1.6, Iran 0.4)
    rare_idf: float = 5.5  # or, in a window of 300+ reports, an idf this high (Swift, Jackson)
    candidate: float = 0.8  # summed rarity of shared words that makes a member a candidate
    link: float = 0.80  # strength (cosine + evidence bonus - time penalty) of a link
    bonus: float = 0.20  # bonus of shared rare words summing to ``full`` rarity or more
    full: float = 6.0
    place: float = 0.05  # bonus of a resolved place in common
    late: float = 0.15  # penalty of two reports a whole span apart (two rounds of talks)
    same_outlet: float = 0.95  # strength an outlet's second item needs (an update of its report)
    sim_cross: float = 0.55  # cosine that links reports in two scripts (no shared words)
    support: float = 0.55  # cosine at which a member counts as agreeing with the article
    quorum: float = 0.5  # share of the story's members that must agree: guards chaining
    rewrite: float = 0.5  # estimated shingle Jaccard of a rewrite (MinHash)
    contain: float = 0.6  # share of the shorter text's shingles in the other: a trimmed copy
    bridge: float = 0.05  # a report linked this much above ``link`` to two stories merges them


DEFAULT = Params()
MIN_SHINGLES = 8  # a title + lead shorter than 10 words says too little to call a rewrite


@dataclass(frozen=True)
class Choice:
    """The story a report joins (None: a story of its own) and the stories it bridges, which
    merge into that one (oldest first: the survivor is the oldest story)."""

    story: int | None
    absorbs: tuple[int, ...] = ()


def choose(item: Member, window: Window, vectorize: Vectorize, p: Params = DEFAULT) -> Choice:
    """The story ``item`` joins, or a story of its own. Cheapest evidence first: the same
    title, a rewrite (MinHash), a trimmed copy (containment), then the same event told
    differently; a report told differently may also bridge two stories of one event."""
    near = _Near(item, window, p)
    copy = copy_of(item.words.key, item.published, window, p)
    if copy is not None:
        return Choice(copy)
    few = len(item.words.shingles) < MIN_SHINGLES  # "r story 0: teaser 0" is no rewrite
    rewrites = [] if few else [i for i in window.rewrites(item.minhash) if i in near]
    rewrites = [i for i in rewrites if not _other_event(item, window.members[i])]
    best = max(
        rewrites, key=lambda i: item.minhash.jaccard(window.members[i].minhash), default=None
    )
    if best is not None and item.minhash.jaccard(window.members[best].minhash) >= p.rewrite:
        return Choice(window.members[best].story)  # the same text: joins even a full story
    foreign = _foreign(item, window, near)
    if item.words.script != "latin" or foreign:  # candidates found by their cosine
        vectorize([item, *foreign])
    candidates = _candidates(item, window, near, p)
    trimmed = None if few else trimmed_copy(item, window, candidates, p)
    if trimmed is not None:
        return Choice(trimmed)
    stories = _open_stories(item, candidates, window, p)
    if not stories:
        return Choice(None)
    vectorize([item, *(m for s in stories for m in window.story_members(s))])
    scored = [(score, s) for s in stories if (score := _score(item, window, s, p)) is not None]
    if not scored:
        return Choice(None)
    best = max(scored)[1]
    bridged = sorted(
        s
        for score, s in scored
        if s != best and score >= p.link + p.bridge and _mergeable(window, best, s, p)
    )
    if not bridged:
        return Choice(best)
    survivor, *absorbed = sorted([best, *bridged])
    return Choice(survivor, tuple(absorbed))


def _mergeable(window: Window, a: int, b: int, p: Params) -> bool:
    """May stories ``a`` and ``b``, both strongly linked to one new report, merge? Only when
    the report is not their only bridge (two of their members from different outlets are
    themselves linked: a report on two events, "talks and a strike", links to both but
    joins neither to the other) and together they stay within the cap."""
    xs, ys = window.story_members(a), window.story_members(b)
    if len(xs) + len(ys) + 1 > p.cap:
        return False
    if any(m.vector is None for m in (*xs, *ys)):
        return False  # (not the case: both were scored, which takes every vector)
    left = np.stack([x.vector for x in xs if x.vector is not None]).astype(np.float32)
    right = np.stack([y.vector for y in ys if y.vector is not None]).astype(np.float32)
    sims = left @ right.T
    floor = min(p.link - p.bonus, p.sim_cross) - p.place  # below it no pair can link
    for i, j in zip(*np.nonzero(sims >= floor), strict=True):
        x, y = xs[int(i)], ys[int(j)]
        if x.feed != y.feed and linked(x, y, float(sims[i, j]), window, p):
            return True
    return False


def to_compare(item: Member, window: Window, p: Params = DEFAULT) -> list[Member]:
    """The members whose vectors deciding ``item`` will need (the item first), or [] when it
    has no candidate: lets a batch of articles be encoded at once."""
    near = _Near(item, window, p)
    candidates = _candidates(item, window, near, p)
    stories = _open_stories(item, candidates, window, p)
    foreign = _foreign(item, window, near)
    if (not stories and not foreign) or trimmed_copy(item, window, candidates, p) is not None:
        return []
    return [item, *foreign, *(m for s in stories for m in window.story_members(s))]


def _foreign(item: Member, window: Window, near: _Near) -> list[Member]:
    """For a report in the Latin script, the near members in other scripts: they share no
    words with it, so only their cosine can make them candidates (an Arabic report that
    came first is found by the English ones that follow it)."""
    if item.words.script != "latin":
        return []
    return [window.members[i] for i in window.foreign if i in near]


def copy_of(key: str, published: datetime, window: Window, p: Params = DEFAULT) -> int | None:
    """The story of a report with the same title words within the span (a copy). A copy, a
    rewrite or a trimmed copy joins even a full story: the same text cannot chain two events,
    and a wire story carried by a hundred outlets is still one alert."""
    found = window.same_title(key)
    m = window.members.get(found) if found is not None else None
    if m is None or abs(m.published - published) > p.span:
        return None
    return m.story


MIN_SHARED = 12  # shingles in common: a run of 14 words told word for word


def trimmed_copy(
    item: Member, window: Window, candidates: dict[int, float], p: Params = DEFAULT
) -> int | None:
    """The story of another outlet's copy of the same wire text, cut shorter or longer (a
    rewrite MinHash misses: a 20-word summary of a 60-word lead shares a third of the
    shingles, but nearly all of its own): ``contain`` of the shorter text's word 3-shingles
    are in the other's, 12 or more. Not from the item's own outlet, where a standing
    sentence ("Listen to the latest episode...") recurs under every story."""
    mine = item.words.shingles
    best: tuple[float, int] | None = None
    for i in candidates:
        other = window.members[i]
        if other.feed == item.feed or other_numbers(item, other):
            continue
        shared = len(mine & other.words.shingles)
        if shared < MIN_SHARED:
            continue
        share = shared / min(len(mine), len(other.words.shingles))
        if share >= p.contain and (best is None or share > best[0]):
            best = (share, other.story)
    return best[1] if best else None


class _Near:
    """``i in near``: member i was published within the span of the item (and is not it)."""

    def __init__(self, item: Member, window: Window, p: Params) -> None:
        self.item, self.window = item, window
        self.low, self.high = item.published - p.span, item.published + p.span

    def __contains__(self, i: int) -> bool:
        m = self.window.members.get(i)
        return m is not None and i != self.item.id and self.low <= m.published <= self.high


MAX_STORIES = 8  # candidate stories compared (the most evidence first): bounds the vectors made


def _open_stories(
    item: Member, candidates: dict[int, float], window: Window, p: Params
) -> list[int]:
    """The stories the candidates belong to that could take the item (not full); those
    sharing the most evidence first."""
    weight: dict[int, float] = {}
    for i, w in candidates.items():
        story = window.members[i].story
        weight[story] = weight.get(story, 0.0) + w
    open_ = [s for s in weight if len(window.by_story.get(s, ())) < p.cap]
    return sorted(open_, key=lambda s: -weight[s])[:MAX_STORIES]


MAX_POSTING = 2000  # a word in this many members of the window says nothing of an event
SHARE_POSTING = 0.02  # a middling word (Iran) in more than this share of them neither


def _candidates(item: Member, window: Window, near: _Near, p: Params) -> dict[int, float]:
    """Members sharing words of summed rarity ``candidate`` or a place (-> the evidence);
    for an article in another script than the Latin one, the near members it is close to.
    A word that cannot make a candidate alone counts only while it is rare in the window."""
    found: dict[int, float] = {}
    middling = max(50, int(SHARE_POSTING * len(window)))
    for w in item.words.title | item.words.names:
        posting = window.by_word.get(w, ())
        if w.isdigit() or len(posting) > MAX_POSTING:
            continue
        r = rarity(w, item.words.script, window, p)
        if r <= 0 or (r < p.candidate and len(posting) > middling):
            continue
        for i in posting:
            found[i] = found.get(i, 0.0) + r
    found = {i: r for i, r in found.items() if r >= p.candidate}
    for place in item.places:
        for i in window.by_place.get(place, ()):
            found[i] = found.get(i, 0.0) + p.candidate
    if item.words.script != "latin":  # no words in common with Latin reports but numbers
        for i, cos in _close(item, window, near, p):
            found[i] = found.get(i, 0.0) + cos * UNKNOWN
        for w in item.words.names:
            for i in window.by_word.get(w, ()) if w.isdigit() else ():
                found[i] = found.get(i, 0.0) + 1.0
    elif window.foreign and item.vector is not None:  # reports in other scripts close to it
        for i, cos in _close(item, window, near, p, window.foreign):
            if cos > 0:
                found[i] = found.get(i, 0.0) + cos * UNKNOWN
    return {i: r for i, r in found.items() if i in near}


def _close(
    item: Member, window: Window, near: _Near, p: Params, among: set[int] | None = None
) -> list[tuple[int, float]]:
    """The near members with a vector (of ``among``, if given), with their cosine to the
    item when it has one (those at ``support`` or more); all of them, at 0, when it has
    none yet."""
    pool = window.vectored if among is None else among & window.vectored
    ids = [i for i in pool if i in near]
    if item.vector is None or not ids:
        return [(i, 0.0) for i in ids]
    matrix = np.stack([window.members[i].vector for i in ids]).astype(np.float32)  # type: ignore[misc]
    sims = (matrix @ item.vector.astype(np.float32)).tolist()
    return [(i, s) for i, s in zip(ids, sims, strict=True) if s >= p.support]


def evidence(item: Member, other: Member, window: Window, p: Params) -> tuple[float, bool]:
    """Summed rarity of the title words, names and numbers one report shares with the
    other, and whether a word is among them (a number alone, "3", is no evidence)."""
    a, b = item.words, other.words
    shared = ((a.title | a.names) & (b.body | b.names)) | ((b.title | b.names) & (a.body | a.names))
    rare = {w: r for w in shared if (r := rarity(w, a.script, window, p)) > 0}
    return sum(rare.values()), any(not w.isdigit() for w in rare)


MIN_IDF_WINDOW = 300  # a smaller window says little about which words are rare
UNKNOWN = 4.0  # the rarity of a word not in the language's list (a name: Orban, TikTok)


def rarity(word: str, script: str, window: Window, p: Params) -> float:
    """How much a shared ``word`` says that two reports tell the same event: how rare it is
    in the language at large (``rare`` - its Zipf frequency: Navalny 4, Kremlin 1.6, Geneva
    1, Iran 0.4), or rare among the window's reports (0.5); 0 for a common word."""
    z = zipf(word, script)
    if z == 0.0:
        return UNKNOWN if script in ("latin", "cyrillic", "arabic") and not word.isdigit() else 1.0
    if z < p.rare:
        return min(p.rare - z, UNKNOWN)
    if len(window) >= MIN_IDF_WINDOW and window.idf(word) >= p.rare_idf:
        return 0.5
    return 0.0


def _other_event(a: Member, b: Member) -> bool:
    """Shingles in common that do not make a rewrite: titles with other numbers, or an
    outlet's two items whose titles share no word (the lead they share is a standing
    sentence of the outlet: "Listen to the latest episode...", not one story told twice)."""
    return other_numbers(a, b) or (a.feed == b.feed and not a.words.title & b.words.title)


def other_numbers(a: Member, b: Member) -> bool:
    """Both titles carry numbers and none in common: "district 3" is not "district 4" (but
    "6 found alive, 10 missing" is "10 missing")."""
    na = {w for w in a.words.title if w.isdigit()}
    nb = {w for w in b.words.title if w.isdigit()}
    return bool(na and nb and not na & nb)


def strength(item: Member, other: Member, sim: float, window: Window, p: Params) -> float:
    """How strongly ``item`` and ``other`` tell one event: their cosine, plus a bonus for the
    rare words and the place they share, minus a penalty growing with the time between them;
    0 when titles carry other numbers or nothing is shared (a similar wording is a topic)."""
    if other_numbers(item, other):
        return 0.0
    place = p.place if item.places & other.places else 0.0
    hours = abs((item.published - other.published).total_seconds()) / 3600
    late = p.late * min(hours / (p.span.total_seconds() / 3600), 1.0)
    if item.words.script != other.words.script:  # no words in common: the cosine says it
        return sim + p.link - p.sim_cross + place - late
    ev, word = evidence(item, other, window, p)
    if not word and not place:
        return 0.0
    return sim + p.bonus * min(ev, p.full) / p.full + place - late


def linked(item: Member, other: Member, sim: float, window: Window, p: Params) -> bool:
    """Does ``item`` report the same event as ``other``? An outlet's second item links only
    as an update (a stronger link): an outlet tells an event once."""
    bar = p.same_outlet if item.feed == other.feed else p.link
    return strength(item, other, sim, window, p) >= bar


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
    if any(m.feed == item.feed for m in members) and not any(
        m.feed == item.feed and linked(item, m, s, window, p)
        for m, s in zip(members, sims, strict=True)
    ):
        return None  # an outlet's item joins its own story only as an update of it
    links = [
        strength(item, m, s, window, p)
        for m, s in zip(members, sims, strict=True)
        if linked(item, m, s, window, p)
    ]
    return max(links) if links else None
