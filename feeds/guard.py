"""SSRF guard: which URLs and addresses a fetch may reach, and the address it connects to.

Rules (checked on every hop, before any connection is opened):

- only ``http`` and ``https``; no backslashes, control characters, spaces or userinfo
  (``http://INTERNAL\\@PUBLIC/`` is read differently by different URL parsers);
- the host is resolved ONCE with the injected resolver, and refused when ANY address is not
  public: loopback (also ``127.1``, ``0x7f000001``, ``2130706433``), private, link-local
  (169.254.169.254), CGNAT 100.64/10, multicast, reserved, unspecified, documentation and
  benchmark ranges, and IPv6 forms wrapping a non-public IPv4 (mapped, 6to4, NAT64, Teredo);
- the fetch then connects to the checked address itself (:class:`Target`), so a second DNS
  answer (rebinding) never decides where the connection goes.

``check_addresses=False`` (a trusted first hop, or ``allow_private_networks``) still resolves
and pins, so the connection goes to exactly the address that was looked up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from errors import BlockedAddressError, ErrorKind, FetchError

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_-]{1,63})*\.?$")
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$")
_BAD_URL_CHARS = re.compile(r"[\\\x00-\x20\x7f]")

_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT (also cloud metadata such as 100.100.100.200)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL as written, and the pinned URL actually connected to."""

    url: httpx.URL  # the logical URL (hostname): Host header, redirects, messages
    connect_url: httpx.URL  # same URL with the host replaced by the checked address
    address: str
    host_header: str
    sni_hostname: str | None  # https to a name: TLS SNI and certificate check use it


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's getaddrinfo; IP address strings, in the OS's order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_url(url: str) -> httpx.URL:
    """Parse ``url`` and refuse anything but a plain http(s) URL to a well-formed host."""
    if not isinstance(url, str) or _BAD_URL_CHARS.search(url):
        raise BlockedAddressError(f"GET {url!r}: refused: backslash, space or control character")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise BlockedAddressError(f"GET {url}: refused: not a valid URL ({exc})") from exc
    if parsed.scheme not in SCHEMES:
        raise BlockedAddressError(f"GET {url}: refused: scheme {parsed.scheme or '(none)'!r}")
    if parsed.userinfo or "@" in re.split(r"[/?#]", url.split("//", 1)[-1], maxsplit=1)[0]:
        raise BlockedAddressError(f"GET {url}: refused: user:password@ in the URL")
    host = ascii_host(parsed)
    if not host or (literal_address(host) is None and not _HOSTNAME.match(host)):
        raise BlockedAddressError(f"GET {url}: refused: invalid host {host!r}")
    return parsed


def ascii_host(url: httpx.URL) -> str:
    """The host as sent on the wire: lower case, IDNA (punycode) for international names."""
    return url.raw_host.decode("ascii").lower()


def literal_address(host: str) -> IPAddress | None:
    """The IP a host names literally, normalising legacy IPv4 (``127.1``, ``0x7f000001``)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form leads to: IPv4-mapped, 6to4, NAT64 64:ff9b::/96.

    Teredo (2001::/32) is refused as a whole by the network list.
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why a fetch may not connect to ``ip``, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped (link-local) IPv6 address"
        inner = embedded_ipv4(ip)
        if inner is not None:
            why = blocked_reason(inner)
            return f"wraps {inner}, {why}" if why else None
    for net in _BLOCKED_NETWORKS:
        if ip.version == net.version and ip in net:
            return f"in {net} (not a public address)"
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast:
        return "not a public address"
    if ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not a globally routable address"
    return None


async def resolve(url: httpx.URL, resolver: Resolver) -> list[IPAddress]:
    """The addresses of ``url``'s host: a literal as it stands, a name through ``resolver``."""
    host = ascii_host(url)
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        answers = await resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise FetchError(
            f"GET {url}: cannot resolve {host} ({exc})",
            kind=ErrorKind.DNS,
        ) from exc
    addresses = [a for a in (literal_address(str(x)) for x in answers) if a is not None]
    if not addresses:
        raise FetchError(f"GET {url}: {host} has no usable address", kind=ErrorKind.DNS)
    return list(dict.fromkeys(addresses))


async def pin(url: httpx.URL, resolver: Resolver, *, check_addresses: bool = True) -> Target:
    """Resolve ``url``'s host once, refuse it if any address is not public, pin the first."""
    return (await pin_all(url, resolver, check_addresses=check_addresses))[0]


async def pin_all(
    url: httpx.URL, resolver: Resolver, *, check_addresses: bool = True
) -> list[Target]:
    """One target per resolved address (all checked), in the resolver's order."""
    addresses = await resolve(url, resolver)
    if check_addresses:
        for ip in addresses:
            if why := blocked_reason(ip):
                host = ascii_host(url)
                where = f"{host} -> {ip}" if literal_address(host) is None else str(ip)
                raise BlockedAddressError(f"GET {url}: refused: {where} is {why}")
    return [target_for(url, ip) for ip in addresses]


def target_for(url: httpx.URL, ip: IPAddress) -> Target:
    """The request target connecting to ``ip`` while speaking to ``url``'s host name."""
    host = ascii_host(url)
    is_name = literal_address(host) is None
    return Target(
        url=url,
        connect_url=url.copy_with(host=str(ip)),
        address=str(ip),
        host_header=url.netloc.decode("ascii"),
        sni_hostname=host.rstrip(".") if is_name and url.scheme == "https" else None,
    )
