"""Every option and every command is documented in the README (Datasette's test_docs)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import bot
import settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

SECTIONS = {
    "storage": settings.StorageSettings,
    "metrics": settings.MetricsSettings,
    "http": settings.HttpSettings,
    "polling": settings.PollingSettings,
    "health": settings.HealthSettings,
    "[feeds]": settings.FeedSettings,
    "[watches]": settings.WatchSettings,
    "notifiers.NAME": settings.NotifierSettings,
}


def _options():
    for section, model in SECTIONS.items():
        for key in model.model_fields:
            yield f"[{section}] {key}"


def _commands():
    parser = bot._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("option", list(_options()))
def test_option_is_documented(option):
    section, key = option.rsplit(" ", 1)
    rows = [line for line in README.splitlines() if line.startswith(f"| `{section} ")]
    assert any(f"{section} {key}`" in r or f"/ `{key}`" in r for r in rows), option


@pytest.mark.parametrize("command", _commands())
def test_command_is_documented(command):
    assert f"| `{command}" in README, command
