"""`bot.py serve` in headless Chromium: the real server, the real pages, no internet. Each test
reads a page as a person would (form, links, keyboard, a phone-width window, no JavaScript) and
checks that the page made no request off this machine and logged no error (a CSP violation is
a console error)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from test_web import start_server, stop_server
from webseed import ARABIC_TITLE, WATCH, XSS, seed_archive

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 740}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt install chromium)"
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, base = start_server(seed_archive(tmp_path_factory.mktemp("web") / "archive.db"))
    yield base
    stop_server(proc)


class Recorder:
    """Every request the page makes, its response status, and console errors."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.statuses: dict[str, int] = {}
        self.errors: list[str] = []

    def attach(self, page: Any) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: self.statuses.__setitem__(r.url, r.status))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)  # an article's <script>alert(1)</script> ran

    def _dialog(self, dialog: Any) -> None:
        self.errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def foreign_hosts(self) -> set[str]:
        hosts = {urlsplit(u).hostname for u in self.requests if urlsplit(u).scheme != "data"}
        return hosts - {"127.0.0.1"}

    def clean(self) -> None:
        assert not self.foreign_hosts(), self.requests
        assert not self.errors, self.errors


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser: Any, **options: Any) -> tuple[Any, Recorder]:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = context.new_page()
    recorder = Recorder()
    recorder.attach(page)
    return page, recorder


@pytest.fixture
def browser_page(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    page, recorder = open_page(browser)
    yield page, recorder
    page.context.close()


def headlines(page: Any) -> list[str]:
    return page.locator("ol.news h3.headline").all_inner_texts()


def test_search_with_filters_from_the_home_page(
    server: str, browser_page: tuple[Any, Recorder]
) -> None:
    page, rec = browser_page
    page.goto(f"{server}/")
    page.get_by_label("Search the archive").fill("Aleppo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Aleppo")
    assert len(headlines(page)) == 4
    assert page.locator("ol.news .snippet mark").first.inner_text() == "Aleppo"
    page.get_by_label("Feed").select_option("Levant Wire")
    page.get_by_label("Order").select_option("newest")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**feed=Levant+Wire**")
    assert headlines(page) == ["Aid convoy reaches Aleppo"]
    page.get_by_label("Feed").select_option("")
    page.get_by_label("Watch").select_option(WATCH)
    page.get_by_label("From").fill("2026-11-25")
    page.get_by_label("To").fill("2026-11-25")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**since=2026-11-25**")
    assert headlines(page) == [
        "Shelling reported near Aleppo",
        "Aid convoy reaches Aleppo",
        f"{XSS} Aleppo market",  # shown as text, never run
    ]
    rec.clean()


def test_place_search_finds_a_mention_in_another_script(
    server: str, browser_page: tuple[Any, Recorder]
) -> None:
    page, rec = browser_page
    page.goto(f"{server}/search?q=Aleppo")
    assert ARABIC_TITLE not in headlines(page)
    page.locator(".suggestion").get_by_role("link", name="Aleppo, SY").click()
    page.wait_for_url("**/search?q=place%3AAleppo")
    assert ARABIC_TITLE in headlines(page)
    assert "حلب" in page.locator("ol.news mark").all_inner_texts()
    page.get_by_role("link", name="Aleppo, SY").first.click()
    page.wait_for_url("**/place/170063")
    assert page.get_by_role("heading", level=1).inner_text() == "Aleppo, SY"
    assert ARABIC_TITLE in headlines(page)
    page.wait_for_selector(".leaflet-tile-loaded", timeout=15_000)
    rec.clean()


def test_a_story_told_by_three_outlets(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/search?q=convoy")
    assert len(headlines(page)) == 1  # three reports, one story
    page.get_by_role("link", name="+2 outlets").click()
    page.wait_for_url("**/story/*")
    assert "3 reports from 3 outlets" in page.locator(".actions").inner_text()
    assert sorted(headlines(page)) == [
        "Aid convoy reaches Aleppo",
        "Food trucks reach Aleppo",
        "UN convoy arrives in Aleppo after a long delay",
    ]
    rec.clean()


def test_bad_query_says_why(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    response = page.goto(f"{server}/search?q=%22unclosed")
    assert response.status == 400
    assert "cannot parse the query" in page.get_by_role("alert").inner_text()
    rec.errors = [e for e in rec.errors if "400" not in e]  # the status itself is logged
    rec.clean()


def test_watch_page(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/")
    page.get_by_role("link", name=WATCH, exact=True).click()
    page.wait_for_url("**/watch/Syria%20hotspots")
    assert page.get_by_role("heading", level=1).inner_text() == f"Watch: {WATCH}"
    assert "Aleppo, SY" in page.locator("dl.definition").inner_text()
    assert headlines(page)[0] == "Shelling reported near Aleppo"
    page.wait_for_selector(".leaflet-tile-loaded", timeout=15_000)
    assert page.locator("path.leaflet-interactive").count() == 2  # Aleppo and Palmyra
    atom = page.get_by_role("link", name="Atom feed").get_attribute("href")
    feed = feedparser.parse(httpx.get(f"{server}{atom}", timeout=5).content)
    assert not feed.bozo and feed.feed.title == f"newsbot: {WATCH}" and len(feed.entries) == 5
    rec.clean()


def test_map_markers_link_to_place_pages(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/map")
    page.wait_for_selector(".leaflet-tile-loaded", timeout=15_000)
    markers = page.locator("path.leaflet-interactive")
    assert markers.count() == 2
    labels = page.locator(".leaflet-tooltip").all_inner_texts()
    assert sorted(labels) == ["Aleppo, SY · 6 articles", "Tadmur, SY · 1 article"]
    page.wait_for_load_state("networkidle")
    markers.first.click()
    popup = page.locator(".leaflet-popup-content a")
    assert popup.inner_text() == "Aleppo, SY · 6 articles"
    popup.click()
    page.wait_for_url("**/place/170063")
    tiles = {u: s for u, s in rec.statuses.items() if "/-/tiles/basemap/" in u}
    assert 200 in tiles.values(), rec.statuses
    rec.clean()


@pytest.mark.parametrize("path", ["/", "/search?q=Aleppo", "/watch/Syria%20hotspots", "/map"])
def test_phone_width_has_no_sideways_scroll(server: str, browser: Any, path: str) -> None:
    page, rec = open_page(browser, viewport=PHONE, is_mobile=True)
    try:
        page.goto(f"{server}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        rec.clean()
    finally:
        page.context.close()


def test_pages_work_without_javascript(server: str, browser: Any) -> None:
    page, rec = open_page(browser, java_script_enabled=False)
    try:
        page.goto(f"{server}/search")
        page.get_by_label("Words").fill("place:Aleppo")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/search?q=place%3AAleppo**")
        assert ARABIC_TITLE in headlines(page)
        page.goto(f"{server}/map")
        assert page.get_by_role("link", name="Aleppo").is_visible()  # the list is the map
        rec.clean()
    finally:
        page.context.close()


def test_keyboard_reaches_the_search_box(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("convoy")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=convoy")
    assert headlines(page) == ["Aid convoy reaches Aleppo"]
    rec.clean()


def test_every_page_has_one_h1_and_a_title(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    for path in ["/", "/search", "/watch/Syria%20hotspots", "/place/170063", "/map"]:
        page.goto(f"{server}{path}")
        assert page.locator("h1").count() == 1, path
        assert page.title().endswith("· newsbot"), path
    rec.clean()
