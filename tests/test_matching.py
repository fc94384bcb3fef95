"""matching.rules: which watches fire on which articles (table-driven, real news-like sentences)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errors import PlaceError, QueryError
from matching.compiler import compile_rules
from matching.forms import word_forms
from matching.normalize import fold
from matching.places import Gazetteer
from matching.rules import Ruleset
from models import Article
from settings import WatchSettings

FIXTURE = "fixtures/000_43027f84b8114d6d.txt"


WATCHES = [
    WatchSettings(name="graves", keywords=["mass grave"]),
    WatchSettings(name="aleppo", locations=["Aleppo"]),
    WatchSettings(name="palmyra", locations=["Palmyra"]),
    WatchSettings(name="ru", keywords=["Алеппо"]),
    WatchSettings(name="chemical", keywords=["chemical attack"], locations=["Aleppo", "Idlib"]),
    WatchSettings(name="evac", query="(Aleppo OR Halab) evacuat* NOT ceasefire"),
    WatchSettings(name="near", query='NEAR(rebels Aleppo, 5) OR "barrel bomb"'),
    WatchSettings(name="bbc-only", keywords=["airstrike"], feeds=["BBC"]),
    WatchSettings(name="army-ar", keywords=["جيش سوري"]),
    WatchSettings(name="army-ar-def", keywords=["الجيش السوري"]),
]


@pytest.fixture(scope="session")
def rules(gazetteer: Gazetteer) -> Ruleset:
    return compile_rules(WATCHES, gazetteer)


def article(title: str, text: str = "", summary: str = "") -> Article:
    return Article(
        1, "https://example.org/a", title, summary, text, datetime(2024, 1, 1, tzinfo=UTC), "feed"
    )


def fired(rules: Ruleset, title: str, text: str = "", feeds: tuple[str, ...] = ()) -> set[str]:
    return {m.watch for m in rules.match(article(title, text), feeds)}


CASES = [
    # keywords: words, plurals, possessives, line breaks, case, accents
    ("kw-plural", "Mass graves found near the city", "graves", True),
    ("kw-possessive", "Investigators reach the mass grave's edge", "graves", True),
    ("kw-linebreak", "Officials said a mass\n   grave was uncovered", "graves", True),
    ("kw-not-substring", "A massive gravel pit collapsed", "graves", False),
    ("kw-not-prefix", "The massgrave hashtag trended", "graves", False),
    ("kw-cyrillic", "Бои в АЛЕППО продолжаются", "ru", True),
    # Aleppo under its many names
    ("aleppo-caps", "ALEPPO, Syria (AP) — Shelling resumed", "aleppo", True),
    ("aleppo-french", "Les bombardements reprennent sur Alep", "aleppo", True),
    ("aleppo-halab-accent", "Residents of Ḥalab fled east", "aleppo", True),
    ("aleppo-arabic", "قصف عنيف على حلب الليلة الماضية", "aleppo", True),
    ("aleppo-arabic-wa", "اشتباكات في إدلب وحلب", "aleppo", True),
    ("aleppo-arabic-bi", "غارات جوية بحلب", "aleppo", True),
    ("aleppo-arabic-harakat", "قصف على حَلَب", "aleppo", True),
    ("aleppo-possessive", "Aleppo's old city lies in ruins", "aleppo", True),
    ("aleppo-governorate", "Fighting spread across Aleppo Governorate", "aleppo", True),
    ("aleppo-pepper", "Sprinkle Aleppo pepper flakes over the hummus", "aleppo", False),
    ("aleppo-soap", "Handmade Aleppo soap is sold in the souk of Paris", "aleppo", False),
    ("aleppo-pine", "The Aleppo pine forests burned in Greece", "aleppo", False),
    ("aleppo-berea", "Berea College in Kentucky announced new scholarships", "aleppo", False),
    ("aleppo-lowercase-word", "the aleppo style of cooking", "aleppo", False),
    # Palmyra: Tadmur, SY, and its homonyms
    ("palmyra-tadmur", "Troops advance on Tadmur", "palmyra", True),
    ("palmyra-arabic", "الجيش السوري يستعيد تدمر", "palmyra", True),
    ("palmyra-arabic-proclitic", "معارك عنيفة بتدمر", "palmyra", True),
    (
        "palmyra-syria",
        "Islamic State fighters re-entered Palmyra, Syria, on Sunday",
        "palmyra",
        True,
    ),
    ("palmyra-homs", "Palmyra fell again as troops regrouped in Homs, Syria", "palmyra", True),
    ("palmyra-bare", "The ruins of Palmyra were damaged", "palmyra", True),
    ("palmyra-ny", "Palmyra, N.Y., village board approves budget", "palmyra", False),
    ("palmyra-new-york", "The Palmyra, New York, fire department held a parade", "palmyra", False),
    ("palmyra-pa", "Palmyra, Pa., school district raises taxes", "palmyra", False),
    ("palmyra-pennsylvania", "Palmyra, Pennsylvania officials approved the plan", "palmyra", False),
    ("palmyra-atoll", "Scientists survey the reefs of Palmyra Atoll", "palmyra", False),
    ("palmyra-township", "Palmyra Township trustees met on Monday", "palmyra", False),
    ("palmyra-new", "New Palmyra residents protest", "palmyra", False),
    ("palmyra-palm", "The Palmyra palm yields sweet sap", "palmyra", False),
    ("palmyra-high-school", "Palmyra High School football team wins again", "palmyra", False),
    ("palmyra-russian-accusative", "Боевики вошли в Пальмиру ночью", "palmyra", True),
    ("palmyra-russian-genitive", "Бои у Пальмиры продолжаются", "palmyra", True),
    ("palmyra-russian-adjective", "Пальмирская культура", "palmyra", False),
    (
        "palmyra-nj-neighbours",
        "Police in Palmyra arrested a man wanted in Cinnaminson and Riverton, New Jersey",
        "palmyra",
        False,
    ),
    (
        "palmyra-lebanon-county",
        "Palmyra borough council met; Hershey and Lebanon County officials attended",
        "palmyra",
        False,
    ),
    # Arabic phrases: the article on every word (adjectives agree), or on none
    ("ar-definite-every-word", "تقدم الجيش السوري نحو المدينة", "army-ar", True),
    ("ar-definite-with-wa", "وقال والجيش السوري يتقدم", "army-ar", True),
    ("ar-indefinite", "انتشار جيش سوري على الحدود", "army-ar-def", True),
    ("ar-other-adjective", "تقدم الجيش اللبناني نحو المدينة", "army-ar", False),
    # location AND keyword
    ("and-both", "Chemical attack reported in Idlib province", "chemical", True),
    ("and-keyword-only", "Chemical attack reported in Salisbury", "chemical", False),
    ("and-location-only", "Shelling reported in Idlib", "chemical", False),
    # queries
    ("q-prefix-and", "Evacuations from Aleppo resume", "evac", True),
    ("q-alias-term", "Halab evacuation begins", "evac", True),
    ("q-not", "Aleppo evacuation halted as ceasefire collapses", "evac", False),
    ("q-near", "Rebels shelled western Aleppo overnight", "near", True),
    (
        "q-near-far",
        "Rebels said on Monday that after weeks of talks and many delays the city of Aleppo",
        "near",
        False,
    ),
    ("q-phrase", "A barrel bomb hit the market", "near", True),
    ("q-phrase-order", "A bomb barrel hit the market", "near", False),
]


@pytest.mark.parametrize(
    ("title", "watch", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_watch_fires(rules: Ruleset, title: str, watch: str, expected: bool) -> None:
    assert (watch in fired(rules, title)) is expected


def test_offsets_slice_the_field(rules: Ruleset) -> None:
    a = article("Update", text="Intro.\n\nShelling hit ALEPPO's east; Mass\n graves found.")
    matches = rules.match(a)
    assert {m.watch for m in matches} >= {"aleppo", "graves"}
    for m in matches:
        assert getattr(a, m.field)[m.start : m.end] == m.text
        assert m.field == "text" and "\n" not in m.snippet
    loc = next(m for m in matches if m.kind == "location")
    assert loc.text == "ALEPPO" and loc.place is not None and loc.place.geonameid == 170063
    kw = next(m for m in matches if m.kind == "keyword")
    assert kw.text == "Mass\n graves" and kw.term == "mass grave"


def test_matches_in_title_summary_and_text(rules: Ruleset) -> None:
    a = Article(1, "u", "Aleppo", "mass grave", "Tadmur", datetime(2024, 1, 1, tzinfo=UTC), "f")
    assert {(m.watch, m.field) for m in rules.match(a)} >= {
        ("aleppo", "title"),
        ("graves", "summary"),
        ("palmyra", "text"),
    }


@pytest.mark.parametrize(
    ("feeds", "expected"),
    [((), True), (("BBC",), True), (("BBC", "CNN"), True), (("CNN",), False)],
    ids=["unknown-feeds", "listed", "one-of-several", "other-feed"],
)
def test_feed_filter(rules: Ruleset, feeds: tuple[str, ...], expected: bool) -> None:
    assert ("bbc-only" in fired(rules, "Airstrike on a hospital", feeds=feeds)) is expected


def test_query_only_not_fires_with_a_record(gazetteer: Gazetteer) -> None:
    rs = compile_rules([WatchSettings(name="no-sport", query="NOT football")])
    assert [m.kind for m in rs.match(article("Budget passes"))] == ["query"]
    assert rs.match(article("Football scores")) == []


def test_empty_watch_never_fires() -> None:
    rs = compile_rules([WatchSettings(name="empty")])
    assert rs.match(article("Anything at all")) == []
    assert rs.watch_names == ["empty"]


def test_fixture_article_fires_aleppo_and_palmyra(rules: Ruleset, shared_dir: Path) -> None:
    text = (shared_dir / FIXTURE).read_text(encoding="utf-8")
    matches = rules.match(article("Syria, Russia pound rebel-held Aleppo", text))
    by_watch = {m.watch for m in matches}
    assert {"aleppo", "palmyra", "graves"} <= by_watch
    palmyra = [m for m in matches if m.watch == "palmyra"]
    assert palmyra and all(
        m.text == "Palmyra" and m.place and m.place.country_code == "SY" for m in palmyra
    )


def test_describe_names_watches_terms_and_places(rules: Ruleset) -> None:
    lines = "\n".join(rules.describe())
    assert "Aleppo -> Aleppo, SY (geonames:170063, 36.20, 37.16), aliases: " in lines
    assert "Palmyra -> Tadmur, SY (geonames:163808" in lines and "تدمر" in lines
    assert "keywords: mass grave" in lines and "query: (Aleppo OR Halab)" in lines


def test_query_error_names_watch_and_position() -> None:
    with pytest.raises(QueryError) as info:
        compile_rules([WatchSettings(name="bad", query="aleppo AND (evacuation")])
    assert "'bad'" in info.value.message and info.value.position == 22


def test_place_error_names_watch_and_location(gazetteer: Gazetteer) -> None:
    with pytest.raises(PlaceError) as info:
        compile_rules([WatchSettings(name="w", locations=["Qxzzyville"])], gazetteer)
    assert "'w'" in info.value.message and "Qxzzyville" in info.value.message


def test_ten_thousand_watches_compile_into_one_automaton() -> None:
    watches = [WatchSettings(name=f"w{i}", keywords=[f"term{i} alpha"]) for i in range(10_000)]
    rs = compile_rules(watches)
    assert fired(rs, "News about term9999 alpha and TERM17 Alpha") == {"w9999", "w17"}


@pytest.mark.parametrize(
    ("term", "forms"),
    [
        ("mass grave", ["mass grave", "mass graves", "mass gravees"]),
        ("city", ["city", "citys", "cityes", "cities"]),
        ("حلب", ["حلب"]),
        ("الجيش السوري", ["الجيش السوري", "جيش سوري", "جيش السوري"]),
    ],
    ids=["phrase", "y-plural", "arabic", "arabic-article-each-word"],
)
def test_word_forms(term: str, forms: list[str]) -> None:
    assert word_forms(fold(term)) == forms


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=200),
    st.sampled_from(["Aleppo", "mass graves", "حلب", "وحلب", "Tadmur", "Ḥalab", "ALEPPO's"]),
    st.text(max_size=50),
)
def test_property_offsets_always_slice_a_term(
    rules: Ruleset, before: str, name: str, after: str
) -> None:
    a = article(before, text=f"{before} {name} {after}")
    names: dict[str, set[str]] = {}
    for ws in WATCHES:
        names[ws.name] = {f for k in ws.keywords for f in word_forms(fold(k))}
    for m in rules.match(a):
        value = getattr(a, m.field)
        assert value[m.start : m.end] == m.text
        if m.kind == "keyword":
            assert fold(m.text) in names[m.watch]
        elif m.kind == "location":
            assert m.place is not None
            assert fold(m.text) in {fold(x) for x in Gazetteer.load().aliases(m.place, m.term)}


def _fold_reference(text: str) -> tuple[str, tuple[int, ...]]:
    """``normalize`` written the slow, obvious way: one character at a time."""
    from matching.normalize import fold_char

    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in fold_char(ch):
            if c == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(c)
            origin.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return "".join(chars), tuple(origin)


MIXED = st.text(alphabet=st.sampled_from("aZ9 .,'-\n\téḤحَةىـʿﬁß⑴東京Аé\u200b—\u00a0\u0301"))


@settings(max_examples=500, deadline=None)
@given(st.one_of(MIXED, st.text(max_size=40)))
def test_normalize_equals_the_character_by_character_fold(text: str) -> None:
    from matching.normalize import normalize

    folded = normalize(text)
    assert (folded.text, folded.origin) == _fold_reference(text)
    assert fold(text) == folded.text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["ab", "ab c", "b", "c ab", "abc", "a"]), min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.text(alphabet="abc ", max_size=30).map(lambda t: " ".join(t.split())),
)
def test_scan_reports_exactly_the_hits_on_word_boundaries(
    patterns: list[str], prefixes: list[bool], text: str
) -> None:
    """The padded automaton used for texts of spaced words keeps the boundary rules."""
    from matching.automaton import PatternSet

    ps = PatternSet()
    for i, p in enumerate(patterns):
        ps.add(p, i, prefix=prefixes[i])
    ps.build()
    expected = set()
    for i, p in enumerate(patterns):
        for s in range(len(text) - len(p) + 1):
            e = s + len(p)
            left = s == 0 or text[s - 1] == " "
            right = e == len(text) or text[e] == " "
            if text[s:e] == p and left and (right or prefixes[i]):
                expected.add((s, e, i))
    got = {(h.start, h.end, p) for h in ps.scan(text) for p in h.payloads}
    assert got == expected


def test_watches_sharing_terms_each_get_their_matches(gazetteer: Gazetteer) -> None:
    watches = [
        WatchSettings(name="a", keywords=["mass grave"]),
        WatchSettings(name="b", keywords=["mass grave", "airstrike"], locations=["Aleppo"]),
        WatchSettings(name="c", locations=["Aleppo"]),
        WatchSettings(name="d", query="airstrike OR mass*"),
    ]
    rs = compile_rules(watches, gazetteer)
    matches = rs.match(article("Airstrike near a mass grave in Aleppo"))
    by_watch = {w: sorted(m.text for m in matches if m.watch == w) for w in "abcd"}
    assert by_watch == {
        "a": ["mass grave"],
        "b": ["Airstrike", "Aleppo", "mass grave"],
        "c": ["Aleppo"],
        "d": ["Airstrike", "mass"],
    }


def test_a_pattern_carries_each_payload_once() -> None:
    from matching.automaton import PatternSet

    ps = PatternSet()
    for _ in range(3):
        ps.add("china", 7)
    ps.add("china", 8)
    ps.build()
    assert [h.payloads for h in ps.scan("made in china")] == [(7, 8)]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "Palmyra, N.Y., village board approves budget",
            "Palmyra -> Palmyra, US-NY: the qualifier after it names its region",
        ),
        ("Sprinkle Aleppo pepper flakes over the hummus", "next to a word"),
        ("New Palmyra residents protest", "next to a word"),
        (
            "Police in Palmyra arrested a man wanted in Cinnaminson and Riverton, New Jersey",
            "Palmyra -> Palmyra, US-NJ: the article names Cinnaminson",
        ),
    ],
    ids=["qualifier", "non-place-word", "longer-name", "rival-evidence"],
)
def test_rejected_mentions_say_why(rules: Ruleset, text: str, why: str) -> None:
    art = article(text)
    assert rules.match(art) == [] or all(m.kind != "location" for m in rules.match(art))
    reasons = [r[4] for r in rules.rejected(art)]
    assert any(why in r for r in reasons), reasons
