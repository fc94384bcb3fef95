"""Fuzz (hypothesis): the watch query parser, archive search and the feed parser raise only
their own errors (QueryError, QueryError, ParseError) whatever text or bytes they get."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from errors import ParseError, QueryError
from feeds.parse import parse_bytes
from matching.query import parse_query
from models import ParsedFeed
from storage import Store
from storage.search import search

pytestmark = pytest.mark.fault

# deterministic (no flaky CI) and no .hypothesis/ folder written into the repository
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# pieces of both query languages (ours and FTS5's), glued with arbitrary text
QUERY_BITS = st.sampled_from(
    [
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR(",
        "(",
        ")",
        '"',
        ",",
        "*",
        ":",
        "^",
        "+",
        "-",
        "{",
        "}",
        "title:",
        "summary:",
        "text:",
        "rank:",
        "a",
        "Aleppo",
        "évacuation",
        "حلب",
        "10",
        "²",
        "١٠",
        " ",
        "\t",
        "\n",
        "\x00",
        "\u2028",
        "'",
        "\\",
        "%",
        "?",
        "NEAR(a b, ",
        "{title summary}:",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(QUERY_BITS, st.text(max_size=4)), max_size=25).map(" ".join),
    st.lists(st.one_of(QUERY_BITS, st.text(max_size=3)), max_size=25).map("".join),
)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("NEAR(a b, ²)", id="superscript-distance"),
        pytest.param("NEAR(a b, ①)", id="circled-distance"),
        pytest.param("NEAR(a b, ١٠)", id="arabic-indic-distance"),
        pytest.param("(" * 400 + "a" + ")" * 400, id="deep-parens"),
        pytest.param("NOT " * 1000 + "a", id="deep-not"),
        pytest.param("(" * 50 + "a" + ")" * 50, id="nesting-50"),
    ],
)
def test_query_parser_edge_cases_raise_query_error_only(query):
    with contextlib.suppress(QueryError):
        parse_query(query)


@FUZZ
@given(QUERIES)
@example("NEAR(a b, 10)")
@example('"unclosed')
def test_query_parser_raises_only_query_error(query):
    try:
        parse_query(query)
    except QueryError as err:
        assert 0 <= err.position <= len(query)


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Store:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "archive.db"
    store = Store.open(path)
    for i, (title, summary) in enumerate(
        [
            ("Aleppo convoy reaches the city", "Aid trucks crossed at dawn"),
            ("Évacuation à Alep", "Les habitants quittent la ville"),
            ("حلب: قافلة مساعدات", "وصلت القافلة"),
        ]
    ):
        store.db["articles"].insert(
            {
                "url": f"http://example.org/{i}",
                "link": f"http://example.org/{i}",
                "title": title,
                "summary": summary,
                "published": "2026-11-20T12:00:00Z",
                "first_seen_at": "2026-11-20T12:00:00Z",
                "feed": "wire",
            }
        )
    yield store
    store.close()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("\udcff", id="lone-surrogate"),
        pytest.param("Aleppo \udce2\udc80", id="surrogate-escaped-argv"),
        pytest.param("(" * 2000 + "a", id="deep-parens"),
        pytest.param("NEAR(a b, 99999999999999999999)", id="huge-distance"),
        pytest.param("a\x00b", id="nul"),
    ],
)
def test_search_edge_cases_raise_query_error_only(archive, query):
    """A command-line argument that is not valid UTF-8 reaches Python as lone surrogates
    (surrogateescape): `bot.py search $'\\xff'` passes '\\udcff' to search()."""
    with contextlib.suppress(QueryError):
        search(archive.db, query)


@FUZZ
@given(QUERIES)
@example("Aleppo")
@example("x:y")
def test_search_raises_only_query_error(archive, query):
    try:
        hits = search(archive.db, query, limit=5)
    except QueryError:
        return
    assert len(hits) <= 5


FEED_HEADS = st.sampled_from(
    [
        b"",
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item>',
        b'<?xml version="1.0" encoding="iso-8859-1"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><item rdf:about="http://e/">',
        b'<?xml version="1.0" encoding="utf-16"?><rss version="2.0">',
        b"\xef\xbb\xbf<rss version='0.91'><channel><item><title>",
        b"\xff\xfe<\x00r\x00s\x00s\x00>\x00",
        b"<!DOCTYPE rss [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><rss><channel><item><title>&e;",
        b"<!DOCTYPE html><html><body>",
        b'{"version": "https://jsonfeed.org/version/1", "items": [',
    ]
)
FEED_BITS = st.sampled_from(
    [
        b"<title>",
        b"</title>",
        b"<link>http://e/x</link>",
        b"<link>javascript:alert(1)</link>",
        b"<guid>",
        b"</guid>",
        b"<pubDate>Tue, 99 Foo 2026 25:61:00 +9999</pubDate>",
        b"<updated>0000-00-00T00:00:00Z</updated>",
        b"<description><![CDATA[<b>x</b>",
        b"]]>",
        b"&amp;",
        b"&#0;",
        b"&#x110000;",
        b"&bogus;",
        b"<",
        b">",
        b"\x00",
        b"\xff",
        b"\xc3(",
        b"</item><item>",
        b"</entry><entry>",
        b"<content type='html'>&lt;script&gt;",
        b"<ttl>",
        b"999999999999999999999",
        b"</ttl>",
        b"<sy:updatePeriod>hourly</sy:updatePeriod>",
    ]
)
FEEDS = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda head, body: head + b"".join(body),
        FEED_HEADS,
        st.lists(st.one_of(FEED_BITS, st.binary(max_size=8)), max_size=30),
    ),
)


@FUZZ
@given(FEEDS)
@example(b"<rss><channel><item><title>a</title></item></channel></rss>")
@example(b"\x00" * 10)
def test_feed_parser_raises_only_parse_error(content):
    try:
        parsed = parse_bytes(content, "http://example.org/feed.xml", "application/xml")
    except ParseError:
        return
    assert isinstance(parsed, ParsedFeed)
    for entry in parsed.entries:
        assert entry.link is None or entry.link.lower().startswith(("http://", "https://"))
