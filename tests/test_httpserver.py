"""The loopback test server behaves like a real one where the fault suite relies on it."""

from __future__ import annotations

import socket
import time

from httpserver import LocalServer, Reply


def test_a_request_cut_short_by_a_dying_client_is_never_handled(http_server: LocalServer):
    seen: list[bytes] = []
    http_server.route("/hook", lambda req: seen.append(req.body) or Reply(200, b"ok"))
    address = (http_server.host, http_server.port)
    with socket.create_connection(address) as sock:
        sock.sendall(b'POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"wat')
    time.sleep(0.3)
    assert seen == []
    with socket.create_connection(address) as sock:
        sock.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        sock.recv(100)
    assert seen == [b"{}"]
