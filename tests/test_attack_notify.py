"""Attacks through the channels, reproduced on loopback (issue 18): a headline that pings a
whole Discord server or disguises a link through Apprise's title slot, a webhook receiver that
echoes its URL's token, and Apprise tokens in `-v` logs and labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from feedfactory import rss
from httpserver import LocalServer, Reply
from test_notifiers_fixtures import match_alert

import notifiers
import settings
from notifiers.apprise_urls import load_plugins, make_target

ROOT = Path(__file__).resolve().parent.parent
PINGS = "@everyone @here <@&123456789> <@987654321>"
LINK = "[Log in to keep reading](http://evil.example/login)"
HOSTILE = f"Aleppo {PINGS} {LINK} **bold**"
TOKEN = "T0KEN-9f8e7d6c5b4a"
APPRISE_TOKEN = "s3cr3tAPPRISEtok3n"


def bot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def chat(*urls: str) -> notifiers.Notifier:
    return notifiers.build("chat", settings.NotifierSettings(type="apprise", urls=list(urls)))


def _assert_inert(text: str) -> None:
    for mention in ("@everyone", "@here", "<@&123456789>", "<@987654321>"):
        assert mention not in text, mention
    assert "](http://evil.example/login)" not in text or "\\]" in text
    assert "[Log in to keep reading](http://evil.example/login)" not in text


@pytest.mark.parametrize("kind", ["discord", "guilded"])
def test_discord_and_guilded_payloads_ping_nobody(
    kind: str, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 3: Apprise puts the title into Discord's ``content``, where mentions and links
    are live. A loopback server poses as the service."""
    load_plugins()
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.guilded import NotifyGuilded

    plugin: Any = NotifyDiscord if kind == "discord" else NotifyGuilded
    monkeypatch.setattr(plugin, "notify_url", http_server.url("/api/webhooks"))
    http_server.route(f"/api/webhooks/4242/{APPRISE_TOKEN}", Reply(204, b""))
    chat(f"{kind}://4242/{APPRISE_TOKEN}").send(match_alert(title=HOSTILE))
    [req] = http_server.hits(f"/api/webhooks/4242/{APPRISE_TOKEN}")
    payload = json.loads(req.body)
    _assert_inert(json.dumps(payload, ensure_ascii=False))
    assert payload["allowed_mentions"] == {"parse": []}
    assert "http://evil.example/login" in payload["content"]  # shown as text, escaped


