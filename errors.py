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

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a feed poll failed, machine-readable: picks the hint and is stored on the feed."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    HTTP = "http"
    TOO_LARGE = "too_large"
    REDIRECTS = "redirects"
    BLOCKED = "blocked"
    PROTOCOL = "protocol"
    PARSE = "parse"


# The one hint table for a feed that failed: by HTTP status first, then by kind.
HINTS: dict[int | ErrorKind, str] = {
    401: "the feed needs a login; newsbot does not send credentials",
    403: "the server may be blocking bots: set [http] user_agent to something the site accepts",
    404: "not found: the feed moved or was removed; find its new address and update config.toml",
    410: "gone: the feed was removed and is disabled; delete it or change its url",
    429: "rate limited: polling resumes after the server's Retry-After",
    503: "the server is unavailable: polling resumes after its Retry-After",
    500: "server error on the site: retried with backoff",  # and every other 5xx
    ErrorKind.DNS: "the host name does not resolve: check the URL, or the site is gone",
    ErrorKind.CONNECT: "nothing answers at that address, or the connection broke: retried with"
    " backoff",
    ErrorKind.TLS: "TLS failed: the certificate may be expired, self-signed or for another name",
    ErrorKind.TIMEOUT: "the server is too slow or unreachable: retried with backoff; raise"
    " [http] timeout if it is always like this",
    ErrorKind.TOO_LARGE: "the response exceeds [http] max_bytes: is this really a feed? raise"
    " [http] max_bytes if it is",
    ErrorKind.REDIRECTS: "the site redirects in a loop or too often: open the URL in a browser",
    ErrorKind.BLOCKED: "set [http] allow_private_networks = true only if you trust every feed",
    ErrorKind.PROTOCOL: "the server sent a malformed HTTP reply: retried with backoff",
    ErrorKind.PARSE: "the URL may not be a feed any more; open it in a browser",
}


def hint_for(kind: ErrorKind, status: int | None = None) -> str:
    """The hint for a failure of this kind (and HTTP status, when the server answered)."""
    if status is not None and status in HINTS:
        return HINTS[status]
    if status is not None and status >= 500:
        return HINTS[500]
    return HINTS.get(kind, "retried with backoff")


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
    """A fetch failed. ``kind`` says why (it picks the hint from :data:`HINTS` unless one is
    given); ``status`` is the HTTP status when the server answered."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        kind: ErrorKind = ErrorKind.HTTP,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint if hint is not None else hint_for(kind, status))
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class BlockedAddressError(FetchError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint, kind=ErrorKind.BLOCKED)


class ParseError(NewsbotError):
    kind = ErrorKind.PARSE
    status: int | None = None
    retry_after: float | None = None
    default_hint = HINTS[ErrorKind.PARSE]


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
