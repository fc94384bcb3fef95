"""The story rule (stories/rule.py), table-driven: which archived story a new report joins.

Sentence vectors are given per title (a unit test of the rule, not of the encoder): cosines
are set by building vectors from orthonormal axes. The real encoder is exercised in
test_stories_e2e.py and by `python -m bench stories`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from stories.clusterer import StoryClusterer, member
from stories.rule import DEFAULT
from stories.window import Member

T0 = datetime(2026, 2, 17, 12, 0, tzinfo=UTC)
DIM = 512


def axis(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    return v


def near(base: int, other: int, cos: float) -> np.ndarray:
    """A unit vector at cosine ``cos`` from axis ``base`` (leaning towards axis ``other``)."""
    return cos * axis(base) + np.sqrt(1 - cos * cos) * axis(other)


@dataclass
class Case:
    id: str
    archived: list[tuple[str, str]]  # (title, lead) already in the window, one story each
    title: str
    lead: str
    vectors: dict[str, np.ndarray]
    joins: int | None  # index into archived whose story it joins, or None
    hours: float = 1.0  # how long after the archived reports the new one is published
    places: frozenset[int] = frozenset()
    archived_places: frozenset[int] = frozenset()
    same_story: bool = False  # the archived reports are already one story
    feed: str = "other"  # the new report's outlet (the archived ones are feed0, feed1, ...)
    params: dict[str, object] = field(default_factory=dict)


NAVALNY = "Kremlin rejects claim it poisoned Navalny with dart frog toxin"
TALKS = "Iran foreign minister says progress made in nuclear talks with U.S."
LEAD = (
    "The foreign minister told reporters in Geneva that the two delegations had agreed on"
    " a set of guiding principles and would meet again within weeks to draft the text"
)

WIRE = (
    "Forty-two trucks carrying flour, fuel and winter kits crossed the Tal Rifaat checkpoint"
    " on Tuesday and reached the besieged Sheikh Maqsoud district, relief officials said,"
    " after nine days of negotiations between the two sides over inspections, the route and"
    " the number of drivers allowed through; a second convoy is expected on Friday if the"
    " crossing stays open, the officials added"
)
PODCAST = (
    "Listen to the latest episode of The World Tonight podcast on your favourite app, and"
    " sign up for our morning newsletter for the day's top stories delivered to your inbox"
)

CASES = [
    Case(
        "a-trimmed-copy-of-the-wire-under-another-headline",
        [("Aid convoy crosses front line after nine days of talks", WIRE)],
        "Relief reaches besieged Aleppo district",
        " ".join(WIRE.split()[:24]),
        {"Aid convoy": axis(0), "Relief reaches": axis(5)},
        joins=0,
    ),
    Case(
        "an-outlets-standing-sentence-is-no-copy",
        [("Council approves the new bus depot in Hillfield", PODCAST)],
        "Storm warning for the coast tonight",
        PODCAST,
        {"Council approves": axis(0), "Storm warning": axis(5)},
        joins=None,
        feed="feed0",
    ),
    Case(
        "same-title-words-copy",
        [("Peru's Congress removes interim President Jeri", "")],
        "Peru's Congress removes interim President Jeri!",
        "",
        {},
        joins=0,
    ),
    Case(
        "rewrite-of-the-lead-under-a-new-headline",
        [("Delegations agree on guiding principles", LEAD)],
        "Progress at the table, minister says",
        LEAD,
        {},
        joins=0,
    ),
    Case(
        "same-event-shared-rare-names",
        [(NAVALNY, "")],
        "Navalny's mother calls for justice as Kremlin denies frog poison claim",
        "",
        {NAVALNY: axis(0), "Navalny's mother calls": near(0, 1, 0.8)},
        joins=0,
    ),
    Case(
        "same-topic-common-words-two-days-apart-stays-apart",
        [(TALKS, "")],
        "Iran and US hold second round of nuclear talks",
        "",
        {TALKS: axis(0), "Iran and US hold": near(0, 1, 0.78)},
        joins=None,
        hours=40,
    ),
    Case(
        "same-round-of-talks-the-same-day-joins",
        [(TALKS, "")],
        "Iran and US hold second round of nuclear talks",
        "",
        {TALKS: axis(0), "Iran and US hold": near(0, 1, 0.78)},
        joins=0,
        hours=3,
    ),
    Case(
        "similar-wording-and-common-words-only-stays-apart",
        [(TALKS, "")],
        "Iran and US hold second round of nuclear talks",
        "",
        {TALKS: axis(0), "Iran and US hold": near(0, 1, 0.7)},
        joins=None,
        hours=3,
    ),
    Case(
        "a-number-in-common-is-no-other-event",
        [("Rescuers search for 10 missing skiers after California avalanche", "")],
        "6 backcountry skiers found alive, 10 missing after northern California avalanche",
        "",
        {"Rescuers search": axis(0), "6 backcountry": near(0, 1, 0.81)},
        joins=0,
    ),
    Case(
        "other-numbers-are-another-event",
        [("Rescuers search for 10 missing skiers after California avalanche", "")],
        "Rescuers search for 4 missing skiers after Colorado avalanche",
        "",
        {"Rescuers search for 10": axis(0), "Rescuers search for 4": near(0, 1, 0.95)},
        joins=None,
    ),
    Case(
        "shared-place-and-close-wording-joins",
        [("Aid convoy reaches besieged district after nine days", "")],
        "Trucks finally enter the besieged district",
        "",
        {"Aid convoy reaches": axis(0), "Trucks finally enter": near(0, 1, 0.85)},
        joins=0,
        places=frozenset({170063}),
        archived_places=frozenset({170063}),
    ),
    Case(
        "same-outlet-another-item-stays-apart",
        [("Aid convoy reaches besieged district after nine days", "")],
        "Trucks finally enter the besieged district",
        "",
        {"Aid convoy reaches": axis(0), "Trucks finally enter": near(0, 1, 0.8)},
        joins=None,
        places=frozenset({170063}),
        archived_places=frozenset({170063}),
        feed="feed0",
    ),
    Case(
        "same-outlet-update-of-its-report-joins",
        [("Bobsledder Elana Meyers Taylor, 41, wins gold in 5th Olympic appearance", "")],
        "Bobsledder Elana Meyers Taylor captures gold, her sixth Olympic medal overall",
        "",
        {
            "Bobsledder Elana Meyers Taylor,": axis(0),
            "Bobsledder Elana Meyers Taylor capt": near(0, 1, 0.8),
        },
        joins=0,
        feed="feed0",
    ),
    Case(
        "shared-place-but-another-event-stays-apart",
        [("Aid convoy reaches besieged district after nine days", "")],
        "City council approves new budget",
        "",
        {"Aid convoy reaches": axis(0), "City council approves": near(0, 1, 0.3)},
        joins=None,
        places=frozenset({170063}),
        archived_places=frozenset({170063}),
    ),
    Case(
        "arabic-report-of-the-same-event",
        [("Peru's Congress removes interim President Jeri", "")],
        "الكونغرس في بيرو يعزل الرئيس المؤقت خوسيه خيري",
        "",
        {"Peru's Congress": axis(0), "الكونغرس في بيرو": near(0, 1, 0.75)},
        joins=0,
        places=frozenset({3932488}),
        archived_places=frozenset({3932488}),
    ),
    Case(
        "arabic-report-sharing-a-number",
        [("Drone attack on Sudan market kills 28", "")],
        "مقتل ٢٨ شخصاً في هجوم بطائرة مسيّرة على سوق في السودان",
        "",
        {"Drone attack": axis(0), "مقتل": near(0, 1, 0.7)},
        joins=0,
    ),
    Case(
        "russian-report-of-another-event-stays-apart",
        [("Peru's Congress removes interim President Jeri", "")],
        "Сборная Перу по футболу сменила главного тренера",
        "",
        {"Peru's Congress": axis(0), "Сборная Перу": near(0, 1, 0.45)},
        joins=None,
    ),
    Case(
        "outside-the-time-window-stays-apart",
        [("Peru's Congress removes interim President Jeri", "")],
        "Peru's Congress removes interim President Jeri",
        "",
        {},
        joins=None,
        hours=24 * 3,
    ),
    Case(
        "a-full-story-still-takes-a-copy",
        [("Peru's Congress removes interim President Jeri", "")],
        "Peru's Congress removes interim President Jeri",
        "",
        {},
        joins=0,
        params={"cap": 1},
    ),
    Case(
        "a-full-story-still-takes-a-rewrite",
        [("Delegations agree on guiding principles", LEAD)],
        "Progress at the table, minister says",
        LEAD,
        {},
        joins=0,
        params={"cap": 1},
    ),
    Case(
        "a-full-story-takes-no-report-by-likeness",
        [(NAVALNY, "")],
        "Navalny's mother calls for justice as Kremlin denies frog poison claim",
        "",
        {NAVALNY: axis(0), "Navalny's mother calls": near(0, 1, 0.8)},
        joins=None,
        params={"cap": 1},
    ),
    Case(
        "linked-to-one-member-but-not-the-story-chaining-guard",
        [
            ("Kremlin rejects Navalny poisoning finding", ""),
            ("Navalny widow Yulia Navalnaya speaks in Munich", ""),
            ("Navalny supporters rally at Munich memorial", ""),
        ],
        "Kremlin spokesman Peskov rejects Navalny claim",
        "",
        {
            "Kremlin rejects": axis(0),
            "Navalny widow": axis(2),
            "Navalny supporters": axis(3),
            "Kremlin spokesman": near(0, 1, 0.9),
        },
        joins=None,
        same_story=True,
    ),
]


def _encoder(vectors: dict[str, np.ndarray]):
    def encode(texts):
        out = []
        for t in texts:
            match = [v for k, v in vectors.items() if t.startswith(k)]
            out.append(match[0] if match else axis(hash(t) % 400 + 100))
        return np.stack(out).astype(np.float16)

    return encode


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    params = replace(DEFAULT, **case.params)  # type: ignore[arg-type]
    c = StoryClusterer(params, encode=_encoder(case.vectors))
    archived = [
        member(
            i + 1, 1 if case.same_story else i + 1, t, lead, T0, f"feed{i}", case.archived_places
        )
        for i, (t, lead) in enumerate(case.archived)
    ]
    for m in archived:
        c.window.add(m)
    new = member(
        99, 99, case.title, case.lead, T0 + timedelta(hours=case.hours), case.feed, case.places
    )
    joined = c.cluster([new])[99]
    expected = 99 if case.joins is None else archived[case.joins].story
    assert joined == expected


def test_a_rolled_back_transaction_leaves_no_member_behind() -> None:
    c = StoryClusterer(encode=_encoder({}))
    c.window.add(member(1, 1, "Peru's Congress removes interim President Jeri", "", T0, "a"))

    class Store:
        def window_rows(self, since, processed_since=""):
            return []

        def story_of(self, article_id):
            return article_id

    from models import Article

    art = Article(2, "u", "Peru's Congress removes interim President Jeri", "", "", T0, "b")
    c.begin(Store(), T0)
    assert c.assign(Store(), art, "", frozenset()) == 1
    c.end(ok=False)
    assert set(c.window.members) == {1}


def test_a_report_in_another_script_finds_its_story_among_many() -> None:
    """An Arabic report shares no words with the English ones: its candidates are the
    stories closest to it, not the first few of the window (here 30 stories, one of them
    the same event)."""
    titles = [f"Council {i} approves budget for district {i}" for i in range(30)]
    vectors = {t: axis(i) for i, t in enumerate(titles)}
    arabic = "قافلة مساعدات تصل إلى حي محاصر في حلب"
    vectors[arabic] = near(17, 40, 0.75)
    c = StoryClusterer(encode=_encoder(vectors))
    for i, t in enumerate(titles):
        m = member(i + 1, i + 1, t, "", T0, f"feed{i}")
        c.vectorize([m])
        c.window.add(m)
    new = member(99, 99, arabic, "", T0 + timedelta(hours=1), "arabic")
    assert c.cluster([new])[99] == 18


FROG_A = "Kremlin rejects claim it poisoned Navalny with dart frog toxin"
FROG_B = "Navalny frog poison was lab-made, say five European governments"
FROG_C = "Kremlin denies Navalny frog toxin claim made by five governments"


def _two_stories_and_a_bridge(cos_ab: float) -> tuple[StoryClusterer, Member]:
    """Stories 1 (feed0) and 2 (feed1) of one event, at cosine ``cos_ab`` from each other,
    and a third outlet's report halfway between them (close to both)."""
    a, b = axis(0), near(0, 1, cos_ab)
    bridge = (a + b) / np.linalg.norm(a + b)
    c = StoryClusterer(encode=_encoder({FROG_A: a, FROG_B: b, FROG_C: bridge}))
    for i, title in enumerate((FROG_A, FROG_B)):
        m = member(i + 1, i + 1, title, "", T0, f"feed{i}")
        c.vectorize([m])
        c.window.add(m)
    return c, member(99, 99, FROG_C, "", T0 + timedelta(hours=1), "feed2")


