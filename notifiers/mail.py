"""``type = "email"``: one multipart (text + HTML) message per alert over SMTP (smtplib, sync).

Options: ``host, port, security ("starttls" | "tls" | "none"), username, password, from, to,
timeout``. ``port`` defaults by security: 587 starttls, 465 tls, 25 none.

Idempotency: email has no exactly-once, so the ``Message-ID`` is derived from ``alert.id``; a
resend after a crash carries the same id and mail systems drop the copy. Messages of one watch
thread together (``References``/``In-Reply-To`` a stable per-watch id); a story's follow-up
("also reported by ...", ``updates = "thread"``) replies to the story's first alert. The subject comes from
``render.subject`` (one line), so a CR/LF in a title never breaks a header.

Errors: connection refused, timeouts and 4xx replies are retryable; 5xx replies, a refused
login and TLS/port mismatches are permanent (with a hint). Passwords never reach messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator

import models
import redaction
from errors import DeliveryError
from notifiers import render
from notifiers.base import Options, no_crlf, register
from settings import Duration

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
WIDE = SMTP.clone(max_line_length=998)
Address = Annotated[str, BeforeValidator(no_crlf)]


class EmailOptions(Options):
    host: Address = "localhost"
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: Address = ""
    password: SecretStr = SecretStr("")
    sender: Address = Field("", alias="from")
    to: Annotated[list[Address], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]
    timeout: Duration = 30.0

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one address")
        for addr in value:
            _check_address(addr)
        return value

    @model_validator(mode="after")
    def _defaults(self) -> EmailOptions:
        if not self.sender:
            default = self.username if "@" in self.username else "newsbot@localhost"
            object.__setattr__(self, "sender", default)
        _check_address(self.sender)
        if self.port is None:
            object.__setattr__(self, "port", DEFAULT_PORTS[self.security])
        return self


def _check_address(addr: str) -> None:
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or not addr.isascii() or any(c.isspace() for c in addr):
        raise ValueError(f"{addr!r} is not an email address (ASCII user@domain)")


def _hashed(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


@register("email")
class EmailNotifier:
    """Connects per send (no idle connection to go stale between alerts)."""

    Options = EmailOptions

    def __init__(self, name: str, options: EmailOptions, *, base_dir: str = ".") -> None:
        self.name = name
        self.options = options
        self.domain = options.sender.rpartition("@")[2] or "newsbot.invalid"
        redaction.register(options.password.get_secret_value())  # never in a log line

    # -- the protocol ---------------------------------------------------------------------------

    def send(self, alert: models.Alert) -> str:
        msg = self.message(alert)
        return self._deliver(msg)

    def send_digest(self, alerts: Sequence[models.Alert], period: str) -> str:
        msg = self._envelope(
            render.digest_subject(alerts, period),
            self.message_id("digest", *sorted(a.id for a in alerts)),
        )
        footer = f"A digest from newsbot channel {self.name!r} ({len(alerts)} alerts)."
        msg.set_content(render.digest_text(alerts, period) + "\n-- \n" + footer + "\n")
        msg.add_alternative(render.digest_html(alerts, period, footer=footer), subtype="html")
        return self._deliver(msg)

    def close(self) -> None:
        """Nothing held open between sends."""

    # -- building the message -------------------------------------------------------------------

    def message_id(self, *parts: str) -> str:
        """A stable Message-ID: the same alert always gets the same one."""
        return f"<newsbot.{_hashed(*parts)}@{self.domain}>"

    def message(self, alert: models.Alert) -> EmailMessage:
        """The full MIME message for one alert (public so tests and `bot.py` can show it)."""
        msg = self._envelope(render.subject(alert), self.message_id("alert", alert.id))
        thread = self.message_id("watch", alert.watch)
        if alert.kind == "update" and alert.thread_of:  # under the story's first alert
            first = self.message_id("alert", alert.thread_of)
            msg["In-Reply-To"] = first
            msg["References"] = f"{thread} {first}"
        else:
            msg["In-Reply-To"] = thread
            msg["References"] = thread
        watch = render.clean(alert.watch) or "newsbot"
        msg["List-Id"] = f"newsbot watch <{_hashed('list', alert.watch)[:16]}.{self.domain}>"
        msg["X-Newsbot-Watch"] = watch
        msg["X-Newsbot-Alert-Id"] = render.clean(alert.id)
        foot = footer(watch, self.name)
        msg.set_content(render.text(alert) + "\n-- \n" + foot + "\n")
        msg.add_alternative(render.html(alert, footer=foot), subtype="html")
        return msg

    def _envelope(self, subject: str, message_id: str) -> EmailMessage:
        msg = EmailMessage(policy=SMTP)
        msg["Subject"] = subject
        msg["From"] = self.options.sender
        msg["To"] = ", ".join(self.options.to)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = message_id
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        return msg

    # -- talking SMTP ---------------------------------------------------------------------------

    def _deliver(self, msg: EmailMessage) -> str:
        where = f"email {self.name} ({self.options.host}:{self.options.port})"
        try:
            with self._connect() as smtp:
                return _transmit(smtp, msg, self.options.sender, self.options.to)
        except DeliveryError as exc:
            raise DeliveryError(
                f"{where}: {exc.message}", exc.hint, permanent=exc.permanent
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # ssl and socket errors are OSError
            raise map_error(exc, where) from exc

    def _connect(self) -> smtplib.SMTP:
        o = self.options
        port = o.port or DEFAULT_PORTS[o.security]
        if o.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                o.host, port, timeout=o.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(o.host, port, timeout=o.timeout)
        try:
            if o.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if o.username:
                smtp.login(o.username, o.password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp


def footer(watch: str, channel: str) -> str:
    """The List-Unsubscribe-style footer naming the watch."""
    return (
        f'You receive this because the newsbot watch "{watch}" matched (channel "{channel}"). '
        f'To stop: remove "{channel}" from that watch\'s notify list, or the watch itself, '
        "in config.toml."
    )


def _transmit(smtp: smtplib.SMTP, msg: EmailMessage, sender: str, to: Sequence[str]) -> str:
    """MAIL / RCPT / DATA step by step, to keep the server's final answer for the receipt."""
    smtp.ehlo_or_helo_if_needed()
    code, resp = smtp.mail(sender)
    _expect(smtp, code, resp, "sender refused")
    refused = {}
    for rcpt in to:
        code, resp = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, resp)
    if len(refused) == len(to):
        smtp.rset()
        worst = max(c for c, _ in refused.values())
        raise _reply_error(worst, _answers(refused), "all recipients refused")
    code, resp = smtp.data(wire_bytes(msg))
    _expect(smtp, code, resp, "message refused")
    receipt = f"{code} {_text(resp)}"
    return receipt + (f" (refused: {_answers(refused)})" if refused else "")


