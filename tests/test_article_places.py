"""What articles' mentions resolved to: article_places, articles_for_place, place:NAME in
search and in watch queries (real SQLite file, real gazetteer, real sentences)."""

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
from storage import Store
from storage.search import search, split_places

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALEPPO, TADMUR = 170063, 163808

DOCS = [
    ("قصف عنيف على حلب", "قال ناشطون إن القصف استمر طوال الليل على الأحياء الشرقية في حلب."),
    ("Recipe: hummus with Aleppo pepper", "Sprinkle Aleppo pepper flakes over the hummus."),
    ("Museum reopens in Palmyra", "Curators returned to Palmyra, Syria, on Sunday."),
    ("Palmyra, N.Y., village board approves budget", "The board met on Monday."),
]


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
]


@pytest.mark.parametrize(("query", "titles"), SEARCHES)
def test_search_place_filter(store: Store, query: str, titles: list[str]) -> None:
    assert [h.title for h in search(store.db, query)] == titles


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
