"""config.toml -> frozen, validated Settings.

Every option is declared once here, with its type, default and help (the ``description``);
`bot.py check` prints what was understood and tests check the README names every option.
Unknown keys, wrong types and bad durations are refused with a message naming the key.
``${ENV_VAR}`` is replaced from the environment in the places that hold secrets: every
``[notifiers.*]`` and ``[storage]`` value, and a feed's ``url`` (kept as written everywhere it is
stored or shown, expanded only to fetch it). Names, watches and the other sections are never
expanded, so text that came from elsewhere (an imported OPML file) cannot pull a secret out.
``$${`` writes a literal ``${`` where expansion happens; every expanded value is registered with
:mod:`redaction`, so it is written back as ``${VAR}`` in logs and errors.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Container
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

import redaction
from errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
_ENV = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # $${ is a literal ${
EXPANDED = ("storage", "notifiers")  # sections whose strings may name ${VAR}s


def parse_duration(value: Any) -> float:
    """'30s', '15m', '1h', '2d', '1w' or a number of seconds -> seconds (float)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like 15m, 1h")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is not a duration like 15m, 1h (negative)")
        return float(value)
    m = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not a duration like 15m, 1h")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _auto_or_duration(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    return parse_duration(value)


def _digest(value: Any) -> float | str | None:
    """A digest period ("1h") or a cron expression ("0 8 * * *": every day at 08:00)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value.split()) == 5:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a cron expression: {exc}") from None
        return value
    return parse_duration(value)


Duration = Annotated[float, BeforeValidator(parse_duration)]
Digest = Annotated[float | str | None, BeforeValidator(_digest)]
AutoDuration = Annotated[float | None, BeforeValidator(_auto_or_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Section):
    path: str = Field("newsbot.db", description="SQLite archive file, relative to the config file")
    url: str | None = Field(
        None,
        description="PostgreSQL instead of SQLite: postgresql://user@host:5432/db (a fleet of"
        " workers shares it)",
    )

    @model_validator(mode="after")
    def _postgres_url(self) -> StorageSettings:
        if self.url is not None and not self.url.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"url {self.url!r} must start with postgresql://")
        return self


class HttpSettings(_Section):
    timeout: Duration = Field(20.0, description="connect/read timeout; a whole fetch gets 3x this")
    user_agent: str = Field(
        "newsbot/0.1 (+https://github.com/newsbot; news monitor)",
        description="User-Agent sent with every request",
    )
    concurrency: int = Field(20, ge=1, le=500, description="fetches in flight at once, all hosts")
    per_host: int = Field(2, ge=1, le=50, description="fetches in flight at once to one host")
    max_bytes: int = Field(10_000_000, ge=1024, description="cap on a decoded response body")
    max_redirects: int = Field(5, ge=0, le=20, description="redirect hops followed per fetch")
    allow_private_networks: bool = Field(
        False, description="let article links reach loopback/private addresses (SSRF guard off)"
    )


class PollingSettings(_Section):
    default_interval: Duration = Field(
        900.0, description="deprecated and ignored (accepted so older configs still load)"
    )
    min_interval: Duration = Field(300.0, description="adaptive schedule: shortest interval")
    max_interval: Duration = Field(7200.0, description="adaptive schedule and backoff: longest")
    tick: Duration = Field(15.0, description="how often the service asks which feeds are due")
    jitter: float = Field(
        0.1, ge=0, le=0.5, description="random spread of each interval (fraction)"
    )


class FeedSettings(_Section):
    url: str = Field(description="feed URL (http or https)")
    name: str = Field("", description="display name; defaults to the URL")
    interval: AutoDuration = Field(None, description='poll interval, or "auto" (default)')
    full_text: bool = Field(True, description="fetch each new article's page and extract its text")
    backlog: Literal["alert", "archive"] = Field(
        "alert", description='first poll: "alert" on matching entries, or "archive" silently'
    )
    enabled: bool = Field(True, description="false keeps the feed configured but unpolled")

    @model_validator(mode="after")
    def _default_name(self) -> FeedSettings:
        try:
            url = expand(self.url, "url")  # every ${VAR} must be set; the template is kept
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must start with http:// or https://")
        if not self.name:
            object.__setattr__(self, "name", self.url)
        return self


class WatchSettings(_Section):
    name: str = Field(description="the watch's name, shown in alerts")
    keywords: list[str] = Field(default_factory=list, description="words or phrases, any of them")
    locations: list[str] = Field(default_factory=list, description="places, via the gazetteer")
    query: str = Field("", description="boolean query (AND/OR/NOT, phrases, prefix*, NEAR)")
    feeds: list[str] = Field(
        default_factory=list, description="only these feeds (names); all if empty"
    )
    notify: list[str] = Field(default_factory=list, description="notifier names; all if empty")
    digest: Digest = Field(
        None, description='one digest per period ("1h") or on a cron schedule ("0 8 * * *")'
    )


class NotifierSettings(_Section):
    """One channel. Type-specific keys are checked by the notifier registry."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: Literal["email", "apprise", "webhook", "jsonl", "console"] = Field(
        description="channel kind"
    )
    digest: Digest = Field(None, description="digest period or cron schedule for this channel")
    max_attempts: int = Field(8, ge=1, description="tries before an alert is marked failed")
    rate_limit: int | None = Field(
        None, ge=1, description="at most N messages a minute; the rest are folded into one"
    )
    quiet_hours: str = Field(
        "", description='"22:00-07:00": hold alerts, then send what waited as one message'
    )
    timezone: str = Field("UTC", description="time zone of quiet_hours (IANA name)")
    updates: Literal["none", "thread"] = Field(
        "none",
        description='later reports of a story already alerted: "none", or "thread" (a short'
        " follow-up threaded under the first alert)",
    )
    update_every: Duration = Field(
        600.0,
        ge=0,
        description='"thread": at most one follow-up per story this often after its last'
        " message; later reports wait and are folded into the next one (0: as they come)",
    )

    @model_validator(mode="after")
    def _check_quiet_hours(self) -> NotifierSettings:
        if self.quiet_hours:
            quiet_window(self.quiet_hours, self.timezone)  # raises ValueError
        return self

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class HealthSettings(_Section):
    after: Duration = Field(21600.0, description="a feed failing this long triggers a notice")
    notify: list[str] = Field(default_factory=list, description="channels for feed notices")


