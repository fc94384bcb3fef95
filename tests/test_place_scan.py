"""place:NAME for any gazetteer place: places no watch covered are resolved at search time
(storage.place_scan) in the articles naming them; real SQLite file, real gazetteer, real
sentences in English and Arabic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from archiving import archive_texts

from matching.compiler import compile_rules
from matching.places import Gazetteer
from matching.rules import Ruleset
from settings import WatchSettings
from storage import Store, place_scan
from storage.search import search

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAMASCUS = 170654

DOCS = [
    (
        "Inspectors arrive in Damascus",
        "A team of inspectors arrived in Damascus on Monday, the Syrian foreign ministry said.",
    ),
    ("وفد أممي يصل إلى العاصمة", "وقال مسؤول بدمشق إن الوفد سيبقى أسبوعاً."),
    (
        "Paris, Tenn., council approves budget",
        "The Henry County seat will repave two streets in Paris next spring.",
    ),
    ("Fashion week opens", "Designers gathered in Paris, France, for the spring shows."),
    ("Roadworks close Damascus Road", "Crews will resurface Damascus Road in Gaithersburg."),
    ("Aleppo pepper butter", "Stir the Aleppo pepper into soft butter."),
    ("قصف على حلب", "استمر القصف على حلب طوال الليل."),
]


@pytest.fixture(scope="module")
def rules(gazetteer: Gazetteer) -> Ruleset:
    return compile_rules([WatchSettings(name="aleppo", locations=["Aleppo"])], gazetteer)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, rules: Ruleset):
    pg = request.param == "postgresql"
    target = request.getfixturevalue("pg_url") if pg else tmp_path / "a.db"
    s = archive_texts(target, rules, DOCS, NOW)
    yield s
    s.close()


UNWATCHED = [
    pytest.param(
        "place:Damascus",
        ["Inspectors arrive in Damascus", "وفد أممي يصل إلى العاصمة"],
        id="unwatched-city-both-scripts",
    ),
    pytest.param(
        "place:دمشق",
        ["Inspectors arrive in Damascus", "وفد أممي يصل إلى العاصمة"],
        id="arabic-name",
    ),
    pytest.param("place:Damascus ministry", ["Inspectors arrive in Damascus"], id="with-words"),
    pytest.param(
        'place:"Paris, US-TN"', ["Paris, Tenn., council approves budget"], id="namesake-small"
    ),
    pytest.param("place:Paris", ["Fashion week opens"], id="namesake-big"),
    pytest.param(
        "place:Gaithersburg", ["Roadworks close Damascus Road"], id="feature-word-is-another-name"
    ),
    pytest.param("place:Aleppo", ["قصف على حلب"], id="watched-unchanged"),
]


@pytest.mark.parametrize(("query", "titles"), UNWATCHED)
def test_place_term_on_any_place(store: Store, query: str, titles: list[str]) -> None:
    hits = search(store.db, query, order="newest")
    assert [h.title for h in hits] == titles


def test_snippet_marks_the_name_as_written(store: Store) -> None:
    english, arabic = search(store.db, "place:Damascus", order="newest")
    assert "[Damascus]" in english.snippet and "دمشق" in arabic.snippet


def test_capped_scan_says_so(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = [h.title for h in search(store.db, "place:Damascus")]
    monkeypatch.setattr(place_scan, "SCAN_LIMIT", 2)  # three articles name Damascus
    notes: list[str] = []
    capped = [h.title for h in search(store.db, "place:Damascus", notes=notes)]
    assert len(capped) <= 2 and set(capped) <= set(everything) and len(everything) == 2
    assert notes == [
        "place:Damascus, SY: resolved at search time in the newest 2 articles naming it;"
        " add words or dates to reach older ones"
    ]
    assert search(store.db, "place:Paris", notes=(quiet := [])) and quiet == []


def test_storage_functions_for_an_unwatched_place(store: Store) -> None:
    rows = store.articles_for_place(DAMASCUS)
    assert [(r["title"], r["written"]) for r in rows] == [
        ("Inspectors arrive in Damascus", "Damascus"),
        ("وفد أممي يصل إلى العاصمة", "دمشق"),
    ]
    summary = store.place_summary(DAMASCUS)
    assert summary is not None and summary.articles == 2 and summary.label == "Damascus, SY"
    assert store.place_summary(2988507 + 10**9) is None  # no such place