def wire_bytes(msg: EmailMessage) -> bytes:
    """The message as sent. An ASCII subject is not folded (CPython sometimes folds right after
    ``Subject:``, which readers show as a leading space); it is at most 200 characters, far
    below SMTP's 998. Non-ASCII subjects keep 78 so encoded words stay short (RFC 2047)."""
    subject = str(msg["Subject"] or "")
    return msg.as_bytes(policy=WIDE if subject.isascii() else SMTP)


def _expect(smtp: smtplib.SMTP, code: int, resp: bytes, what: str) -> None:
    if 200 <= code < 300:
        return
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()
    raise _reply_error(code, f"{code} {_text(resp)}", what)


def _answers(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{rcpt}: {c} {_text(r)}" for rcpt, (c, r) in refused.items())


def _text(resp: bytes | str) -> str:
    raw = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else resp
    return render.clip(render.clean(raw), 300)


def _reply_error(code: int, answer: str, what: str) -> DeliveryError:
    permanent = code >= 500
    hint = "the server refused for good; check the addresses" if permanent else "will retry"
    return DeliveryError(f"{what}: {answer}", hint, permanent=permanent)


def map_error(exc: BaseException, where: str) -> DeliveryError:
    """smtplib / ssl / socket error -> DeliveryError (retryable unless it cannot get better)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        msg = f"{where}: login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        return DeliveryError(
            msg,
            "check username/password (some providers need an app password)",
            permanent=exc.smtp_code >= 500,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(
            f"{where}: {exc}", "the server lacks STARTTLS/AUTH: check security", permanent=True
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_error(exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}", where)
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(
            f"{where}: TLS failed: {exc}",
            'check host and security ("tls" on 465, "starttls" on 587, "none" on 25)',
            permanent=isinstance(exc, ssl.SSLCertVerificationError) or "WRONG_VERSION" in str(exc),
        )
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"{where}: timed out", "the server is slow or unreachable")
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}", "is the mail server up?")
