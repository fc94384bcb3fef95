from __future__ import annotations

import pytest

import settings
from errors import ConfigError


def test_shipped_config_is_valid(tmp_path):
    s = settings.load(settings.Path(__file__).resolve().parent.parent / "config.toml")
    assert s.feeds and s.watches and "console" in s.notifiers


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800), (90, 90), ("1.5h", 5400)],
    ids=["s", "m", "h", "d", "number", "fraction"],
)
def test_durations(value, seconds):
    assert settings.parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "feeds": [
                    {"url": "http://a"},
                    {"url": "http://b"},
                    {"url": "http://c", "interval": "15 minutes"},
                ]
            },
            "feeds[2].interval: '15 minutes' is not a duration like 15m, 1h",
        ),
        ({"feeds": [{"url": "http://a", "colour": "red"}]}, "feeds[0].colour: unknown key"),
        ({"http": {"concurrency": "many"}}, "http.concurrency"),
        ({"feeds": [{"url": "ftp://a"}]}, "must start with http:// or https://"),
        ({"feeds": [{"name": "x"}]}, "feeds[0].url"),
        ({"watches": [{"keywords": ["a"]}]}, "watches[0].name"),
        ({"watches": [{"name": "w", "notify": ["mail"]}]}, "no notifier named 'mail'"),
        ({"notifiers": {"x": {"type": "pigeon"}}}, "notifiers.x.type"),
        (
            {"feeds": [{"url": "http://a", "name": "n"}, {"url": "http://b", "name": "n"}]},
            "feeds[1].name: 'n' is used twice",
        ),
        ({"storage": {"path": "a.db"}, "bogus": {}}, "bogus: unknown key"),
    ],
    ids=[
        "bad-duration",
        "unknown-key",
        "wrong-type",
        "scheme",
        "missing-url",
        "missing-name",
        "unknown-channel",
        "unknown-type",
        "duplicate-name",
        "unknown-section",
    ],
)
def test_bad_config_names_the_key(data, message):
    with pytest.raises(ConfigError) as exc:
        settings.from_dict(data)
    assert message in str(exc.value)


def test_env_references_are_expanded(monkeypatch):
    monkeypatch.setenv("NB_SECRET", "s3cret")
    s = settings.from_dict(
        {"notifiers": {"hook": {"type": "webhook", "url": "http://h", "secret": "${NB_SECRET}"}}}
    )
    assert s.notifiers["hook"].options()["secret"] == "s3cret"
    assert settings.redacted(s)["notifiers"]["hook"]["secret"] == "***"


def test_unset_env_reference_is_an_error(monkeypatch):
    monkeypatch.delenv("NB_MISSING", raising=False)
    with pytest.raises(ConfigError, match=r"notifiers.m.password: environment variable"):
        settings.from_dict({"notifiers": {"m": {"type": "email", "password": "${NB_MISSING}"}}})


def test_toml_syntax_error_is_one_line(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[feeds\nurl=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        settings.load(p)


def test_auto_interval():
    s = settings.from_dict({"feeds": [{"url": "http://a", "interval": "auto"}]})
    assert s.feeds[0].interval is None
