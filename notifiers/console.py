"""``type = "console"``: print a readable block per alert to stdout (the default channel).

Options: ``color`` (bool, default false) styles the first line with rich. Text goes through
``render.text``, which strips control characters, and rich's markup parser is never used, so a
title like ``[bold]`` or an ESC sequence prints as inert text.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.text import Text

import models
from notifiers import render
from notifiers.base import Options, register


class ConsoleOptions(Options):
    color: bool = False


@register("console")
class ConsoleNotifier:
    """Writes to ``stream`` (stdout, looked up at send time so redirection works)."""

    Options = ConsoleOptions

    def __init__(
        self,
        name: str,
        options: ConsoleOptions,
        *,
        base_dir: str = ".",
        stream: TextIO | None = None,
    ) -> None:
        self.name = name
        self.options = options
        self._stream = stream

    def send(self, alert: models.Alert) -> str:
        self._write(render.text(alert))
        return "printed"

    def send_digest(self, alerts: Sequence[models.Alert], period: str) -> str:
        self._write(render.digest_text(alerts, period))
        return f"printed digest of {len(alerts)}"

    def close(self) -> None:
        """Nothing to release."""

    def _write(self, block: str) -> None:
        stream = self._stream or sys.stdout
        if not self.options.color:
            stream.write(block + "\n")
            stream.flush()
            return
        first, _, rest = block.partition("\n")
        out = Text(first, style="bold cyan")
        out.append("\n" + rest)
        Console(file=stream, highlight=False, soft_wrap=True).print(out)