def test_a_report_bridging_two_stories_of_one_event_merges_them() -> None:
    """Two outlets' reports of one event that started two stories (each came before the
    words that tie them did) are one story once a third report links strongly to both and
    the two are themselves linked: the older story takes the newer one's members."""
    c, bridge = _two_stories_and_a_bridge(0.8)
    assert c.cluster([bridge]) == {99: 1}
    assert {m.id: m.story for m in c.window.members.values()} == {1: 1, 2: 1, 99: 1}
    assert c.merged == {2: 1} and c.survivor(2) == 1


def test_a_report_alone_between_two_stories_merges_nothing() -> None:
    """A report close to two stories that are not linked to each other (a round-up of two
    events) joins one of them; it is not the bridge that would chain them."""
    c, bridge = _two_stories_and_a_bridge(0.3)
    assert c.cluster([bridge])[99] in (1, 2)
    assert {c.window.members[i].story for i in (1, 2)} == {1, 2} and c.merged == {}


def test_a_rolled_back_merge_is_undone_in_the_window() -> None:
    c, bridge = _two_stories_and_a_bridge(0.8)
    merged: list[tuple[int, int]] = []

    class Store:
        def window_rows(self, since, processed_since=""):
            return []

        def merges_since(self, at):
            return []

        def story_of(self, article_id):
            return article_id

        def merge_story(self, story, into, now):
            merged.append((story, into))

    from models import Article

    art = Article(99, "u", FROG_C, "", "", bridge.published, "feed2")
    c.begin(Store(), T0)
    assert c.assign(Store(), art, "", frozenset()) == 1 and merged == [(2, 1)]
    c.end(ok=False)
    assert {m.id: m.story for m in c.window.members.values()} == {1: 1, 2: 2}


def test_an_english_report_finds_the_arabic_report_that_came_first() -> None:
    """An Arabic outlet often reports an Aleppo event first: the English reports that follow
    share no words with it, so only their cosine makes it a candidate (before, only a report
    in another script than Latin looked for candidates by cosine: the Arabic story stayed
    apart and a watch alerted twice)."""
    arabic = "قافلة مساعدات تصل إلى حي محاصر في حلب"
    english = "Aid convoy reaches besieged district after nine days of talks"
    unrelated = "Council approves the new bus depot in Hillfield"
    vectors = {arabic: axis(0), english: near(0, 1, 0.75), unrelated: axis(2)}
    c = StoryClusterer(encode=_encoder(vectors))
    first = member(1, 1, arabic, "", T0, "aljazeera-ar")
    c.vectorize([first])
    c.window.add(first)
    later = T0 + timedelta(hours=1)
    got = c.cluster(
        [member(2, 2, english, "", later, "dw"), member(3, 3, unrelated, "", later, "x")]
    )
    assert got == {2: 1, 3: 3}
