"""matching.resolve: one referent per name, each rule shown on real sentences (English and
Arabic). A watch on each namesake: exactly the right one fires."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matching import home
from matching.compiler import compile_rules
from matching.places import Gazetteer
from matching.rules import Ruleset
from models import Article, Place, ResolvedPlace
from settings import WatchSettings

SPECS = {
    "paris-fr": "Paris, France",
    "paris-tn": "Paris, US-TN",
    "paris-tx": "Paris, US-TX",
    "paris-ky": "Paris, US-KY",
    "palmyra-sy": "Palmyra",
    "palmyra-ny": "Palmyra, US-NY",
    "ipswich-gb": "Ipswich, GB",
    "ipswich-au": "Ipswich, Australia",
    "london-gb": "London, GB",
    "london-ca": "London, Canada",
    "tripoli-ly": "Tripoli, Libya",
    "tripoli-lb": "Tripoli, Lebanon",
    "washington-dc": "Washington, US-DC",
    "newyork-nyc": "New York City",
    "ontario-ca": "Ontario, US-CA",
    "cairo-eg": "Cairo, Egypt",
    "palmyra-va": "Palmyra, US-VA",
    "perth-au": "Perth, Australia",
    "perth-gb": "Perth, GB",
    "aberdeen-gb": "Aberdeen, GB",
    "aberdeen-wa": "Aberdeen, US-WA",
    "washington-pa": "Washington, US-PA",
}


@pytest.fixture(scope="module")
def rules(gazetteer: Gazetteer) -> Ruleset:
    watches = [WatchSettings(name=n, locations=[spec]) for n, spec in SPECS.items()]
    return compile_rules(watches, gazetteer)


def fired(rules: Ruleset, title: str, text: str = "", home_regions: dict | None = None) -> set:
    a = Article(1, "u", title, "", text, datetime(2026, 1, 1, tzinfo=UTC), "f")
    return {m.watch for m in rules.analyse(a, (), home_regions or {}).matches}


CASES = [
    # (id, title, text, the one watch of the name that fires)
    ("prominence", "The Paris-based fashion house opened a new store", "", "paris-fr"),
    ("qualifier-ap", "PARIS, Tenn. (AP) — Police arrested two men", "", "paris-tn"),
    ("qualifier-postal", "Paris, TX police chief retires after 30 years", "", "paris-tx"),
    ("qualifier-parenthesis", "Paris (Ky.) city commission delays vote", "", "paris-ky"),
    ("qualifier-state-name", "A tornado hit Paris, Texas, on Sunday night", "", "paris-tx"),
    ("qualifier-queensland", "Floods cut roads in Ipswich, Queensland", "", "ipswich-au"),
    ("qualifier-ontario", "A new hospital wing opens in London, Ontario", "", "london-ca"),
    ("qualifier-ont-abbrev", "LONDON, Ont. — Police say two men were charged", "", "london-ca"),
    ("qualifier-qld-abbrev", "Ipswich, Qld, council votes on rates", "", "ipswich-au"),
    (
        "region-named-anywhere",
        "Paris council approves budget",
        "The Henry County Commission also met. Tennessee lawmakers were briefed.",
        "paris-tn",
    ),
    (
        "county-named",
        "Police in Ipswich investigate break-ins",
        "Suffolk Constabulary said officers were called on Tuesday night.",
        "ipswich-gb",
    ),
    (
        "nearby-town",
        "Ipswich flood warning",
        "Rain fell across Ipswich and Brisbane, and the river rose overnight.",
        "ipswich-au",
    ),
    ("country-name", "Protests in Tripoli as Lebanon's crisis deepens", "", "tripoli-lb"),
    ("demonym", "Lebanese troops deploy in Tripoli after clashes", "", "tripoli-lb"),
    ("prominence-tripoli", "Gunfire heard in Tripoli overnight", "", "tripoli-ly"),
    ("arabic-country-name", "اشتباكات في طرابلس شمال لبنان", "", "tripoli-lb"),
    ("arabic-prominence", "اشتباكات عنيفة في طرابلس", "", "tripoli-ly"),
    ("arabic-demonym", "انتشار الجيش اللبناني في طرابلس", "", "tripoli-lb"),
    (
        "one-sense-per-discourse",
        "Palmyra village board approves budget",
        "Palmyra, N.Y., trustees voted 4-1. Palmyra's mayor said taxes stay flat.",
        "palmyra-ny",
    ),
    (
        "hyphenated-compound",
        "Palmyra-based firm expands",
        "The firm, based in Palmyra, N.Y., will hire 40 workers.",
        "palmyra-ny",
    ),
    ("alias-bare", "The ruins of Palmyra were damaged again", "", "palmyra-sy"),
    (
        "small-neighbour-namesake",  # Macedon's main bearer is a village in Australia
        "Palmyra-Macedon school budget passes",
        "Voters approved the budget; the district also serves families in Marion.",
        "palmyra-ny",
    ),
    (
        "neighbours-of-a-village",
        "Supervisors meet in Palmyra on broadband",
        "A firm would wire homes near Lake Monticello and Crozet by 2026.",
        "palmyra-va",
    ),
    (
        "big-names-near-a-small-namesake",  # California, Houston, Boston lie near Washington, PA
        "WASHINGTON (AP) — Lawmakers from California and Houston met Boston donors",
        "",
        "washington-dc",
    ),
    (
        "lower-case-word-is-not-part-of-the-name",  # "Perth City" is an alias of Perth, AU
        "Perth city hall to become arts centre",
        "Scotland's culture minister approved the plan.",
        "perth-gb",
    ),
    (
        "world-event-best-known",
        "Paris Olympics: Tennessee swimmer wins bronze",
        "The former University of Tennessee swimmer's coach in Knoxville watched on TV.",
        "paris-fr",
    ),
    ("oil-after-a-town", "Aberdeen oil jobs fall again", "North Sea operators cut", "aberdeen-gb"),
    (
        "neighbours-of-a-namesake",
        "Flood warning issued for Aberdeen",
        "Hoquiam and Montesano residents should move cars, the county said.",
        "aberdeen-wa",
    ),
]


@pytest.mark.parametrize(
    ("title", "text", "winner"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_one_referent_per_name(rules: Ruleset, title: str, text: str, winner: str) -> None:
    namesakes = {n for n in SPECS if n.split("-")[0] == winner.split("-")[0]}
    assert fired(rules, title, text) & namesakes == {winner}


REGIONS = [
    # (id, title, the watches of the name that fire): a name written as a region is the
    # state (no town watch fires), or no town when the gazetteer has no such region
    ("town-qualifier", "Tacoma, Washington bakery shares cookie tips", set()),
    ("town-qualifier-no-region", "A new hospital wing opens in London, Ontario", set()),
    ("list-of-states", "Flu cases rose in Michigan, Oregon, New York and Ohio", set()),
    ("state-and-state", "A concert series in New Jersey and New York this winter", set()),
    ("state-word", "No rest for Washington state's civil support team", set()),
    ("state-of", "Voters in the state of New York go to the polls", set()),
    ("arabic-state-of", "إعلان حالة الطوارئ في ولاية نيويورك", set()),
    ("list-of-towns", "Flights to Boston, New York and Chicago resumed", {"newyork-nyc"}),
    (
        "town-and-state-list",
        "After stops in Washington, New York and Boston",
        {"newyork-nyc", "washington-dc"},
    ),
    ("borough-qualifier", "Funeral homes across Brooklyn, New York were raided", {"newyork-nyc"}),
    ("city-qualifier-wins", "Sold in 44 states, Washington, D.C., and Guam", {"washington-dc"}),
    ("city-and-region-abroad", "Bird flu found in Cairo, Giza and Minya", {"cairo-eg"}),
    ("arabic-city", "مظاهرات في نيويورك بعد الحكم", {"newyork-nyc"}),
]


@pytest.mark.parametrize(
    ("title", "expected"), [c[1:] for c in REGIONS], ids=[c[0] for c in REGIONS]
)
def test_a_name_written_as_a_region(rules: Ruleset, title: str, expected: set) -> None:
    towns = {"washington-dc", "newyork-nyc", "ontario-ca", "cairo-eg"}
    assert fired(rules, title) & towns == expected


def test_not_a_place_fires_nothing(rules: Ruleset) -> None:
    assert fired(rules, "Palmyra palm sap is boiled into sugar") == set()


HOME = [
    ("silent-article-home-decides", "Paris police arrest two men", {"US-TN": 0.9}, "paris-tn"),
    ("home-beats-a-world-city", "Paris police arrest two men", {"US-TN": 0.7}, "paris-tn"),
    ("no-home-prominence", "Paris police arrest two men", {}, "paris-fr"),
    ("article-speaks-home-ignored", "Paris, France: police arrest two", {"US-TN": 0.9}, "paris-fr"),
]


@pytest.mark.parametrize(
    ("title", "regions", "winner"), [c[1:] for c in HOME], ids=[c[0] for c in HOME]
)
def test_feed_home_region_is_a_weak_prior(
    rules: Ruleset, title: str, regions: dict, winner: str
) -> None:
    assert fired(rules, title, home_regions=regions) & {"paris-fr", "paris-tn"} == {winner}


def test_home_counts_learn_only_firm_places_and_decay() -> None:
    tn = Place(4646571, "Paris", "US", "TN", 36.3, -88.3)
    fr = Place(2988507, "Paris", "FR", "11", 48.9, 2.35)
    counts: dict[str, float] = {}
    for _ in range(10):
        counts = home.learn(counts, [ResolvedPlace(tn, 2, "Paris", firm=True)])
    counts = home.learn(counts, [ResolvedPlace(fr, 1, "Paris", firm=False)])
    assert "FR-11" not in counts and 8.0 < counts["US-TN"] < 10.0
    assert home.shares(counts) == {"US-TN": 1.0}
    assert home.shares({"US-TN": 2.0}) == {}  # too few votes yet


def test_explanations_name_the_candidates(rules: Ruleset) -> None:
    a = Article(1, "u", "The Paris-based firm", "", "", datetime(2026, 1, 1, tzinfo=UTC), "f")
    lines = rules.resolutions(a)
    assert any(
        line.startswith("Paris -> Paris, FR: most prominent; no evidence for Paris, US-")
        for line in lines
    ), lines
    b = Article(1, "u", "Paris, Tenn., police", "", "", datetime(2026, 1, 1, tzinfo=UTC), "f")
    assert "Paris -> Paris, US-TN: the qualifier after it names its region" in "\n".join(
        rules.resolutions(b)
    )


def test_a_rejection_names_only_the_evidence_that_decided(rules: Ruleset) -> None:
    a = Article(
        1,
        "u",
        "Palmyra village board approves water rate increase",
        "",
        "Wayne County officials said the increase starts in June; Rochester engineers agreed.",
        datetime(2026, 1, 1, tzinfo=UTC),
        "f",
    )
    why = {w: r for w, _, _, _, r in rules.rejected(a)}["palmyra-sy"]
    assert why.startswith("Palmyra -> Palmyra, US-NY: the article names Rochester, Wayne County")
    assert "no evidence for Tadmur, SY" in why and "candidates)" in why
    assert "Mason" not in why and "US-PA" not in why  # bystanders are counted, not listed
    line = next(x for x in rules.resolutions(a) if x.startswith("Palmyra ->"))
    # the runner-up shows only evidence the winner lacks (Wayne County speaks for both)
    assert line.count("Wayne County") == 1, line


SENSES = [
    # (id, title, text, the watches that fire): a mention's own qualifier is a sense of its own
    (
        "two-qualified-namesakes",
        "London mayor visits his counterpart",
        "The mayor of London, Ont., visited City Hall in London, England, this week.",
        {"london-ca", "london-gb"},
    ),
    (
        "dateline-and-world-event",
        "PARIS, Tenn. — Paris Olympics watch party set at the library",
        "",
        {"paris-tn", "paris-fr"},
    ),
    (
        "one-qualifier-one-sense",
        "Paris, Tenn., council meets; Paris mayor absent",
        "",
        {"paris-tn"},
    ),
    ("street-name", "Crash closes Paris Pike near Lexington", "", set()),
    ("newspaper", "Two arrested, The Paris News reported", "", set()),
]


@pytest.mark.parametrize(
    ("title", "text", "expected"), [c[1:] for c in SENSES], ids=[c[0] for c in SENSES]
)
def test_senses_and_names_of_things(rules: Ruleset, title: str, text: str, expected: set) -> None:
    names = {"paris-fr", "paris-tn", "paris-tx", "paris-ky", "london-gb", "london-ca"}
    assert fired(rules, title, text) & names == expected
