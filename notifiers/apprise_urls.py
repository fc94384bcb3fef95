"""``type = "apprise"``: send through Apprise URLs (Discord, Telegram, ntfy, Mattermost, ...).

Options: ``urls`` (list of Apprise URLs, at least one), ``timeout`` (whole call per target).

Each target gets a body rendered for it: Markdown (``render.markdown``, page values escaped) cut
to the target's own ``body_maxlen`` with the link kept in the head, so chat services that cut
long messages (Discord 2,000, Telegram 4,096) lose snippets, never the alert or its link; the
plugin's overflow mode is also set to ``split`` unless the URL chose one. A headline is hostile
text in the title slot too (:meth:`Target.title`): plain text where the service shows it as
such (a subject, a push title, a JSON field), escaped where it renders Markdown (Slack, Teams
Workflows, Matrix ...), and none where the service blends it into the message (Discord,
Guilded: ``@everyone``, ``<@&role>`` and ``[text](url)`` would go live in ``content``; the body
already starts with the watch and the linked, escaped title). Discord and Guilded also get
``allowed_mentions`` empty (or exactly the ``ping=`` the URL asked for). Markdown is
sent even to services Apprise labels "text": some of them (Mattermost) render Markdown anyway,
so unescaped text there would turn a headline's ``[x](http://evil)`` into a live link.

Apprise's plugin loader imports ``imghdr`` (a DeprecationWarning on 3.11/3.12): plugins are
loaded once here with that warning silenced, so ``filterwarnings = error`` stays usable.
Failure: ``notify`` is false -> DeliveryError (retryable) naming the service and host, never the
URL (tokens live in it). What Apprise's own privacy URL masks is a secret: it is kept out of the
label (Pushover holds its app token where others hold a host), errors and every log line. Targets that succeeded are remembered per alert so a retry after a
partial failure does not post twice to them (within this process).
"""

from __future__ import annotations

import html
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import apprise
from apprise.common import OverflowMode
from apprise.plugins import N_MGR
from pydantic import AfterValidator

import models
import redaction
from errors import DeliveryError
from notifiers import render
from notifiers.base import Options, option_error, redact, register
from settings import Duration

REMEMBER = 1000
MD = apprise.NotifyFormat.MARKDOWN
_PIECES = re.compile(r"[/:@?&=#,]+")
_loaded = False


