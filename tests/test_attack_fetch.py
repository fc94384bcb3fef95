"""Attacks on fetching, reproduced on loopback (issue 18): a permanent redirect that tried to
carry the operator's trust to an attacker's name, and extraction without a time limit."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from feedfactory import page, rss
from httpserver import LocalServer, Reply

import settings
from feeds import guard
from service.wiring import run_once
from storage import Store

XML = {"Content-Type": "application/rss+xml"}


class ScriptedResolver:
    """Answers per host, one answer list per call (the last one repeats): DNS we control."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.table.get(host)
        if answers is None:
            raise OSError(f"no such host {host}")
        return list(answers[min(self.calls.count(host), len(answers)) - 1])


def _config(tmp_path, name: str, url: str, full_text: bool = True, **http: object):
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "archive.db")},
            "http": {"timeout": "5s", **http},
            "feeds": [{"name": name, "url": url, "full_text": full_text}],
        },
        base_dir=str(tmp_path),
    )


@pytest.fixture
def only_127_0_0_1_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.1 is the public Internet and every other address is internal."""

    def reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        return None if str(ip) == "127.0.0.1" else "internal (test)"

    monkeypatch.setattr(guard, "blocked_reason", reason)


@pytest.fixture
def internal_server(http_server: LocalServer) -> Iterator[LocalServer]:
    """An 'internal' service on 127.0.0.2, on the same port as the public one."""
    server = LocalServer("127.0.0.2", port=http_server.port).start()
    yield server
    server.stop()


@pytest.mark.usefixtures("only_127_0_0_1_is_public")
def test_a_moved_feed_url_is_checked_on_every_poll(
    tmp_path, http_server: LocalServer, internal_server: LocalServer
) -> None:
    """Finding 1: the outlet 301s to the attacker's name (public then), which later rebinds to
    an internal address. The moved URL is not the operator's: the rebound address is refused."""
    port = http_server.port
    moved = f"http://attacker.example:{port}/moved.xml"
    http_server.route("/feed.xml", Reply(301, b"", {"Location": moved}))
    public = [("p-1", "Harmless story", "http://example.org/p1", "teaser")]
    http_server.route("/moved.xml", Reply(200, rss(public), XML))
    secret = [("s-1", "INTERNAL payroll export", "http://example.org/s1", "secret")]
    internal_server.route("/moved.xml", Reply(200, rss(secret), XML))
    resolver = ScriptedResolver(
        {
            "outlet.example": [["127.0.0.1"]],
            "attacker.example": [["127.0.0.1"], ["127.0.0.2"]],  # rebinds after the first poll
        }
    )
    cfg = _config(tmp_path, "outlet", f"http://outlet.example:{port}/feed.xml", full_text=False)
    first, _ = run_once(cfg, resolver=resolver)
    assert first.new == 1 and not first.failed
    with Store.open(cfg.db_path) as store:
        assert store.feed("outlet").current_url == moved
    second, _ = run_once(cfg, resolver=resolver)
    assert internal_server.requests == []
    [failed] = second.failed
    assert "127.0.0.2" in (failed.error or "") and "refused" in (failed.error or "")
    with Store.open(cfg.db_path) as store:
        titles = [r[0] for r in store.db.execute("SELECT title FROM articles")]
    assert titles == ["Harmless story"]


@pytest.mark.usefixtures("only_127_0_0_1_is_public")
def test_the_configured_url_stays_trusted(tmp_path, internal_server: LocalServer) -> None:
    """The operator's own feed on an internal name is still fetched (first hop trusted)."""
    items = [("i-1", "Intranet notice", "http://example.org/i1", "teaser")]
    internal_server.route("/feed.xml", Reply(200, rss(items), XML))
    resolver = ScriptedResolver({"feeds.lan": [["127.0.0.2"]]})
    url = f"http://feeds.lan:{internal_server.port}/feed.xml"
    cfg = _config(tmp_path, "lan", url, full_text=False)
    report, _ = run_once(cfg, resolver=resolver)
    assert report.new == 1 and not report.failed


def _nested_tables(blocks: int, depth: int = 30) -> bytes:
    """A page of deeply nested tables: cheap to send, slow to extract (0.4 MB ~ 3 s)."""
    cell = "<p>Aleppo convoy report with many words about the road north. </p>"
    block = "<table><tr><td>" * depth + cell + "</td></tr></table>" * depth
    body = block * blocks
    return (
        f"<html><head><title>t</title></head><body><article>{body}</article></body></html>".encode()
    )


def _page_site(server: LocalServer, pages: dict[str, bytes]) -> None:
    items = [
        (name, f"{name} story", server.url(f"/{name}.html"), f"{name} teaser") for name in pages
    ]
    server.route("/feed.xml", Reply(200, rss(items), XML))
    for name, body in pages.items():
        server.route(f"/{name}.html", Reply(200, body, {"Content-Type": "text/html"}))


def _statuses(tmp_path, server: LocalServer) -> dict[str, str]:
    cfg = _config(
        tmp_path, "f", server.url("/feed.xml"), allow_private_networks=True, max_bytes=20_000_000
    )
    report, _ = run_once(cfg, channels={})
    assert report.new and not report.failed
    with Store.open(cfg.db_path) as store:
        return {
            r[0].split()[0]: r[1]
            for r in store.db.execute("SELECT title, text_status FROM articles")
        }


GOOD_PAGE = page(
    "Good story",
    [
        "A convoy of forty trucks left the border crossing at dawn, officials said.",
        "Drivers described long waits at checkpoints along the highway north.",
        "The United Nations said the aid would reach families in Aleppo by Friday.",
    ],
)


def test_a_page_over_the_extraction_cap_keeps_its_summary(tmp_path, http_server: LocalServer):
    """Finding 11: an 8.8 MB page took 12.8 s of CPU in trafilatura; now it is not parsed."""
    _page_site(http_server, {"huge": _nested_tables(8000, depth=10), "good": GOOD_PAGE})
    statuses = _statuses(tmp_path, http_server)
    assert statuses["good"] == "extracted"
    assert statuses["huge"].startswith("summary:") and "extraction cap" in statuses["huge"]


def test_extraction_past_its_deadline_keeps_the_summary(
    tmp_path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
):
    """Finding 11: under the cap, a page of nested tables still costs seconds: stopped at the
    deadline (0.5 s here, 3 s without it), the next page is extracted as usual."""
    from feeds import extraction

    monkeypatch.setattr(extraction, "DEADLINE", 0.5)
    _page_site(http_server, {"slow": _nested_tables(400), "good": GOOD_PAGE})
    statuses = _statuses(tmp_path, http_server)
    assert statuses["slow"] == "summary: extraction took over 0.5s (deadline)"
    assert statuses["good"] == "extracted"