def test_discord_ping_option_is_kept_and_nothing_else(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_plugins()
    from apprise.plugins.discord import NotifyDiscord

    monkeypatch.setattr(NotifyDiscord, "notify_url", http_server.url("/api/webhooks"))
    http_server.route(f"/api/webhooks/4242/{APPRISE_TOKEN}", Reply(204, b""))
    ping = "%3C%40%26555%3E"  # <@&555>: the operator asks for that role to be pinged
    chat(f"discord://4242/{APPRISE_TOKEN}?ping={ping}").send(match_alert(title=HOSTILE))
    [req] = [r for r in http_server.requests if r.path.startswith("/api/webhooks/4242/")]
    payload = json.loads(req.body)
    assert payload["allowed_mentions"]["roles"] == ["555"]
    assert "123456789" not in json.dumps(payload["allowed_mentions"])


def test_teams_workflow_title_block_is_escaped(
    http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teams Workflows renders Markdown in the title block; Apprise only speaks https to it, so
    the request is sent to the loopback server instead."""
    load_plugins()
    import requests
    from apprise.plugins import workflows

    real_post = requests.post

    def to_loopback(url: str, *args: Any, **kwargs: Any) -> Any:
        path = url.split("://", 1)[1].split("/", 1)[1]
        return real_post(http_server.url("/" + path), *args, **kwargs)

    monkeypatch.setattr(workflows.requests, "post", to_loopback)
    http_server.route("/workflows/wf1/triggers/manual/paths/invoke", Reply(200, b"{}"))
    chat("workflow://teams.example:443/wf1/sig1SECRETsig").send(match_alert(title=HOSTILE))
    [req] = [r for r in http_server.requests if r.path.startswith("/workflows/wf1/")]
    card = json.loads(req.body)
    blocks = card["attachments"][0]["content"]["body"]
    title = next(b["text"] for b in blocks if b.get("id") == "title")
    assert "\\[Log in to keep reading\\]\\(http://evil.example/login\\)" in title
    assert "\\*\\*bold\\*\\*" in title
    _assert_inert(json.dumps(card, ensure_ascii=False))


def test_plain_title_slots_stay_plain(http_server: LocalServer) -> None:
    http_server.route("/hook", Reply(200, b"ok"))
    chat(f"json://127.0.0.1:{http_server.port}/hook").send(match_alert(title="A [b] *c*"))
    assert json.loads(http_server.hits("/hook")[0].body)["title"] == "[Syria hotspots] A [b] *c*"


def test_pushover_app_token_is_not_shown_as_a_host() -> None:
    """Finding 8: Apprise holds Pushover's app token where other services hold a host."""
    load_plugins()
    target = make_target(
        "chat", 0, "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi"
    )
    assert target.label == "Pushover"
    assert "azGDORePK8gMaC0QOYAMyEEuzJnyUi" in target.secrets
    assert make_target("chat", 0, "ntfy://ntfy.example/alerts").label == "ntfy (ntfy.example)"


def _site(tmp_path: Path, server: LocalServer, notifier: str) -> Path:
    items = [("a-1", "Shelling in Aleppo overnight", "http://example.org/a1", "Aleppo")]
    server.route("/feed.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[storage]\npath = "archive.db"\n[http]\nallow_private_networks = true\ntimeout = "2s"\n'
        f'[[feeds]]\nname = "wire"\nurl = "{server.url("/feed.xml")}"\nfull_text = false\n'
        '[[watches]]\nname = "Aleppo"\nkeywords = ["Aleppo"]\n' + notifier
    )
    return cfg


def test_webhook_token_echoed_by_the_receiver_is_never_stored_or_shown(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """Finding 6: "Cannot POST /hooks/TOKEN" must not reach alerts.last_error, logs or
    `notify test`."""
    path = f"/hooks/{TOKEN}"
    http_server.route(path, lambda req: Reply(404, f"Cannot POST {req.path}".encode()))
    notifier = f'[notifiers.hook]\ntype = "webhook"\nurl = "{http_server.url(path)}?sig={TOKEN}x"\n'
    cfg = str(_site(tmp_path, http_server, notifier))
    once = bot("--config", cfg, "-v", "once")
    test = bot("--config", cfg, "notify", "test", "hook")
    listing = bot("--config", cfg, "alerts", "list")
    assert test.returncode == 1 and "Cannot POST" in test.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "archive.db") as db:
        errors = [r[0] for r in db.execute("SELECT last_error FROM alerts")]
    assert errors and all("HTTP 404" in e for e in errors)
    for text in [*errors, once.stdout, once.stderr, test.stdout, test.stderr, listing.stdout]:
        assert TOKEN not in text


def test_apprise_tokens_stay_out_of_verbose_logs(tmp_path: Path, http_server: LocalServer) -> None:
    """Finding 8: Apprise logs each POST URL at debug level."""
    http_server.route(f"/hooks/{APPRISE_TOKEN}", Reply(500, f"bad {APPRISE_TOKEN}".encode()))
    notifier = (
        f'[notifiers.chat]\ntype = "apprise"\nurls = ["mmost://127.0.0.1:{http_server.port}/'
        f'{APPRISE_TOKEN}"]\n'
    )
    cfg = str(_site(tmp_path, http_server, notifier))
    once = bot("--config", cfg, "-v", "once")
    test = bot("--config", cfg, "-v", "notify", "test", "chat")
    assert http_server.hits(f"/hooks/{APPRISE_TOKEN}")  # it was really sent
    assert "Mattermost webhook POST URL" in once.stderr  # the debug line is there, masked
    assert "Mattermost (127.0.0.1)" in test.stdout
    for text in (once.stdout, once.stderr, test.stdout, test.stderr):
        assert APPRISE_TOKEN not in text