def _some(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("needs at least one Apprise URL")
    return value


class AppriseOptions(Options):
    urls: Annotated[list[str], AfterValidator(_some)]
    timeout: Duration = 30.0


def load_plugins() -> None:
    """Import Apprise's plugins once, silencing the imghdr DeprecationWarning of their loader."""
    global _loaded
    if not _loaded:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            N_MGR.load_modules()
        _loaded = True


@dataclass
class Target:
    """One Apprise URL: its plugin, a one-service Apprise object and a safe label."""

    plugin: Any
    apobj: apprise.Apprise
    label: str
    secrets: list[str] = field(default_factory=list)

    @property
    def limit(self) -> int | None:
        maxlen = int(getattr(self.plugin, "body_maxlen", 0) or 0)
        return maxlen if maxlen > 0 else None

    def title(self, subject: str) -> str:
        """The title slot's text, made safe for how the service shows it."""
        maxlen = int(getattr(self.plugin, "title_maxlen", 0) or 0)
        kind = type(self.plugin).__name__
        if maxlen <= 0 or kind in BLENDED_TITLE:
            return ""
        if kind in PLAIN_TITLE:
            return render.clip(subject, maxlen)
        shown = _resolved_format(self.plugin)
        if shown == apprise.NotifyFormat.MARKDOWN:
            return render.clip(render.escape_md(subject), maxlen)
        if shown == apprise.NotifyFormat.HTML:
            return render.clip(html.escape(subject), maxlen)
        return render.clip(subject, maxlen)


# Title slots shown as plain text (a subject, a push title, a JSON field).
PLAIN_TITLE = frozenset(
    {
        "NotifyJSON",
        "NotifyXML",
        "NotifyForm",
        "NotifyAppriseAPI",
        "NotifyPushover",
        "NotifyNtfy",
        "NotifyGotify",
        "NotifyEmail",
    }
)
# Services that put the title into the message text itself: they get no title.
BLENDED_TITLE = frozenset({"NotifyDiscord", "NotifyGuilded"})


def _resolved_format(plugin: Any) -> Any:
    resolve = getattr(plugin, "resolve_format", None)
    if resolve is not None:
        return resolve(MD)
    declared = plugin.notify_format
    return MD if isinstance(declared, tuple) and MD in declared else declared


def url_secrets(url: str, private_url: str) -> list[str]:
    """Pieces of an Apprise URL that Apprise's privacy URL masks: tokens, passwords, keys
    (everything the privacy URL still shows verbatim is not a secret)."""
    shown = set(_PIECES.split(private_url.split("://", 1)[-1]))
    rest = url.split("://", 1)[-1]
    return [p for p in _PIECES.split(rest) if len(p) >= 4 and p not in shown]


def label(plugin: Any, private_url: str) -> str:
    """'Mattermost (chat.example)': the host only when Apprise shows it in its privacy URL."""
    host = str(getattr(plugin, "host", "") or "")
    netloc = private_url.split("://", 1)[-1].split("/", 1)[0]
    shown = host and (netloc == host or netloc.startswith((f"{host}:", f"{host}/")))
    return f"{plugin.service_name} ({host})" if shown else str(plugin.service_name)


def _mentions_only_as_asked(plugin: Any) -> None:
    """Discord/Guilded: send ``allowed_mentions`` empty, or as the URL's ``ping=`` asked (Apprise
    writes those as ``allow_mentions``, a key Discord ignores)."""
    send = plugin._send

    def guarded(payload: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        asked = payload.pop("allow_mentions", None)
        payload["allowed_mentions"] = asked or {"parse": []}
        return send(payload, *args, **kwargs)

    plugin._send = guarded


def make_target(name: str, index: int, url: str) -> Target:
    """Instantiate one URL; an unusable one is a ConfigError naming only its scheme."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        raise option_error(name, f"urls[{index}]", f"not a usable Apprise URL ({scheme}://...)")
    if "overflow=" not in url.lower():
        plugin.overflow_mode = OverflowMode.SPLIT
    if type(plugin).__name__ in BLENDED_TITLE and callable(getattr(plugin, "_send", None)):
        _mentions_only_as_asked(plugin)
    apobj = apprise.Apprise()
    apobj.add(plugin)
    private = str(plugin.url(privacy=True))
    secrets = url_secrets(url, private)
    redaction.register_all(secrets)  # Apprise logs its URLs at debug level
    return Target(plugin, apobj, label(plugin, private), secrets)


@register("apprise")
class AppriseNotifier:
    """Notifies every target; fails if any target failed (the others are remembered)."""

    Options = AppriseOptions

    def __init__(self, name: str, options: AppriseOptions, *, base_dir: str = ".") -> None:
        load_plugins()
        self.name = name
        self.options = options
        self.targets = [make_target(name, i, u) for i, u in enumerate(options.urls)]
        self._done: OrderedDict[str, set[int]] = OrderedDict()

    def send(self, alert: models.Alert) -> str:
        return self._notify(
            alert.id, lambda t: render.markdown(alert, limit=t.limit), render.subject(alert)
        )

    def send_digest(self, alerts: Sequence[models.Alert], period: str) -> str:
        key = "digest:" + ",".join(sorted(a.id for a in alerts))
        return self._notify(
            key,
            lambda t: render.digest_markdown(alerts, period, limit=t.limit),
            render.digest_subject(alerts, period),
        )

    def close(self) -> None:
        """Apprise holds no connection between calls."""

    def _notify(self, key: str, body_for: Callable[[Target], str], subject: str) -> str:
        done = self._done.get(key, set())
        failures = []
        for i, target in enumerate(self.targets):
            if i in done:
                continue
            error = self._one(target, body_for(target), target.title(subject))
            if error is None:
                done.add(i)
            else:
                failures.append(error)
        self._remember(key, done)
        if failures:
            raise DeliveryError(
                f"apprise {self.name}: {len(failures)} of {len(self.targets)} targets failed: "
                + "; ".join(failures),
                "check the service and its URL; delivered targets are not sent again",
            )
        self._done.pop(key, None)
        return f"{len(self.targets)} target(s) notified: " + ", ".join(
            t.label for t in self.targets
        )

    def _one(self, target: Target, body: str, title: str) -> str | None:
        """Notify one target; None on success, else a redacted reason."""
        result = target.apobj.notify(
            body=body,
            title=title,
            body_format=MD,
            timeout=self.options.timeout,
        )
        with result:
            if result:
                return None
            logs = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR")]
            reason = render.clip(render.clean(" ".join(logs[-2:])), 300) or result.status.name
        return redact(f"{target.label}: {reason}", target.secrets)

    def _remember(self, key: str, done: set[int]) -> None:
        self._done[key] = done
        self._done.move_to_end(key)
        while len(self._done) > REMEMBER:
            self._done.popitem(last=False)
