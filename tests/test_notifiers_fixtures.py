"""Sample alerts shared by the notifier and render tests (no tests of its own).

The match alert carries a hostile title (HTML, Markdown emphasis, a Markdown link, a CR/LF) and
hostile snippet text, so every format's escaping is exercised by the golden files.
"""

from __future__ import annotations

from datetime import UTC, datetime

from models import Alert, Match, Place

HOSTILE_TITLE = "Aleppo <script>alert(1)</script> *bold* [x](http://evil)"

ALEPPO = Place(
    geonameid=170063,
    name="Aleppo",
    country_code="SY",
    admin1="09",
    latitude=36.20124,
    longitude=37.16117,
    population=1602264,
)


def match_alert(
    alert_id: str = "a-0001", title: str = HOSTILE_TITLE, watch: str = "Syria hotspots"
) -> Alert:
    """A watch fired on a location and a keyword."""
    return Alert(
        id=alert_id,
        watch=watch,
        channel="test",
        article_id=42,
        url="https://news.example.org/world/aleppo-shelling?id=7&src=rss",
        title=title,
        feed="Example World News",
        published=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
        matches=(
            Match(
                watch=watch,
                kind="location",
                term="Aleppo",
                text="Aleppo",
                field="title",
                start=0,
                end=6,
                snippet="… shelling near Aleppo <b>hit</b> the old city; aleppo residents fled …",
                place=ALEPPO,
            ),
            Match(
                watch=watch,
                kind="keyword",
                term="shelling",
                text="shelling",
                field="text",
                start=120,
                end=128,
                snippet="… shelling near Aleppo <b>hit</b> the old city; aleppo residents fled …",
            ),
            Match(
                watch=watch,
                kind="keyword",
                term="airstrike",
                text="Airstrike",
                field="text",
                start=300,
                end=309,
                snippet="… Airstrike reported [click](javascript:alert(1)) & more …",
            ),
        ),
    )


def notice_alert(alert_id: str = "n-0001") -> Alert:
    """A feed health notice."""
    return Alert(
        id=alert_id,
        watch="",
        channel="test",
        article_id=0,
        url="https://feeds.example.org/rss.xml",
        title="Feed failing for 6 hours: Example <World>",
        feed="Example World News",
        published=datetime(2024, 5, 2, 8, 0, tzinfo=UTC),
        kind="notice",
        body="Last error: HTTP 503 Service Unavailable\nNext try at 2024-05-02 09:00 UTC.",
    )
