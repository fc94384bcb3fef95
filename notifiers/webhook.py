"""``type = "webhook"``: POST ``render.to_json(alert)`` as JSON to a URL (httpx, sync).

Options: ``url`` (http/https), ``secret`` (HMAC key), ``timeout``, ``headers`` (extra headers).

Each request carries ``Idempotency-Key`` (derived from the alert id: a resend after a crash has
the same key) and, with a secret, ``X-Newsbot-Signature: sha256=<hex HMAC-SHA256 of the raw
body>``. The body is deterministic (no send time), so a resend is byte-identical.

Replies: 2xx ok; 429/503 retry after ``Retry-After``; 408, other 5xx and transport errors are
retryable; 3xx (redirects are not followed) and other 4xx are permanent. Messages name the
URL's origin only: paths and query strings often hold tokens, and a reply that echoes the path
("Cannot POST /hooks/TOKEN") has the URL's secrets masked before it is stored or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from pydantic import BeforeValidator, SecretStr, field_validator

import models
import redaction
from errors import DeliveryError
from notifiers import render
from notifiers.base import Options, no_crlf, redact, register
from retry import retry_after
from settings import Duration

USER_AGENT = "newsbot/0.1 (webhook)"
MAX_REPLY = 64 * 1024
_TOKEN = re.compile(r"^[!-~]{1,200}$")


class WebhookOptions(Options):
    url: str
    secret: SecretStr | None = None
    timeout: Duration = 10.0
    headers: dict[str, Annotated[str, BeforeValidator(no_crlf)]] = {}

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or "\\" in value:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", key):
                raise ValueError(f"{key!r} is not a valid header name")
        return value


def signature(secret: str, body: bytes) -> str:
    """The ``X-Newsbot-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def idempotency_key(*ids: str) -> str:
    """The alert id itself when it is a plain header token, else its SHA-256."""
    if len(ids) == 1 and _TOKEN.match(ids[0]):
        return ids[0]
    return hashlib.sha256("\x00".join(ids).encode("utf-8")).hexdigest()


@register("webhook")
class WebhookNotifier:
    """One httpx.Client per channel, closed by :meth:`close`."""

    Options = WebhookOptions

    def __init__(self, name: str, options: WebhookOptions, *, base_dir: str = ".") -> None:
        self.name = name
        self.options = options
        parts = urlsplit(options.url)
        self.origin = f"{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
        self._secret = options.secret.get_secret_value() if options.secret else ""
        self._secrets = [self._secret, options.url, *redaction.url_secrets(options.url)]
        redaction.register_all(self._secrets)  # masked in every log line too
        self._client = httpx.Client(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    def send(self, alert: models.Alert) -> str:
        return self._post(render.to_json(alert), idempotency_key(alert.id), alert.kind)

    def send_digest(self, alerts: Sequence[models.Alert], period: str) -> str:
        payload = {
            "kind": "digest",
            "period": period,
            "alerts": [render.to_json(a) for a in alerts],
        }
        return self._post(
            payload, idempotency_key("digest", *sorted(a.id for a in alerts)), "digest"
        )

    def close(self) -> None:
        self._client.close()

    def _post(self, payload: dict[str, Any], key: str, event: str) -> str:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            **self.options.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Newsbot-Event": event,
        }
        if self._secret:
            headers["X-Newsbot-Signature"] = signature(self._secret, body)
        where = f"webhook {self.name} ({self.origin})"
        deadline = time.monotonic() + 3 * self.options.timeout
        try:
            with self._client.stream("POST", self.options.url, content=body, headers=headers) as r:
                reply = _read_capped(r, deadline)
                status, ra = r.status_code, r.headers.get("Retry-After")
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{where}: timed out", "is the receiver up?") from exc
        except httpx.HTTPError as exc:
            msg = redact(f"{where}: {type(exc).__name__}: {exc}", self._secrets)
            raise DeliveryError(msg, "is the receiver up?") from exc
        return self._judge(where, status, ra, reply)

    def _judge(self, where: str, status: int, ra: str | None, reply: bytes) -> str:
        if 200 <= status < 300:
            return f"HTTP {status}"
        text = render.clip(
            redact(render.clean(reply.decode("utf-8", "replace")), self._secrets), 200
        )
        msg = f"{where}: HTTP {status}" + (f": {text}" if text else "")
        if status in (429, 503):
            raise DeliveryError(msg, "the receiver asked to wait", retry_after=retry_after(ra))
        if status == 408 or status >= 500:
            raise DeliveryError(msg, "the receiver failed; will retry")
        hint = (
            "the URL redirects: configure the final URL"
            if 300 <= status < 400
            else "the receiver refused this request for good (URL, secret or payload)"
        )
        raise DeliveryError(msg, hint, permanent=True)


def _read_capped(response: httpx.Response, deadline: float) -> bytes:
    """At most MAX_REPLY bytes of the reply, within the total deadline."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= MAX_REPLY or time.monotonic() > deadline:
            break
    return data[:MAX_REPLY]
