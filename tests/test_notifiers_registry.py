"""Registry, build/build_all, option validation; the jsonl and console channels."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from test_notifiers_fixtures import match_alert, notice_alert

import notifiers
import settings
from errors import ConfigError, DeliveryError
from notifiers.base import Notifier


def cfg(**kw: object) -> settings.NotifierSettings:
    return settings.NotifierSettings(**kw)


def test_builtins_are_registered() -> None:
    assert set(notifiers.REGISTRY) == {"console", "jsonl", "email", "webhook", "apprise"}


@pytest.mark.parametrize(
    "name, kw, needle",
    [
        ("out", {"type": "console", "colour": True}, "notifiers.out.colour: unknown key"),
        (
            "log",
            {"type": "jsonl", "path": "a.jsonl", "mode": "w"},
            "notifiers.log.mode: unknown key",
        ),
        ("mail", {"type": "email", "host": "smtp.example.org"}, "notifiers.mail.to: is required"),
        ("mail", {"type": "email", "to": []}, "notifiers.mail.to"),
        ("mail", {"type": "email", "to": ["not-an-address"]}, "notifiers.mail.to"),
        (
            "mail",
            {"type": "email", "to": ["a@b.c"], "from": "x@y.z\r\nBcc: v@w.x"},
            "notifiers.mail.from",
        ),
        ("mail", {"type": "email", "to": ["a@b.c"], "security": "ssl"}, "notifiers.mail.security"),
        ("mail", {"type": "email", "to": ["a@b.c"], "timeout": "soon"}, "notifiers.mail.timeout"),
        ("hook", {"type": "webhook"}, "notifiers.hook.url: is required"),
        ("hook", {"type": "webhook", "url": "file:///etc/passwd"}, "notifiers.hook.url"),
        (
            "hook",
            {"type": "webhook", "url": "https://x.org", "headers": {"X-A": "1\r\nX-B: 2"}},
            "notifiers.hook.headers.X-A",
        ),
        ("chat", {"type": "apprise", "urls": []}, "notifiers.chat.urls"),
        (
            "chat",
            {"type": "apprise", "urls": ["nosuchscheme://tok3n@host"]},
            "notifiers.chat.urls[0]",
        ),
    ],
    ids=[
        "console-extra",
        "jsonl-extra",
        "email-no-to",
        "email-empty-to",
        "email-bad-to",
        "email-crlf-from",
        "email-security",
        "email-timeout",
        "webhook-no-url",
        "webhook-scheme",
        "webhook-header-crlf",
        "apprise-empty",
        "apprise-bad-url",
    ],
)
def test_bad_options_name_the_key(name: str, kw: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        notifiers.build(name, cfg(**kw))
    assert needle in str(err.value)


def test_secrets_never_echoed_in_config_errors() -> None:
    with pytest.raises(ConfigError) as err:
        notifiers.build("m", cfg(type="email", to=["a@b.c"], password=["hunter2secret"]))
    assert "hunter2secret" not in str(err.value)
    with pytest.raises(ConfigError) as err:
        notifiers.build("c", cfg(type="apprise", urls=["bogus://user:hunter2secret@h/tok"]))
    assert "hunter2secret" not in str(err.value)


def test_email_port_defaults_by_security() -> None:
    ports = {
        sec: notifiers.build("m", cfg(type="email", to="a@b.c", security=sec)).options.port
        for sec in ("starttls", "tls", "none")
    }
    assert ports == {"starttls": 587, "tls": 465, "none": 25}


def test_build_all_builds_every_channel(tmp_path: Path) -> None:
    s = settings.from_dict(
        {"notifiers": {"out": {"type": "console"}, "log": {"type": "jsonl", "path": "x.jsonl"}}},
        base_dir=str(tmp_path),
    )
    built = notifiers.build_all(s)
    assert sorted(built) == ["log", "out"]
    assert all(isinstance(n, Notifier) for n in built.values())
    assert built["log"].path == tmp_path / "x.jsonl"
    for n in built.values():
        n.close()


def test_jsonl_appends_one_line_per_alert(tmp_path: Path) -> None:
    n = notifiers.build("log", cfg(type="jsonl", path="out/alerts.jsonl"), base_dir=str(tmp_path))
    n.send(match_alert("a-1"))
    n.send(notice_alert("n-1"))
    lines = (tmp_path / "out" / "alerts.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    for key in ("alert_id", "watch", "url", "title", "feed", "published", "matches", "locations"):
        assert key in first and key in second
    assert first["alert_id"] == "a-1" and first["published"] == "2024-05-01T12:30:00Z"
    assert first["locations"][0]["geonameid"] == 170063
    assert first["matches"][0]["place"]["country_code"] == "SY"
    assert second["kind"] == "notice" and second["matches"] == []


def test_jsonl_resend_is_not_written_twice(tmp_path: Path) -> None:
    n = notifiers.build("log", cfg(type="jsonl", path="a.jsonl"), base_dir=str(tmp_path))
    assert n.send(match_alert("a-1")).startswith("appended")
    assert n.send(match_alert("a-1")) == "already in file"
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 1


def test_jsonl_unicode_line_separators_stay_in_one_line(tmp_path: Path) -> None:
    n = notifiers.build("log", cfg(type="jsonl", path="a.jsonl"), base_dir=str(tmp_path))
    n.send(match_alert("a-1", title="one\u2028two\x85three\nfour"))
    text = (tmp_path / "a.jsonl").read_text()
    assert len(text.splitlines()) == 1
    assert json.loads(text)["title"] == "one\u2028two\x85three\nfour"


def test_jsonl_digest_writes_each_alert(tmp_path: Path) -> None:
    n = notifiers.build("log", cfg(type="jsonl", path="a.jsonl"), base_dir=str(tmp_path))
    n.send_digest([match_alert("a-1"), match_alert("a-2")], "1h")
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 2


def test_jsonl_unwritable_path_is_permanent(tmp_path: Path) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    n = notifiers.build("log", cfg(type="jsonl", path="dir.jsonl"), base_dir=str(tmp_path))
    with pytest.raises(DeliveryError) as err:
        n.send(match_alert())
    assert err.value.permanent


def test_console_prints_a_readable_block(capsys: pytest.CaptureFixture[str]) -> None:
    n = notifiers.build("out", cfg(type="console"))
    assert n.send(match_alert(title="Shelling in Aleppo\x1b[2J")) == "printed"
    out = capsys.readouterr().out
    assert out.startswith("[Syria hotspots] Shelling in Aleppo [2J — Example World News — ")
    assert "\x1b" not in out
    assert "  https://news.example.org/world/aleppo-shelling?id=7&src=rss\n" in out
    assert "  matched: Aleppo (location: Aleppo, SY), shelling (keyword)" in out


def test_console_color_does_not_interpret_markup() -> None:
    buf = io.StringIO()
    n = notifiers.console.ConsoleNotifier(
        "out", notifiers.console.ConsoleOptions(color=True), stream=buf
    )
    n.send(match_alert(title="[bold red]not markup[/]"))
    n.send_digest([match_alert(), notice_alert()], "1h")
    assert "[bold red]not markup[/]" in buf.getvalue()
    assert "== feed notices (1) ==" in buf.getvalue()
