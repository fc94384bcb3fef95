"""A small archive for the web tests and the screenshots: two feeds (one failing), a watch that
fired on Aleppo in English and in Arabic and on Palmyra, a quiet watch, an article whose title
is a script, and enough weather reports to fill two pages of results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from errors import ErrorKind, hint_for
from models import Article, Entry, Match, Place, Plan, PollFailure, PollSuccess, ResolvedPlace
from settings import FeedSettings, WatchSettings
from storage import Store
from storage.archive import Processed

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WATCH = "Syria hotspots"
QUIET = "Mass graves"
WATCHES = [
    WatchSettings(name=WATCH, keywords=["shelling"], locations=["Aleppo", "Palmyra, Syria"]),
    WatchSettings(name=QUIET, keywords=["mass grave"]),
]
ALEPPO = Place(170063, "Aleppo", "SY", "09", 36.20124, 37.16117)
PALMYRA = Place(163808, "Tadmur", "SY", "13", 34.56240, 38.28402)
XSS = "<script>alert(1)</script>"
ARABIC_TITLE = "قصف عنيف على أحياء حلب الشرقية"
WEATHER = 25  # two pages of 20
# (feed, link, title, summary, (place, the text that named it) or None)
ARTICLES = [
    (
        "Example News",
        "http://news.example/aleppo-1",
        "Shelling reported near Aleppo",
        "Residents said the shelling went on all night.",
        (ALEPPO, "Aleppo"),
    ),
    (
        "Levant Wire",
        "http://wire.example/aleppo-2",
        "Aid convoy reaches Aleppo",
        "A convoy with food reached the city on Tuesday.",
        (ALEPPO, "Aleppo"),
    ),
    (
        "Example News",
        "http://news.example/xss",
        f"{XSS} Aleppo market",
        "A market reopened <b>today</b>.",
        (ALEPPO, "Aleppo"),
    ),
    (
        "Levant Wire",
        "http://wire.example/halab-ar",
        ARABIC_TITLE,
        "قال سكان إن القصف استمر طوال الليل.",
        (ALEPPO, "حلب"),
    ),
    (
        "Levant Wire",
        "http://wire.example/palmyra",
        "Museum of Palmyra reopens its doors",
        "Curators returned to the ancient city.",
        (PALMYRA, "Palmyra"),
    ),
    (
        "Example News",
        "http://news.example/prices",
        "Bread prices rise",
        "Bakers in Aleppo and Homs raised prices again.",
        None,
    ),
    (
        "Example News",
        "http://news.example/convoy-arrives",
        "UN convoy arrives in Aleppo after a long delay",
        "Trucks carrying food and medicine arrived on Tuesday.",
        (ALEPPO, "Aleppo"),
    ),
    (
        "Daily Star",
        "http://star.example/convoy",
        "Food trucks reach Aleppo",
        "The first trucks in weeks reached the city.",
        (ALEPPO, "Aleppo"),
    ),
] + [
    (
        "Example News",
        f"http://news.example/weather-{i}",
        f"Weather in Berlin, day {i}",
        "Rain all week.",
        None,
    )
    for i in range(WEATHER)
]
FEEDS = [
    FeedSettings(url="http://news.example/feed", name="Example News"),
    FeedSettings(url="http://wire.example/feed", name="Levant Wire"),
    FeedSettings(url="http://star.example/feed", name="Daily Star"),
    FeedSettings(url="http://broken.example/feed", name="Broken Feed"),
]
CONVOY = "http://wire.example/aleppo-2"  # one story, told by three outlets
SAME_STORY = {"http://news.example/convoy-arrives": CONVOY, "http://star.example/convoy": CONVOY}


class SeedStories:
    """A Clusterer (storage.stories) that puts the convoy reports in the first one's story."""

    def begin(self, store: Any, now: datetime) -> None:
        pass

    def assign(self, store: Any, article: Article, text: str, places: frozenset[int]) -> int | None:
        first = SAME_STORY.get(article.url)
        if first is None:
            return None
        row = store.db.execute("SELECT story_id FROM articles WHERE link = ?", [first]).fetchone()
        return int(row[0])

    def end(self, ok: bool) -> None:
        pass


def seed_archive(path: Path) -> Path:
    store = Store.open(path)
    try:
        store.sync_feeds(FEEDS, NOW)
        for i, (feed, link, title, summary, where) in enumerate(ARTICLES):
            entry = Entry(link, link, title, summary, NOW - timedelta(hours=i))
            (aid,) = store.save_entries(store.feed(feed), [entry], "guid", NOW)
            places = (ResolvedPlace(where[0], 1, where[1]),) if where else ()
            done = Processed(
                store.article(aid),
                f"{summary} More text.",
                "extracted",
                {},
                tuple(_matches(title, where)),
                places,
            )
            store.complete_articles([done], {}, NOW - timedelta(hours=i), clusterer=SeedStories())
        plan = Plan(NOW + timedelta(minutes=15), 900.0, "fixed 15m")
        store.record_success(store.feed("Example News").id, NOW, PollSuccess(200, plan))
        broken = store.feed("Broken Feed").id
        forbidden = PollFailure(
            ErrorKind.HTTP, 403, "HTTP 403 Forbidden", hint_for(ErrorKind.HTTP, 403), plan
        )
        for _ in range(3):
            store.record_failure(broken, NOW, forbidden)
    finally:
        store.close()
    return path


def _matches(title: str, where: tuple[Place, str] | None) -> list[Match]:
    if where is None:
        return []
    place, text = where
    start = title.find(text)
    return [
        Match(WATCH, "location", place.name, text, "title", start, start + len(text), title, place)
    ]
