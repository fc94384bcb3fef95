"""``type = "jsonl"``: append one JSON object per alert to a file (a contract other tools read).

Each line is ``render.to_json(alert)``: at least ``alert_id, watch, url, title, feed, published,
matches, locations, story_id`` (plus ``kind``, ``body`` for notices; ``thread_of`` and
``also_reported_by`` for a story's follow-up). Written ASCII-only (``\\u`` escapes),
so no Unicode line separator inside a title can split a record; one ``write`` per line on an
``O_APPEND`` file, then flush + fsync before the receipt. A resend after a crash (the line was
written, the outbox not yet marked) is detected in the file's tail and not written twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import models
from errors import DeliveryError
from notifiers import render
from notifiers.base import Options, register

TAIL_BYTES = 256 * 1024


class JsonlOptions(Options):
    path: str = "alerts.jsonl"


@register("jsonl")
class JsonlNotifier:
    """Appends to ``path`` (relative to the config file's folder)."""

    Options = JsonlOptions

    def __init__(self, name: str, options: JsonlOptions, *, base_dir: str = ".") -> None:
        self.name = name
        p = Path(options.path).expanduser()
        self.path = p if p.is_absolute() else Path(base_dir) / p

    def send(self, alert: models.Alert) -> str:
        written = self._append([alert])
        return f"appended to {self.path.name}" if written else "already in file"

    def send_digest(self, alerts: Sequence[models.Alert], period: str) -> str:
        """A digest is still one line per alert: the file's format does not change."""
        return f"appended {self._append(alerts)} of {len(alerts)} to {self.path.name}"

    def close(self) -> None:
        """Nothing held open between sends."""

    def _append(self, alerts: Sequence[models.Alert]) -> int:
        try:
            tail = _tail(self.path)
            lines = [line(a) for a in alerts if _key(a.id) not in tail]
            if lines:
                _write_synced(self.path, "".join(lines).encode("ascii"))
        except (PermissionError, IsADirectoryError, NotADirectoryError) as exc:
            raise DeliveryError(
                f"jsonl {self.name}: cannot write {self.path}: {exc.strerror}",
                "check [notifiers] path and its folder's permissions",
                permanent=True,
            ) from exc
        except OSError as exc:
            raise DeliveryError(f"jsonl {self.name}: write to {self.path} failed: {exc}") from exc
        return len(lines)


def line(alert: models.Alert) -> str:
    """One record, newline-terminated."""
    return json.dumps(render.to_json(alert), ensure_ascii=True, separators=(",", ":")) + "\n"


def _key(alert_id: str) -> str:
    return '{"alert_id":' + json.dumps(alert_id, ensure_ascii=True) + ","


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(f.seek(0, os.SEEK_END) - TAIL_BYTES, 0))
            return f.read().decode("ascii", errors="replace")
    except FileNotFoundError:
        return ""


def _write_synced(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
