"""matching.persons: a place's name used as a person's is no place (table-driven, real-looking
sentences); the same names stay places where no person is meant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matching import persons
from matching.compiler import compile_rules
from matching.places import Gazetteer
from matching.rules import Ruleset
from models import Article
from settings import WatchSettings

WATCHES = {
    "paris": "Paris, France",
    "jordan": "Jordan",
    "london": "London, GB",
    "washington": "Washington, US-DC",
    "jackson": "Jackson, US-MS",
    "lincoln": "Lincoln, US-NE",
    "dover": "Dover, US-DE",
    "georgia": "Georgia",
}


@pytest.fixture(scope="module")
def rules(gazetteer: Gazetteer) -> Ruleset:
    watches = [WatchSettings(name=n, locations=[spec]) for n, spec in WATCHES.items()]
    return compile_rules(watches, gazetteer)


def fired(rules: Ruleset, title: str) -> set[str]:
    a = Article(1, "u", title, "", "", datetime(2026, 1, 1, tzinfo=UTC), "f")
    return {m.watch for m in rules.match(a)}


CASES = [
    # (id, title, the watch that must not fire, or "" when it must)
    ("given-name-then-surname", "Paris Hilton to host charity gala in Nashville", "paris"),
    ("given-name-then-surname-2", "Jordan Peterson speaks at the Ryman on Friday", "jordan"),
    ("given-name-before", "Jack London's cabin opens to visitors in Oakland", "london"),
    ("given-name-before-2", "Denzel Washington films new movie in Atlanta", "washington"),
    ("middle-initial", "A school named for Andrew J. Jackson reopens", "jackson"),
    ("title-before", "Coach Jackson said the Tigers played hard", "jackson"),
    ("abbreviated-title", "Sen. Lincoln's bill would fund rural hospitals", "lincoln"),
    ("title-then-given-name", "Mayor London Breed visits the Mission", "london"),
]
PLACES = [
    # (id, title, the watch that fires)
    ("place-then-institution", "Paris Police Arrest Two After Chase", "paris"),
    ("place-then-landmark", "London Bridge closed after crash", "london"),
    ("place-then-organisation", "Georgia Tech beats Clemson", "georgia"),
    ("person-and-place", "President Lincoln's statue unveiled in Lincoln", "lincoln"),
    ("possessive-country", "Jordan's king meets Egypt's president", "jordan"),
    ("place-after-a-person", "John F. Kennedy once visited Dover", "dover"),
    ("dateline-before-a-title", "LONDON Pope Francis prayed for the sick baby", "london"),
    ("arabic-uncased", "مظاهرات في باريس بعد الحكم", "paris"),
]


@pytest.mark.parametrize(("title", "watch"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_persons_name_is_no_place(rules: Ruleset, title: str, watch: str) -> None:
    assert watch not in fired(rules, title)


@pytest.mark.parametrize(("title", "watch"), [c[1:] for c in PLACES], ids=[c[0] for c in PLACES])
def test_the_place_stays_a_place(rules: Ruleset, title: str, watch: str) -> None:
    assert watch in fired(rules, title)


def test_the_explanation_names_the_person_rule(rules: Ruleset) -> None:
    a = Article(1, "u", "Paris Hilton opens a hotel", "", "", datetime(2026, 1, 1, tzinfo=UTC), "f")
    why = [r[4] for r in rules.rejected(a) if r[0] == "paris"]
    assert why and "surname 'Hilton'" in why[0]


def test_a_place_of_note_before_a_name_is_no_given_name() -> None:
    text = "Flights from Austin Texas resumed"
    start = text.index("Texas")
    assert persons.person(text, start, start + 5) is not None  # Austin: a given name
    assert persons.person(text, start, start + 5, lambda key: key == "austin") is None
