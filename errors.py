"""The one exception tree of newsbot.

    NewsbotError                 message + hint; the CLI prints both, never a traceback
     ├─ ConfigError              config.toml unreadable or invalid (exit 2)
     ├─ StorageError             the SQLite archive cannot be opened/written
     ├─ FetchError               an HTTP fetch failed (feed or article page)
     │   └─ BlockedAddressError  the SSRF guard refused a host/address/scheme
     ├─ ParseError               the bytes are not a feed we can read
     ├─ ExtractError             an article page gave no usable text
     ├─ QueryError               a watch/search query does not parse (carries the position)
     ├─ PlaceError               a watch location cannot be resolved in the gazetteer
     └─ DeliveryError            a notifier could not hand an alert over (retry_after, permanent)

Foreign errors (httpx, smtplib, feedparser, sqlite3) are mapped at the boundary with
``raise ... from exc``; nothing outside this tree escapes a stage.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base error: ``message`` says what went wrong, ``hint`` what the operator can do."""

    default_hint = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with every attribute (hint, kind, status...): errors cross process pools."""
        return (_rebuild, (type(self), self.message, self.__dict__))

    def render(self) -> str:
        """One line for the operator: message, then the hint if there is one."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


def _rebuild(cls: type[NewsbotError], message: str, state: dict[str, object]) -> NewsbotError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ConfigError(NewsbotError):
    default_hint = "fix config.toml and run `bot.py check`"


class StorageError(NewsbotError):
    default_hint = "check [storage] path, free disk space and file permissions"


class FetchError(NewsbotError):
    """A fetch failed. ``kind`` is a short machine-readable cause used for hints and backoff.

    kinds: dns, connect, tls, timeout, http, too_large, redirects, blocked, protocol
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        kind: str = "http",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class BlockedAddressError(FetchError):
    default_hint = "set [http] allow_private_networks = true only if you trust every feed"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint, kind="blocked")


class ParseError(NewsbotError):
    default_hint = "the URL may not be a feed any more; open it in a browser"


class ExtractError(NewsbotError):
    default_hint = "the feed summary is kept instead"


class QueryError(NewsbotError):
    default_hint = 'use terms, "phrases", AND, OR, NOT, (), prefix*, NEAR(a b, 10)'

    def __init__(self, message: str, position: int = 0, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.position = position


class PlaceError(NewsbotError):
    default_hint = 'pin the place: "Palmyra, Syria", "Palmyra, US-NY" or "geonames:163808"'


class DeliveryError(NewsbotError):
    """A channel refused or failed. ``permanent`` errors are dead-lettered, never retried."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after
        self.permanent = permanent
