"""HTTPS through the pinned address: SNI and certificate checks use the host name, not the IP.

A throwaway CA and a certificate for news.example are made with the openssl CLI; the server
listens on 127.0.0.1 and a fake resolver maps the names there.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import models
import settings
from errors import FetchError
from feeds.fetch import make_client

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tls")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=newsbot test CA",
        cwd=d,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=news.example",
        cwd=d,
    )
    (d / "ext.cnf").write_text("subjectAltName=DNS:news.example\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        cwd=d,
    )
    return d


class TLSServer:
    def __init__(self, certs: Path) -> None:
        self.sni: list[str | None] = []
        self.hosts: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.hosts.append(self.headers.get("Host", ""))
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"secure")

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(certs / "leaf.pem", certs / "leaf.key")
        ctx.sni_callback = lambda sock, name, _ctx: self.sni.append(name)  # type: ignore[assignment]
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tls_server(certs: Path) -> Iterator[TLSServer]:
    server = TLSServer(certs)
    yield server
    server.stop()


@pytest.fixture
def trust_test_ca(certs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    monkeypatch.setattr(httpx, "AsyncClient", functools.partial(httpx.AsyncClient, verify=ctx))


async def _loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def fetch(url: str, **kw: Any) -> models.FetchResult:
    config = settings.HttpSettings(timeout=2, allow_private_networks=True)

    async def go() -> models.FetchResult:
        async with make_client(config, resolver=_loopback) as fetcher:
            return await fetcher.fetch(url, **kw)

    return asyncio.run(go())


@pytest.mark.usefixtures("trust_test_ca")
def test_https_to_the_pinned_address_verifies_the_host_name(tls_server: TLSServer) -> None:
    result = fetch(f"https://news.example:{tls_server.port}/feed")
    assert result.content == b"secure"
    assert tls_server.sni == ["news.example"]
    assert tls_server.hosts == [f"news.example:{tls_server.port}"]


@pytest.mark.usefixtures("trust_test_ca")
def test_certificate_for_another_name_is_a_tls_error(tls_server: TLSServer) -> None:

    with pytest.raises(FetchError) as info:
        fetch(f"https://other.example:{tls_server.port}/feed")
    assert info.value.kind == "tls"
    assert tls_server.hosts == []


def test_untrusted_certificate_is_a_tls_error(tls_server: TLSServer) -> None:

    with pytest.raises(FetchError) as info:
        fetch(f"https://news.example:{tls_server.port}/feed")
    assert info.value.kind == "tls"


@pytest.mark.usefixtures("trust_test_ca")
def test_a_connection_verified_for_one_name_is_not_reused_for_another(
    tls_server: TLSServer,
) -> None:
    """Both names pin to 127.0.0.1: the second must not ride on news.example's TLS session."""

    async def go() -> FetchError:
        config = settings.HttpSettings(timeout=2, allow_private_networks=True)
        async with make_client(config, resolver=_loopback) as fetcher:
            await fetcher.fetch(f"https://news.example:{tls_server.port}/a")
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(f"https://other.example:{tls_server.port}/b")
            return info.value

    assert asyncio.run(go()).kind == "tls"
    assert tls_server.hosts == [f"news.example:{tls_server.port}"]
