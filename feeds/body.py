"""Content-Encoding decoding in bounded pieces: a gzip bomb never inflates past the cap.

``feed(raw, room)`` returns at most ``room + 1`` decoded bytes per call (zlib ``max_length``),
so the caller sees "more than the cap" without ever holding more than the cap in memory.
gzip (also concatenated members), zlib-wrapped and raw deflate; trailing junk after the last
gzip member is ignored like browsers do; a corrupt or truncated stream is a FetchError.
"""

from __future__ import annotations

import zlib

from errors import ErrorKind, FetchError


class BodyDecoder:
    """Content-Encoding decoder whose output per call is bounded (gzip bomb safe)."""

    def __init__(self, encoding: str, url: str) -> None:
        self.url = url
        self.encoding = encoding.strip().lower()
        if self.encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(
                f"GET {url}: unsupported Content-Encoding {encoding!r}",
                "the server ignored Accept-Encoding: gzip, deflate",
                kind=ErrorKind.PROTOCOL,
            )
        self._zlib: zlib._Decompress | None = None
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode ``data``; returns at most ``room + 1`` bytes (more than ``room`` = too large)."""
        if self.encoding in ("", "identity"):
            return data
        try:
            return self._inflate(data, room)
        except zlib.error as exc:
            raise self._invalid(str(exc)) from exc

    def _inflate(self, data: bytes, room: int) -> bytes:
        out = b""
        while data and len(out) <= room:
            if self._zlib is None or self._zlib.eof:
                if self._started and not data.startswith(b"\x1f\x8b"):
                    return out  # trailing bytes after the last gzip member: ignored
                self._zlib = zlib.decompressobj(self._wbits(data))
                self._started = True
            out += self._zlib.decompress(data, room + 1 - len(out))
            data = self._zlib.unconsumed_tail or self._zlib.unused_data
        return out

    def _wbits(self, head: bytes) -> int:
        if self.encoding != "deflate":
            return 16 + zlib.MAX_WBITS
        is_zlib = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS  # raw deflate from old servers

    def finish(self) -> None:
        """Refuse a compressed body that stopped before its end."""
        if self._zlib is not None and not self._zlib.eof:
            raise self._invalid("the compressed body is truncated")

    def _invalid(self, detail: str) -> FetchError:
        return FetchError(
            f"GET {self.url}: invalid {self.encoding} body: {detail}",
            "the server sent a corrupt compressed body; retried later",
            kind=ErrorKind.PROTOCOL,
        )
