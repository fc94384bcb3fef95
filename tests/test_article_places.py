"""What articles' mentions resolved to: article_places, articles_for_place, place:NAME in
search and in watch queries, for watched places and for any other (resolved at search time,
storage.place_scan). Real SQLite file and PostgreSQL schema, real gazetteer, real sentences
in English and Arabic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from archiving import archive_texts

from errors import QueryError
from matching.compiler import compile_rules
from matching.places import Gazetteer
from matching.rules import Ruleset
from models import Article
from settings import WatchSettings
from storage import Store, place_scan
from storage.search import search, split_places

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALEPPO, TADMUR, DAMASCUS = 170063, 163808, 170654

DOCS = [
    ("قصف عنيف على حلب", "قال ناشطون إن القصف استمر طوال الليل على الأحياء الشرقية في حلب."),
    ("Recipe: hummus with Aleppo pepper", "Sprinkle Aleppo pepper flakes over the hummus."),
    ("Museum reopens in Palmyra", "Curators returned to Palmyra, Syria, on Sunday."),
    ("Palmyra, N.Y., village board approves budget", "The board met on Monday."),
    # no watch covers these places: place: terms resolve them at search time
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
]
DAMASCUS_TITLES = ["Inspectors arrive in Damascus", "وفد أممي يصل إلى العاصمة"]


@pytest.fixture(scope="module")
def rules(gazetteer: Gazetteer) -> Ruleset:
    watches = [
        WatchSettings(name="syria", locations=["Aleppo", "Palmyra"]),
        WatchSettings(name="q-aleppo", query="place:Aleppo"),
        WatchSettings(name="q-ny", query='place:"Palmyra, US-NY" budget'),
    ]
    return compile_rules(watches, gazetteer)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, rules: Ruleset):
    pg = request.param == "postgresql"
    target = request.getfixturevalue("pg_url") if pg else tmp_path / "a.db"
    s = archive_texts(target, rules, DOCS, NOW)
    yield s
    s.close()


def test_articles_for_place_lists_the_arabic_article(store: Store) -> None:
    rows = store.articles_for_place(ALEPPO)
    assert [r["title"] for r in rows] == ["قصف عنيف على حلب"]
    assert rows[0]["mentions"] == 2 and rows[0]["written"] == "حلب"


def test_places_of_article_and_counts(store: Store) -> None:
    museum = store.articles_for_place(TADMUR)
    assert [r["title"] for r in museum] == ["Museum reopens in Palmyra"]
    places = store.places_of_article(museum[0]["id"])
    assert [(p["geonameid"], p["mentions"]) for p in places] == [(TADMUR, 2)]
    counts = {r["geonameid"]: r["articles"] for r in store.place_article_counts()}
    assert counts[ALEPPO] == 1 and counts[TADMUR] == 1


SEARCHES = [
    pytest.param("place:Aleppo", ["قصف عنيف على حلب"], id="latin-name"),
    pytest.param("place:حلب", ["قصف عنيف على حلب"], id="arabic-name"),
    pytest.param("place:Palmyra museum", ["Museum reopens in Palmyra"], id="with-words"),
    pytest.param(
        'place:"Palmyra, US-NY"', ["Palmyra, N.Y., village board approves budget"], id="pinned"
    ),
    pytest.param("pepper", ["Recipe: hummus with Aleppo pepper"], id="word-search-unchanged"),
    pytest.param("place:Damascus", DAMASCUS_TITLES, id="unwatched-city-both-scripts"),
    pytest.param("place:دمشق", DAMASCUS_TITLES, id="unwatched-arabic-name"),
    pytest.param("place:Damascus ministry", DAMASCUS_TITLES[:1], id="unwatched-with-words"),
    pytest.param(
        'place:"Paris, US-TN"', ["Paris, Tenn., council approves budget"], id="unwatched-namesake"
    ),
    pytest.param("place:Paris", ["Fashion week opens"], id="unwatched-prominent-namesake"),
    pytest.param("place:Gaithersburg", ["Roadworks close Damascus Road"], id="road-is-no-town"),
]


@pytest.mark.parametrize(("query", "titles"), SEARCHES)
def test_search_place_filter(store: Store, query: str, titles: list[str]) -> None:
    assert sorted(h.title for h in search(store.db, query)) == sorted(titles)


def test_snippet_marks_the_name_as_written(store: Store) -> None:
    english, arabic = search(store.db, "place:Damascus", order="newest")
    assert "[Damascus]" in english.snippet and "دمشق" in arabic.snippet


def test_capped_scan_says_so(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(place_scan, "SCAN_LIMIT", 2)  # three articles name Damascus
    notes: list[str] = []
    capped = [h.title for h in search(store.db, "place:Damascus", notes=notes)]
    assert len(capped) <= 2 and set(capped) <= set(DAMASCUS_TITLES)
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
    assert store.place_summary(10**9) is None  # no such place


def test_search_place_unknown_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError, match="Qxzzyville"):
        search(store.db, "place:Qxzzyville")
    with pytest.raises(QueryError, match="filter"):
        split_places("budget OR place:Aleppo")


QUERY_WATCHES = [
    ("arabic-mention", "قصف عنيف على حلب", "q-aleppo", True),
    ("pepper-is-no-place", "Sprinkle Aleppo pepper flakes over the hummus", "q-aleppo", False),
    ("pinned-namesake", "Palmyra, N.Y., village board approves budget", "q-ny", True),
    ("pinned-not-syria", "Palmyra, Syria: the budget for restoration", "q-ny", False),
]


@pytest.mark.parametrize(
    ("title", "watch", "fires"), [c[1:] for c in QUERY_WATCHES], ids=[c[0] for c in QUERY_WATCHES]
)
def test_place_term_in_watch_query(rules: Ruleset, title: str, watch: str, fires: bool) -> None:
    a = Article(1, "u", title, "", "", NOW, "f")
    assert (watch in {m.watch for m in rules.match(a)}) is fires
