"""SSRF guard: address classes, URL tricks, and the pinned connection (fake resolvers only).

No test sends traffic to a non-loopback address: refused targets are refused before connecting.
"""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from httpserver import LocalServer, Reply

import settings
from errors import BlockedAddressError, FetchError
from feeds import guard
from feeds.fetch import make_client

BLOCKED = [
    ("loopback", "127.0.0.1"),
    ("loopback-high", "127.255.255.254"),
    ("private-10", "10.0.0.1"),
    ("private-172", "172.16.5.4"),
    ("private-192", "192.168.1.1"),
    ("metadata", "169.254.169.254"),
    ("cgnat", "100.64.0.1"),
    ("cgnat-alibaba-metadata", "100.100.100.200"),
    ("this-network", "0.0.0.0"),
    ("multicast", "224.0.0.1"),
    ("multicast-global", "224.0.1.1"),
    ("ssdp", "239.255.255.250"),
    ("broadcast", "255.255.255.255"),
    ("reserved", "240.0.0.1"),
    ("benchmark", "198.18.0.1"),
    ("documentation", "192.0.2.1"),
    ("ietf", "192.0.0.8"),
    ("v6-loopback", "::1"),
    ("v6-unspecified", "::"),
    ("v6-link-local", "fe80::1"),
    ("v6-ula", "fd12:3456::1"),
    ("v6-multicast", "ff02::1"),
    ("v6-documentation", "2001:db8::1"),
    ("mapped-loopback", "::ffff:127.0.0.1"),
    ("mapped-private", "::ffff:10.0.0.1"),
    ("mapped-metadata", "::ffff:169.254.169.254"),
    ("ipv4-compatible", "::127.0.0.1"),
    ("6to4-loopback", "2002:7f00:1::1"),
    ("6to4-private", "2002:a00:1::1"),
    ("nat64-metadata", "64:ff9b::a9fe:a9fe"),
    ("nat64-loopback", "64:ff9b::7f00:1"),
    ("nat64-local-use", "64:ff9b:1::a00:1"),
    ("teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
]
PUBLIC = [
    ("google-dns", "8.8.8.8"),
    ("cloudflare", "1.1.1.1"),
    ("example", "93.184.216.34"),
    ("v6-public", "2606:4700:4700::1111"),
    ("mapped-public", "::ffff:8.8.8.8"),
    ("6to4-public", "2002:808:808::1"),
    ("nat64-public", "64:ff9b::808:808"),
]


@pytest.mark.parametrize(("address"), [a for _, a in BLOCKED], ids=[i for i, _ in BLOCKED])
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert guard.blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(("address"), [a for _, a in PUBLIC], ids=[i for i, _ in PUBLIC])
def test_public_addresses_pass(address: str) -> None:
    assert guard.blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("0x7g.1", None),
    ],
)
def test_literal_addresses_are_normalised(host: str, expected: str | None) -> None:
    got = guard.literal_address(host)
    assert (str(got) if got else None) == (
        str(ipaddress.ip_address(expected)) if expected else None
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1\\@example.com/",
        "http://example.com\\@127.0.0.1/",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://@127.0.0.1/",
        "file:///etc/passwd",
        "file:/etc/passwd",
        "ftp://example.com/feed",
        "gopher://example.com:70/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "//example.com/feed",
        "http:///path",
        "http://exa mple.com/",
        "http://example.com\t/",
        "http://example.com\n.evil/",
        "http://%31%32%37.0.0.1/",
        "http://[::1/",
    ],
)
def test_url_tricks_are_refused(url: str) -> None:
    with pytest.raises(BlockedAddressError):
        guard.parse_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/feed",
        "https://EXAMPLE.com:8443/a?b=@c#frag",
        "https://bücher.example/rss",
        "http://127.0.0.1:8080/",
        "http://[::1]:8080/",
    ],
)
def test_plain_urls_parse(url: str) -> None:
    assert guard.parse_url(url).scheme in ("http", "https")


