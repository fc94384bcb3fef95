"""Attacks on the command line, reproduced on loopback (issue 18): a headline with Rich markup
(``[/x]`` crashed `search`, `matches` and `alerts list`; ``[link=...]`` printed a disguised
OSC-8 hyperlink; ``[black on black]`` hid text) or with terminal control sequences. The
commands run as a user runs them, in a terminal-like setting (FORCE_COLOR: Rich would emit
styles and links if it interpreted the text)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import HOSTILE, TERMINAL_UNSAFE, json_feed
from httpserver import LocalServer, Reply

ROOT = Path(__file__).resolve().parent.parent
SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own styling of table headers and borders


def bot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An archive whose articles carry every hostile headline, built by `once`."""
    tmp = tmp_path_factory.mktemp("cli")
    server = LocalServer().start()
    server.route(
        "/feed.json",
        Reply(200, json_feed(server.url("")), {"Content-Type": "application/feed+json"}),
    )
    cfg = tmp / "config.toml"
    cfg.write_text(
        '[storage]\npath = "archive.db"\n[http]\nallow_private_networks = true\ntimeout = "2s"\n'
        f'[[feeds]]\nname = "Hostile [/x] \\u001b[31mwire"\nurl = "{server.url("/feed.json")}"\n'
        "full_text = false\n"
        '[[watches]]\nname = "Aleppo"\nkeywords = ["Aleppo"]\n'
        f'[notifiers.out]\ntype = "jsonl"\npath = "{tmp / "alerts.jsonl"}"\n'
    )
    r = bot("--config", str(cfg), "once")
    server.stop()
    assert r.returncode == 0, r.stderr
    return str(cfg)


def _assert_inert(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "MarkupError" not in r.stderr
    out = r.stdout
    assert "\x1b]8;" not in out  # no OSC-8 hyperlink
    assert "30;40" not in out  # no black on black
    assert not TERMINAL_UNSAFE.search(SGR.sub("", out)), repr(out)
    return SGR.sub("", out)


@pytest.mark.parametrize(
    "command",
    [
        ["search", "Aleppo", "--limit", "50"],
        ["matches", "--limit", "50"],
        ["alerts", "list"],
        ["feeds"],
        ["check"],
    ],
    ids=["search", "matches", "alerts", "feeds", "check"],
)
def test_hostile_headlines_print_as_inert_text(archive: str, command: list[str]) -> None:
    """Finding 4."""
    out = _assert_inert(bot("--config", archive, *command))
    assert "[/x]" in out  # shown, as text


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_machine_formats_keep_the_data_without_live_controls(archive: str, fmt: str) -> None:
    r = bot("--config", archive, "search", "Aleppo", "--limit", "50", "--format", fmt)
    assert r.returncode == 0 and not TERMINAL_UNSAFE.search(r.stdout)
    if fmt == "json":
        titles = {h["title"] for h in json.loads(r.stdout)}
        assert HOSTILE["bidi-override"] in titles  # the data itself is intact
        assert HOSTILE["rich-link"] in titles


def test_watches_test_prints_the_text_inert(archive: str) -> None:
    text = " ".join(HOSTILE.values())
    out = _assert_inert(bot("--config", archive, "watches", "test", text))
    assert "Aleppo: FIRES" in out


def test_check_warns_that_security_none_sends_the_password_in_clear(tmp_path: Path) -> None:
    """Finding 13."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[notifiers.mail]\ntype = "email"\nhost = "mail.example"\nsecurity = "none"\n'
        'username = "bot"\npassword = "${NB_MAIL_PW}"\nfrom = "a@example.org"\nto = ["b@example.org"]\n'
    )
    r = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(cfg), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NB_MAIL_PW": "pw-in-clear-123"},
    )
    assert r.returncode == 0, r.stderr
    assert 'notifiers.mail: security = "none" sends the SMTP password in clear' in r.stdout
    assert "pw-in-clear-123" not in r.stdout
