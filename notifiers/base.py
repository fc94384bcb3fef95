"""The Notifier protocol and the registry of channel types.

A channel is a small class registered under its type name with :func:`register`; built-ins
register exactly like add-ons would, so :func:`build` never grows an ``if type == ...`` chain::

    @register("webhook")
    class WebhookNotifier:
        Options = WebhookOptions          # pydantic model, extra keys forbidden
        def __init__(self, name: str, options: WebhookOptions, *, base_dir: str) -> None: ...

``build`` validates ``[notifiers.NAME]``'s type-specific keys with the class's ``Options`` model
and reports any problem as a :class:`errors.ConfigError` naming ``notifiers.NAME.key``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

import models
import redaction
import settings as settings_mod
from errors import ConfigError


@runtime_checkable
class Notifier(Protocol):
    """What the delivery loop calls. ``send`` returns a short receipt or raises DeliveryError."""

    name: str

    def send(self, alert: models.Alert) -> str: ...

    def send_digest(self, alerts: Sequence[models.Alert], period: str) -> str: ...

    def close(self) -> None: ...


class Options(BaseModel):
    """Base of every channel's options: unknown keys are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


REGISTRY: dict[str, type] = {}

_T = TypeVar("_T", bound=type)


def register(type_name: str) -> Callable[[_T], _T]:
    """Class decorator: make a channel class available as ``type = "<type_name>"``."""

    def deco(cls: _T) -> _T:
        if not isinstance(getattr(cls, "Options", None), type):
            raise TypeError(f"{cls.__name__} needs an Options model to be registered")
        REGISTRY[type_name] = cls
        return cls

    return deco


def build(name: str, cfg: settings_mod.NotifierSettings, *, base_dir: str = ".") -> Notifier:
    """Validate ``[notifiers.NAME]`` and return a ready channel; problems are ConfigError."""
    cls = REGISTRY.get(cfg.type)
    if cls is None:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError(f"notifiers.{name}.type: unknown type {cfg.type!r} (known: {known})")
    options_model: type[BaseModel] = getattr(cls, "Options")  # noqa: B009  (plain `type`)
    try:
        options = options_model.model_validate(cfg.options())
    except ValidationError as exc:
        raise ConfigError(validation_message(name, exc)) from None
    notifier: Notifier = cls(name, options, base_dir=base_dir)
    return notifier


def build_all(settings: settings_mod.Settings) -> dict[str, Notifier]:
    """Every configured channel, by name; closes the ones built so far if one fails."""
    built: dict[str, Notifier] = {}
    try:
        for name, cfg in settings.notifiers.items():
            built[name] = build(name, cfg, base_dir=settings.base_dir)
    except BaseException:
        for notifier in built.values():
            notifier.close()
        raise
    return built


def validation_message(name: str, exc: ValidationError) -> str:
    """One line per problem, each naming ``notifiers.NAME.key``; values are never echoed
    (they may be passwords or tokens)."""
    parts = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        parts.append(f"notifiers.{name}{loc}: {msg.removeprefix('Value error, ')}")
    return "; ".join(parts)


def option_error(name: str, key: str, message: str) -> ConfigError:
    """A ConfigError for a problem found after validation (e.g. an unusable Apprise URL)."""
    return ConfigError(f"notifiers.{name}.{key}: {message}")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` and URL credentials masked (and what the
    process registered with :mod:`redaction`)."""
    return redaction.scrub(text, secrets)


def no_crlf(value: Any) -> Any:
    """Pydantic helper: refuse CR/LF (header injection) in a string option."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        raise ValueError("must not contain line breaks")
    return value
