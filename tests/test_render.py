"""render: golden files for what humans read, plus the escaping rules that must hold.

Golden files live in tests/data/golden/; they are compared exactly and rewritten only when
UPDATE_GOLDEN=1 is set, which also fails the run (review the diff, then rerun without it).
"""

from __future__ import annotations

import html.parser
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from golden import check_golden
from test_notifiers_fixtures import HOSTILE_TITLE, match_alert, notice_alert

from notifiers import render

GOLDEN = Path(__file__).parent / "data" / "golden"


def _digest() -> list:
    return [match_alert("a-1"), notice_alert("n-1"), match_alert("a-2", title="Second story")]


CASES: dict[str, Callable[[], str]] = {
    "alert.txt": lambda: render.text(match_alert()),
    "alert.html": lambda: render.html(match_alert(), footer="footer <naming> the watch"),
    "alert.md": lambda: render.markdown(match_alert()),
    "alert_limit200.md": lambda: render.markdown(match_alert(), limit=200),
    "alert.json": lambda: json.dumps(render.to_json(match_alert()), indent=2, ensure_ascii=False),
    "notice.txt": lambda: render.text(notice_alert()),
    "notice.html": lambda: render.html(notice_alert()),
    "notice.md": lambda: render.markdown(notice_alert()),
    "digest.txt": lambda: render.digest_text(_digest(), "1h"),
    "digest.html": lambda: render.digest_html(_digest(), "1h"),
    "digest.md": lambda: render.digest_markdown(_digest(), "1h"),
}


@pytest.mark.parametrize("name", sorted(CASES), ids=sorted(CASES))
def test_golden(name: str) -> None:
    check_golden(GOLDEN / name, CASES[name]())


def test_subject_is_one_header_safe_line() -> None:
    alert = match_alert(title="Breaking\r\nBcc: victim@example.com\u2028\x1b[31mred")
    subject = render.subject(alert)
    assert "\r" not in subject and "\n" not in subject and "\x1b" not in subject
    assert "\u2028" not in subject
    assert subject == "[Syria hotspots] Breaking Bcc: victim@example.com [31mred"


def test_subject_is_capped() -> None:
    assert len(render.subject(match_alert(title="x" * 1000))) == render.SUBJECT_MAX


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]


def test_html_has_only_our_tags_and_http_links() -> None:
    parser = _Tags()
    parser.feed(render.html(match_alert()))
    assert "script" not in parser.tags and "b" not in parser.tags
    assert set(parser.tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "body",
        "p",
        "strong",
        "h2",
        "a",
        "blockquote",
        "mark",
        "hr",
    }
    assert all(h.startswith("https://news.example.org/") for h in parser.hrefs)


def test_html_marks_every_matched_term_case_insensitively() -> None:
    out = render.html(match_alert())
    assert "<mark>Aleppo</mark>" in out and "<mark>aleppo</mark>" in out
    assert "<mark>shelling</mark>" in out and "<mark>Airstrike</mark>" in out


def test_javascript_url_is_never_a_link() -> None:
    alert = match_alert()
    alert = type(alert)(**{**alert.__dict__, "url": "javascript:alert(1)"})
    assert "href" not in render.html(alert)
    assert "](javascript" not in render.markdown(alert)


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("*bold*", r"\*bold\*"),
        ("[x](http://evil)", r"\[x\]\(http://evil\)"),
        ("<script>", r"&lt;script\>"),
        ("# heading", r"\# heading"),
        ("- item", r"\- item"),
        ("1. item", r"1\. item"),
        ("a_b `c`", r"a\_b \`c\`"),
        ("2024-05-01", "2024-05-01"),
    ],
    ids=["emphasis", "link", "html", "heading", "list", "ordered", "underscore-code", "date"],
)
def test_escape_md(raw: str, escaped: str) -> None:
    assert render.escape_md(raw) == escaped


@pytest.mark.parametrize("limit", [120, 160, 200, 400, 2000])
def test_markdown_limit_keeps_the_link(limit: int) -> None:
    out = render.markdown(match_alert(title=HOSTILE_TITLE * 20), limit=limit)
    assert len(out) <= limit
    assert "(https://news.example.org/world/aleppo-shelling?id=7&src=rss)" in out


def test_digest_markdown_counts_what_does_not_fit() -> None:
    alerts = [match_alert(f"a-{i}", title=f"Story {i}") for i in range(50)]
    out = render.digest_markdown(alerts, "1d", limit=2000)
    assert len(out) <= 2000
    shown = out.count("](https://")
    assert 0 < shown < 50
    assert f"…and {50 - shown} more" in out


def test_highlight_prefers_longest_term() -> None:
    pieces = render.highlight("New York City hall", ["New York", "New York City"])
    assert pieces == [("New York City", True), (" hall", False)]


def test_to_json_contract_keys() -> None:
    data = render.to_json(match_alert())
    for key in ("alert_id", "watch", "url", "title", "feed", "published", "matches", "locations"):
        assert key in data
    assert data["published"] == "2024-05-01T12:30:00Z"
    assert set(data["matches"][0]) >= {
        "term",
        "kind",
        "text",
        "field",
        "start",
        "end",
        "snippet",
        "place",
    }
    assert data["locations"] == [
        {
            "name": "Aleppo",
            "country_code": "SY",
            "admin1": "09",
            "geonameid": 170063,
            "latitude": 36.20124,
            "longitude": 37.16117,
        }
    ]


def test_markdown_defuses_room_mentions() -> None:
    from notifiers.render import escape_md

    out = escape_md("Breaking @everyone @here @Channel: hi@example.org")
    assert "@everyone" not in out and "@here" not in out and "@Channel" not in out
    assert "hi@example.org" in out
