"""The only httpx client factory: limits, caps, redirects, conditional GET and the SSRF guard.

    async with make_client(settings.http) as fetcher:
        result = await fetcher.fetch(feed.url, etag=feed.etag, trusted=True)

One shared ``httpx.AsyncClient`` with ``follow_redirects=False``: :class:`Fetcher` follows
redirects itself so that every hop goes through :mod:`feeds.guard` and connects to the address
the guard checked (the URL host is replaced by that IP; ``Host`` and TLS SNI keep the name).
Every fetch holds a per-host and a global slot, gets connect/read timeouts and a total deadline
(3x the timeout), and its DECODED body is capped while streaming (gzip bombs included).
Whatever a server does, :meth:`Fetcher.fetch` raises only :class:`errors.FetchError`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from http import HTTPStatus
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any

import httpx

import models
import retry
import settings
from errors import BlockedAddressError, ErrorKind, FetchError
from feeds import guard
from feeds.body import BodyDecoder
from feeds.guard import Resolver

__all__ = ["FEED_ACCEPT", "PAGE_ACCEPT", "Fetcher", "Resolver", "make_client"]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate"
DEADLINE_FACTOR = 3.0
MAX_ADDRESSES = 3  # addresses of one host tried when connecting fails
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})


def make_client(
    http: settings.HttpSettings, *, resolver: Resolver | None = None, host_gate: Any = None
) -> Fetcher:
    """Build the one Fetcher of the process from ``[http]`` settings. ``host_gate``: an
    object whose ``slot(host)`` bounds a host fleet-wide (storage/hostgate.py), or None."""
    client = httpx.AsyncClient(
        headers={"User-Agent": http.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=httpx.Timeout(http.timeout),
        limits=httpx.Limits(max_connections=http.concurrency, max_keepalive_connections=20),
        follow_redirects=False,
        trust_env=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # never store cookies
    )
    return Fetcher(http, client, resolver or guard.system_resolver, host_gate)


@dataclasses.dataclass
class _Slot:
    semaphore: asyncio.Semaphore
    users: int = 0


class Fetcher:
    """GETs URLs through one shared client; an async context manager."""

    def __init__(
        self,
        http: settings.HttpSettings,
        client: httpx.AsyncClient,
        resolver: Resolver,
        host_gate: Any = None,
    ) -> None:
        self._http = http
        self._gate = host_gate
        self._client = client
        self._resolver = resolver
        self._global = asyncio.Semaphore(http.concurrency)
        self._hosts: dict[str, _Slot] = {}
        self.deadline = DEADLINE_FACTOR * http.timeout

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        trusted: bool = False,
        accept: str = FEED_ACCEPT,
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> models.FetchResult:
        """GET ``url`` (following guarded redirects); 304 gives ``content=b""``.

        ``trusted`` (a URL from config.toml) skips the address check of the first hop only.
        ``ready``: awaited once the slots are held, just before the request goes out (it may
        raise to call the request off: a fleet worker's lease that ran out meanwhile).
        """
        first = guard.parse_url(url)
        conditional = _conditional_headers(etag, last_modified)
        async with self._host_slot(guard.ascii_host(first)), self._global:
            if ready is not None:
                await ready()
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.deadline):
                    result = await self._follow(first, conditional, trusted, accept)
            except TimeoutError as exc:
                raise FetchError(
                    f"GET {url}: no complete answer within {self.deadline:g}s",
                    kind=ErrorKind.TIMEOUT,
                ) from exc
        if result.status == 304:  # a 304 may omit the validators: keep the ones we sent
            result = dataclasses.replace(
                result,
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
            )
        return dataclasses.replace(result, elapsed=time.monotonic() - started)

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the ``per_host`` slots of ``host`` (in this process, then in the fleet
        when a host gate is given); forget the host when idle."""
        slot = self._hosts.setdefault(host, _Slot(asyncio.Semaphore(self._http.per_host)))
        slot.users += 1
        try:
            async with slot.semaphore, self._gate.slot(host) if self._gate else nullcontext():
                yield
        finally:
            slot.users -= 1
            if slot.users == 0:
                self._hosts.pop(host, None)

    async def _follow(
        self, url: httpx.URL, conditional: dict[str, str], trusted: bool, accept: str
    ) -> models.FetchResult:
        """Follow at most ``max_redirects`` hops, checking the guard on each one."""
        headers = {"Accept": accept, **conditional}
        check = not self._http.allow_private_networks
        start, permanent = url, True
        for hop in range(self._http.max_redirects + 1):
            checked = check and not (trusted and hop == 0)
            with _naming_the_start(start, hop):
                targets = await guard.pin_all(url, self._resolver, check_addresses=checked)
            response = await self._send_any(targets, headers)
            try:
                with _naming_the_start(start, hop + 1):
                    location = _redirect_location(url, response)
                if location is None:
                    moved = str(url) if hop > 0 and permanent else None
                    return await self._result(url, response, moved)
            finally:
                await response.aclose()
            permanent = permanent and response.status_code in PERMANENT
            url = location
        raise FetchError(
            f"GET {start}: more than {self._http.max_redirects} redirects (last {url})",
            kind=ErrorKind.REDIRECTS,
        )

    async def _send_any(
        self, targets: list[guard.Target], headers: dict[str, str]
    ) -> httpx.Response:
        """Try the checked addresses in order (at most MAX_ADDRESSES) until one connects."""
        tries = targets[:MAX_ADDRESSES]
        for target in tries[:-1]:
            try:
                return await self._send(target, headers)
            except FetchError as exc:
                if exc.kind != ErrorKind.CONNECT:
                    raise
        return await self._send(tries[-1], headers)

    async def _send(self, target: guard.Target, headers: dict[str, str]) -> httpx.Response:
        """Send one GET to the pinned address, speaking to the host name.

        The pool is keyed by the URL, i.e. the IP: a TLS connection verified for one name
        could be reused for another name on the same address. ``Connection: close`` keeps
        every HTTPS connection to its one request (plain HTTP connections are still reused).
        """
        extensions: dict[str, Any] = {}
        headers = {**headers, "Host": target.host_header}
        if target.url.scheme == "https":
            headers["Connection"] = "close"
            if target.sni_hostname:
                extensions["sni_hostname"] = target.sni_hostname
        with _mapped_errors(target.url):
            request = self._client.build_request(
                "GET", target.connect_url, headers=headers, extensions=extensions
            )
            return await self._client.send(request, stream=True)

    async def _result(
        self, url: httpx.URL, response: httpx.Response, permanent_url: str | None
    ) -> models.FetchResult:
        """Turn a final (non-redirect) response into a FetchResult or a FetchError."""
        status = response.status_code
        if status >= 400 or status in REDIRECTS or not (200 <= status < 300 or status == 304):
            raise _http_error(url, response)
        content = b"" if status == 304 else await self._read_body(url, response)
        headers = {k.lower(): v for k, v in response.headers.items()}
        return models.FetchResult(
            url=str(url),
            status=status,
            content=content,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            permanent_url=permanent_url,
        )

    async def _read_body(self, url: httpx.URL, response: httpx.Response) -> bytes:
        """Stream the raw body, decode gzip/deflate in bounded pieces, cap the decoded size."""
        cap = self._http.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _too_large(url, cap, f"Content-Length {declared}")
        decoder = BodyDecoder(response.headers.get("content-encoding", ""), str(url))
        parts: list[bytes] = []
        total = 0
        with _mapped_errors(url):
            async for raw in response.aiter_raw():
                piece = decoder.feed(raw, cap - total)
                total += len(piece)
                if total > cap:
                    raise _too_large(url, cap, "body")
                parts.append(piece)
        decoder.finish()
        return b"".join(parts)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from stored validators that are safe to send."""
    headers = {}
    for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
        if value and value.isprintable() and value.isascii():
            headers[name] = value.strip()
    return headers


@contextmanager
def _naming_the_start(start: httpx.URL, hop: int) -> Iterator[None]:
    """A refused redirect target names the URL that was asked for, then the hop."""
    try:
        yield
    except BlockedAddressError as exc:
        if hop == 0:
            raise
        raise BlockedAddressError(f"GET {start}: redirected; {exc.message}") from exc


def _redirect_location(url: httpx.URL, response: httpx.Response) -> httpx.URL | None:
    """The next hop of a redirect response, or None when the response is final."""
    location = response.headers.get("location")
    if response.status_code not in REDIRECTS or not location:
        return None
    try:
        joined = url.join(location.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(
            f"GET {url}: HTTP {response.status_code} with an invalid Location {location!r}",
            kind=ErrorKind.REDIRECTS,
        ) from exc
    return guard.parse_url(str(joined.copy_with(fragment=None)))


def _http_error(url: httpx.URL, response: httpx.Response) -> FetchError:
    """HTTP >= 400 (or an unusable 3xx) -> FetchError with a hint and Retry-After."""
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    retry_after = None
    if status in (429, 503):
        retry_after = retry.retry_after(response.headers.get("retry-after"))
    return FetchError(
        f"GET {url}: HTTP {status} {phrase}".rstrip(),
        kind=ErrorKind.HTTP,
        status=status,
        retry_after=retry_after,
    )


def _too_large(url: httpx.URL, cap: int, what: str) -> FetchError:
    return FetchError(
        f"GET {url}: {what} exceeds [http] max_bytes ({cap} bytes decoded)",
        kind=ErrorKind.TOO_LARGE,
    )


@contextmanager
def _mapped_errors(url: httpx.URL) -> Iterator[None]:
    """Map httpx/socket/TLS errors to FetchError (kind + hint), naming the URL."""
    try:
        yield
    except FetchError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as exc:
        kind = _classify(exc)
        detail = str(exc) or type(exc).__name__
        raise FetchError(f"GET {url}: {kind} error: {detail}", kind=kind) from exc


def _classify(exc: BaseException) -> ErrorKind:
    """The kind of a transport-level failure."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return ErrorKind.TIMEOUT
    if _caused_by(exc, ssl.SSLError):
        return ErrorKind.TLS
    if isinstance(exc, httpx.NetworkError | OSError):  # refused, reset, broke mid-reply
        return ErrorKind.CONNECT
    return ErrorKind.PROTOCOL


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
