"""Attacks through the config, reproduced on loopback (issue 18): an OPML file that asks for
``${SMTP_PASSWORD}``, and ``${VAR}`` secrets in feed URLs shown in plain text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from feedfactory import rss
from httpserver import LocalServer, Reply

import settings
from errors import ConfigError
from service.wiring import run_once
from storage import Store

ROOT = Path(__file__).resolve().parent.parent
XML = {"Content-Type": "application/rss+xml"}
PASSWORD = "hunter2-smtp-pass"
FEED_KEY = "feedkey-s3cret-42"


def bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def _base_config(tmp_path: Path, extra: str = "", private: bool = False) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        "# the operator's config\n"
        '[storage]\npath = "archive.db"  # keep me\n'
        f'[http]\ntimeout = "2s"\nallow_private_networks = {str(private).lower()}\n'
        '[notifiers.mail]\ntype = "email"\nhost = "127.0.0.1"\nport = 2525\n'
        'security = "starttls"\nusername = "bot"\npassword = "${NB_SMTP_PASSWORD}"\n'
        'from = "bot@example.org"\nto = ["ops@example.org"]\n' + extra
    )
    return cfg


def test_import_opml_never_expands_variables_from_the_file(tmp_path, http_server: LocalServer):
    """Finding 2: a shared OPML file asks for the SMTP password in its URL and name."""
    env = {"NB_SMTP_PASSWORD": PASSWORD}
    http_server.route("/feed.xml", Reply(200, rss([("a", "A", "http://example.org/a", "t")]), XML))
    cfg = _base_config(tmp_path)
    opml = tmp_path / "shared.opml"
    url = http_server.url("/feed.xml") + "?leak=${NB_SMTP_PASSWORD}"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline text="News ${{NB_SMTP_PASSWORD}}" xmlUrl="{url}"/></body></opml>'
    )
    r = bot("--config", str(cfg), "import-opml", str(opml), env=env)
    assert r.returncode == 0, r.stderr
    assert "# keep me" in cfg.read_text()  # the config's comments survive
    os.environ["NB_SMTP_PASSWORD"] = PASSWORD
    try:
        s = settings.load(cfg)
        assert s.feeds[0].name == "News ${NB_SMTP_PASSWORD}"
        report, _ = run_once(s, channels={})
    finally:
        del os.environ["NB_SMTP_PASSWORD"]
    assert report.new == 1
    [req] = [r for r in http_server.requests if r.path.startswith("/feed.xml")]
    assert PASSWORD not in unquote(req.path)
    assert "${NB_SMTP_PASSWORD}" in unquote(req.path)  # the literal text was fetched


def test_only_secret_fields_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NB_X", "expanded")
    s = settings.from_dict(
        {
            "feeds": [{"name": "n ${NB_X}", "url": "https://a.example/${NB_X}?lit=$${NB_X}"}],
            "watches": [{"name": "w ${NB_X}", "keywords": ["${NB_X}"]}],
            "notifiers": {"hook": {"type": "webhook", "url": "https://h.example/${NB_X}"}},
        }
    )
    assert s.feeds[0].name == "n ${NB_X}"
    assert s.watches[0].name == "w ${NB_X}" and s.watches[0].keywords == ["${NB_X}"]
    assert s.notifiers["hook"].options()["url"] == "https://h.example/expanded"
    assert s.feeds[0].url == "https://a.example/${NB_X}?lit=$${NB_X}"  # kept as written
    fetched = settings.fetch_url(s.feeds[0].url, s.feeds[0].url)
    assert fetched == "https://a.example/expanded?lit=${NB_X}"


def test_an_unset_variable_in_a_feed_url_is_a_config_error(monkeypatch):
    monkeypatch.delenv("NB_NOPE", raising=False)
    with pytest.raises(ConfigError, match=r"feeds\[0\].*NB_NOPE"):
        settings.from_dict({"feeds": [{"url": "https://a.example/?k=${NB_NOPE}"}]})


def test_a_moved_url_expands_only_the_configured_variables(monkeypatch):
    monkeypatch.setenv("NB_KEY", "k3y-value")
    monkeypatch.setenv("NB_OTHER", "other-secret")
    configured = "https://a.example/feed?key=${NB_KEY}"
    moved = settings.as_template("https://b.example/feed?key=k3y-value&x=${NB_OTHER}", configured)
    assert moved == "https://b.example/feed?key=${NB_KEY}&x=$${NB_OTHER}"
    assert settings.fetch_url(configured, moved) == (
        "https://b.example/feed?key=k3y-value&x=${NB_OTHER}"
    )


def test_feed_url_secrets_stay_templates_where_stored_and_shown(
    tmp_path, http_server: LocalServer
) -> None:
    """Finding 7: feeds table, last_error, failure notice, logs, export-opml and check."""
    env = {"NB_FEED_KEY": FEED_KEY, "NB_SMTP_PASSWORD": PASSWORD}
    http_server.route("/old.xml", Reply(301, b"", {"Location": f"/new.xml?key={FEED_KEY}"}))
    served = []

    def new_feed(req: object) -> Reply:  # works once (the move is stored), then fails
        served.append(req)
        if len(served) == 1:
            return Reply(200, rss([("a", "A", "http://example.org/a", "t")]), XML)
        return Reply(404, f"no feed at /new.xml?key={FEED_KEY}".encode())

    http_server.route("/new.xml", new_feed)
    extra = (
        '[health]\nafter = "0s"\nnotify = ["notices"]\n'
        f'[notifiers.notices]\ntype = "jsonl"\npath = "{tmp_path / "notices.jsonl"}"\n'
        f'[[feeds]]\nname = "keyed"\nurl = "{http_server.url("/old.xml")}?key=${{NB_FEED_KEY}}"\n'
    )
    cfg = str(_base_config(tmp_path, extra, private=True))
    outputs = []
    for _ in range(4):  # moved, then three failures in a row send the failure notice
        r = bot("--config", cfg, "-v", "once", env=env)
        outputs += [r.stdout, r.stderr]
    [first, *_] = [r for r in http_server.requests if r.path.startswith("/old.xml")]
    assert first.path.endswith(f"key={FEED_KEY}")
    for cmd in (["export-opml"], ["check"], ["feeds", "--failing"], ["feeds", "--format", "json"]):
        r = bot("--config", cfg, *cmd, env=env)
        outputs += [r.stdout, r.stderr]
    with Store.open(tmp_path / "archive.db") as store:
        feed = store.feed("keyed")
        rows = json.dumps([dict(r) for r in store.db.query("SELECT * FROM feeds")])
        alerts = json.dumps([dict(r) for r in store.db.query("SELECT * FROM alerts")])
    notices = (tmp_path / "notices.jsonl").read_text()
    assert feed.url.endswith("?key=${NB_FEED_KEY}")
    assert feed.current_url.endswith("/new.xml?key=${NB_FEED_KEY}")
    assert "${NB_FEED_KEY}" in (feed.last_error or "")
    assert "keyed" in notices
    for text in [rows, alerts, notices, *outputs]:
        assert FEED_KEY not in text
        assert PASSWORD not in text