class FakeResolver:
    """Answers from a table (a list of answers is consumed call by call); records calls."""

    def __init__(self, table: dict[str, list[list[str]] | list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.table.get(host)
        if answer is None:
            raise OSError(f"no such host {host}")
        if answer and isinstance(answer[0], list):
            index = min(self.calls.count(host) - 1, len(answer) - 1)
            return list(answer[index])
        return list(answer)  # type: ignore[arg-type]


def run_fetch(url: str, resolver: FakeResolver, **kw: object) -> object:
    http = settings.HttpSettings(
        timeout=0.5, allow_private_networks=bool(kw.pop("allow_private", False))
    )

    async def go() -> object:
        async with make_client(http, resolver=resolver) as fetcher:
            return await fetcher.fetch(url, **kw)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_pin_resolves_once_and_targets_the_checked_address() -> None:
    resolver = FakeResolver({"news.example": [["93.184.216.34"], ["127.0.0.1"]]})
    target = asyncio.run(guard.pin(guard.parse_url("https://news.example/a"), resolver))
    assert resolver.calls == ["news.example"]
    assert target.address == "93.184.216.34"
    assert str(target.connect_url) == "https://93.184.216.34/a"
    assert (target.host_header, target.sni_hostname) == ("news.example", "news.example")


def test_pin_refuses_when_any_answer_is_private() -> None:
    resolver = FakeResolver({"mixed.example": ["93.184.216.34", "10.0.0.1"]})
    with pytest.raises(BlockedAddressError, match="10.0.0.1"):
        asyncio.run(guard.pin(guard.parse_url("http://mixed.example/"), resolver))


def test_unknown_host_is_a_dns_error() -> None:
    with pytest.raises(FetchError) as info:
        asyncio.run(guard.pin(guard.parse_url("http://nowhere.example/"), FakeResolver({})))
    assert info.value.kind == "dns"


def test_public_name_resolving_to_loopback_is_refused(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(200, b"secret"))
    resolver = FakeResolver({"public.example": ["127.0.0.1"]})
    url = f"http://public.example:{http_server.port}/feed"
    with pytest.raises(BlockedAddressError) as info:
        run_fetch(url, resolver)
    assert "public.example" in str(info.value) and "127.0.0.1" in str(info.value)
    assert info.value.kind == "blocked"
    assert http_server.requests == []


def test_allow_private_networks_lets_it_through_with_the_host_name(
    http_server: LocalServer,
) -> None:
    http_server.route("/feed", Reply(200, b"ok"))
    resolver = FakeResolver({"public.example": ["127.0.0.1"]})
    url = f"http://public.example:{http_server.port}/feed"
    result = run_fetch(url, resolver, allow_private=True)
    assert result.content == b"ok"  # type: ignore[attr-defined]
    assert result.url == url  # type: ignore[attr-defined]
    assert http_server.requests[0].headers["host"] == f"public.example:{http_server.port}"


def test_scheme_check_stays_with_allow_private_networks() -> None:
    with pytest.raises(BlockedAddressError):
        run_fetch("file:///etc/passwd", FakeResolver({}), allow_private=True)


def test_trusted_feed_on_a_private_name_is_fetched(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(200, b"<rss/>"))
    resolver = FakeResolver({"feeds.lan": ["127.0.0.1"]})
    result = run_fetch(f"http://feeds.lan:{http_server.port}/feed", resolver, trusted=True)
    assert result.content == b"<rss/>"  # type: ignore[attr-defined]


REDIRECT_TARGETS = [
    ("name-to-10", "http://internal.example/admin"),
    ("name-to-metadata", "http://metadata.example/latest/meta-data/"),
    ("literal-metadata", "http://169.254.169.254/latest/meta-data/"),
    ("literal-loopback", "http://127.0.0.1:{port}/secret"),
    ("hex-loopback", "http://0x7f000001:{port}/secret"),
    ("short-loopback", "http://127.1:{port}/secret"),
    ("mapped-loopback", "http://[::ffff:127.0.0.1]:{port}/secret"),
    ("file", "file:///etc/passwd"),
    ("backslash", "http://evil.example\\@127.0.0.1:{port}/secret"),
]


@pytest.mark.parametrize(
    "location", [t for _, t in REDIRECT_TARGETS], ids=[i for i, _ in REDIRECT_TARGETS]
)
def test_redirect_of_a_trusted_feed_is_checked(http_server: LocalServer, location: str) -> None:
    http_server.route(
        "/feed", Reply(302, b"", {"Location": location.format(port=http_server.port)})
    )
    http_server.route("/secret", Reply(200, b"secret"))
    resolver = FakeResolver(
        {"internal.example": ["10.0.0.1"], "metadata.example": ["169.254.169.254"]}
    )
    with pytest.raises(BlockedAddressError):
        run_fetch(http_server.url("/feed"), resolver, trusted=True)
    assert [r.path for r in http_server.requests] == ["/feed"]


@pytest.fixture
def only_127_0_0_1_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.1 is public and every other address is not (no real traffic needed)."""

    def reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        return None if str(ip) == "127.0.0.1" else "internal"

    monkeypatch.setattr(guard, "blocked_reason", reason)


@pytest.mark.usefixtures("only_127_0_0_1_is_public")
def test_rebinding_resolver_cannot_move_the_connection(http_server: LocalServer) -> None:
    """One lookup per hop, and the connection goes to its (checked) answer."""
    http_server.route("/feed", Reply(200, b"checked"))
    resolver = FakeResolver({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    result = run_fetch(f"http://rebind.example:{http_server.port}/feed", resolver)
    assert result.content == b"checked"  # type: ignore[attr-defined]
    assert resolver.calls == ["rebind.example"]
    assert http_server.requests[0].headers["host"] == f"rebind.example:{http_server.port}"


@pytest.mark.usefixtures("only_127_0_0_1_is_public")
def test_rebinding_on_a_redirect_hop_is_checked_again(http_server: LocalServer) -> None:
    http_server.route("/start", Reply(301, b"", {"Location": "/feed"}))
    http_server.route("/feed", Reply(200, b"public"))
    resolver = FakeResolver({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    with pytest.raises(BlockedAddressError, match="127.0.0.2"):
        run_fetch(f"http://rebind.example:{http_server.port}/start", resolver)
    assert resolver.calls == ["rebind.example", "rebind.example"]
    assert [r.path for r in http_server.requests] == ["/start"]


def test_next_checked_address_is_tried_when_the_first_refuses(http_server: LocalServer) -> None:
    """127.0.0.2 has no server on that port; the fetch falls back to 127.0.0.1."""
    http_server.route("/feed", Reply(200, b"second"))
    resolver = FakeResolver({"multi.example": ["127.0.0.2", "127.0.0.1"]})
    result = run_fetch(f"http://multi.example:{http_server.port}/feed", resolver, trusted=True)
    assert result.content == b"second"  # type: ignore[attr-defined]
    assert resolver.calls == ["multi.example"]