class MetricsSettings(_Section):
    listen: str | None = Field(
        None,
        description='host:port serving /metrics (Prometheus) and /healthz, e.g. "127.0.0.1:9108";'
        " off when unset",
    )


class Settings(_Section):
    storage: StorageSettings = Field(default_factory=StorageSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    polling: PollingSettings = Field(default_factory=PollingSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    feeds: list[FeedSettings] = Field(default_factory=list)
    watches: list[WatchSettings] = Field(default_factory=list)
    notifiers: dict[str, NotifierSettings] = Field(default_factory=dict)
    base_dir: str = Field(".", exclude=True, description="folder of the config file")

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        _unique([f.name for f in self.feeds], "feeds", "name")
        _unique([w.name for w in self.watches], "watches", "name")
        names = {f.name for f in self.feeds}
        for i, w in enumerate(self.watches):
            for ch in w.notify:
                if ch not in self.notifiers:
                    raise ValueError(f"watches[{i}].notify: no notifier named {ch!r}")
            for fname in w.feeds:
                if fname not in names:
                    raise ValueError(f"watches[{i}].feeds: no feed named {fname!r}")
        for ch in self.health.notify:
            if ch not in self.notifiers:
                raise ValueError(f"health.notify: no notifier named {ch!r}")
        return self

    @property
    def database(self) -> str:
        """What Store.open takes: the PostgreSQL URL when set, else the SQLite file."""
        return self.storage.url or str(self.db_path)

    @property
    def db_path(self) -> Path:
        p = Path(self.storage.path).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def channels_for(self, watch: WatchSettings) -> list[str]:
        return list(watch.notify) or sorted(self.notifiers)

    def threaded_channels(self) -> frozenset[str]:
        """Channels that get a follow-up for later reports of a story (updates = "thread")."""
        return frozenset(n for n, c in self.notifiers.items() if c.updates == "thread")


_HHMM = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def quiet_window(spec: str, tz: str) -> tuple[int, int, ZoneInfo]:
    """'22:00-07:00' -> (start minute, end minute, zone); ValueError naming what is wrong."""
    m = _HHMM.match(spec)
    if not m:
        raise ValueError(f"quiet_hours {spec!r} is not like 22:00-07:00")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {tz!r} is not an IANA time zone like Europe/Paris") from None
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    return h1 * 60 + m1, h2 * 60 + m2, zone


def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{section}[{i}].{key}: {v!r} is used twice")
        seen.add(v)


def expand(value: str, where: str, names: Container[str] | None = None) -> str:
    """``${VAR}`` -> the variable's value (only the ``names`` given, if any); ``$${`` -> ``${``.
    An unset variable is a ConfigError naming ``where``."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name is None:
            return "${"
        if names is not None and name not in names:
            return m.group(0)
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable ${{{name}}} is not set")
        redaction.register(os.environ[name], f"${{{name}}}")
        return os.environ[name]

    return _ENV.sub(sub, value)


def env_names(template: str) -> set[str]:
    """The variables a template refers to."""
    return {m.group(1) for m in _ENV.finditer(template) if m.group(1)}


def expand_env(value: Any, where: str = "") -> Any:
    """Expand ``${VAR}`` in every string of a TOML tree (see :func:`expand`)."""
    if isinstance(value, dict):
        return {k: expand_env(v, f"{where}.{k}" if where else k) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return expand(value, where) if isinstance(value, str) else value


def fetch_url(configured: str, current: str) -> str:
    """The URL to GET for a feed: its configured template expanded; after a 301/308 the stored
    new URL, where only the configured template's variables are expanded."""
    if current == configured:
        return expand(configured, "feed url")
    return expand(current, "feed url", env_names(configured))


def escape_template(text: str) -> str:
    """Literal text written where ``${VAR}`` would be expanded: every ``${`` becomes ``$${``."""
    return text.replace("${", "$${")


def as_template(url: str, configured: str) -> str:
    """A URL a server gave (a redirect target) written like the config: a literal ``${``
    escaped, the values of the configured template's variables written back as ``${VAR}``."""
    text = escape_template(url)
    for name in sorted(env_names(configured)):
        value = os.environ.get(name, "")
        for form in {value, quote(value, safe="")} if value else ():
            text = text.replace(form, f"${{{name}}}")
    return text


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "constrained-")) or part in ("float", "int"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _error_line(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = _loc(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] in ("value_error",) or "input" not in err:
            pass
        else:
            msg = f"{err['input']!r}: {msg}" if not isinstance(err["input"], dict) else msg
        lines.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(lines)


def from_dict(data: dict[str, Any], base_dir: str = ".") -> Settings:
    """Validate a config tree (already TOML-decoded) into Settings."""
    data = {k: expand_env(v, k) if k in EXPANDED else v for k, v in data.items()}
    try:
        return Settings.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_error_line(exc)) from exc


def read_file(path: Path, what: str) -> bytes:
    """The bytes of a file the operator named; a ConfigError naming it when unreadable."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc.strerror})") from exc


def load(path: str | Path) -> Settings:
    """Read and validate config.toml; every problem is a ConfigError naming the key."""
    p = Path(path)
    raw = read_file(p, "config")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    return from_dict(data, base_dir=str(p.resolve().parent))


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as a dict with secrets (password, secret, token, urls) masked."""
    data = settings.model_dump(mode="json")
    for ch in data.get("notifiers", {}).values():
        for k in list(ch):
            if k in ("password", "secret", "token") and ch[k]:
                ch[k] = "***"
            if k == "urls":
                ch[k] = [re.sub(r"//[^/@]*@", "//***@", u) for u in ch[k]]
            if k == "url" and isinstance(ch[k], str):
                ch[k] = re.sub(r"//[^/@]*@", "//***@", ch[k])
    return data
