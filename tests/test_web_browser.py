"""`bot.py serve` in headless Chromium: the real server, the real pages, no internet."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_web import WATCH, seed_archive, start_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp")

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
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


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


@pytest.fixture
def browser_page() -> Iterator[tuple[Any, Recorder]]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            recorder = Recorder()
            recorder.attach(page)
            yield page, recorder
        finally:
            browser.close()


def test_search_page_highlights_hits(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/archive/search?q=Aleppo")
    marks = page.locator("td.col-snippet mark")
    assert marks.count() >= 3
    assert marks.first.inner_text() == "Aleppo"
    page.screenshot(path=str(SHOTS / "newsbot-search.png"), full_page=True)
    assert not rec.foreign_hosts()
    assert not rec.errors, rec.errors


def test_watch_page_lists_matches(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/archive/watches")
    page.get_by_role("link", name=WATCH).click()
    page.wait_for_url("**/matches_for_watch?watch=*")
    titles = page.locator("td.col-title").all_inner_texts()
    assert "Shelling reported near Aleppo" in titles and len(titles) == 3
    assert "<script>alert(1)</script> Aleppo market" in titles  # shown as text, not run
    assert page.get_by_role("link", name=f"Atom feed of “{WATCH}”").count() == 1
    assert not rec.errors, rec.errors


def test_map_loads_local_tiles_only(server: str, browser_page: tuple[Any, Recorder]) -> None:
    page, rec = browser_page
    page.goto(f"{server}/archive/map")
    page.wait_for_selector(".leaflet-tile-loaded", timeout=15_000)
    page.wait_for_selector(".leaflet-marker-icon", timeout=15_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "newsbot-map.png"), full_page=True)
    tiles = {u: s for u, s in rec.statuses.items() if "/-/tiles/basemap/" in u}
    assert 200 in tiles.values(), rec.statuses
    assert not rec.foreign_hosts(), rec.requests
    assert not rec.errors, rec.errors
