"""The email channel against a real aiosmtpd server on 127.0.0.1 (security = "none")."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from test_notifiers_fixtures import match_alert, notice_alert

import notifiers
import settings
from errors import DeliveryError


class Inbox:
    """aiosmtpd handler: stores messages; RCPT to reject*@ -> 550, tempfail*@ -> 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        if address.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK queued as ABC123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _auth(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
    ok = auth_data.login == b"bot" and auth_data.password == b"s3cret-pw"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=False
    )
    controller.start()
    yield inbox, port
    controller.stop()


def mailer(port: int, **kw: object) -> notifiers.Notifier:
    opts = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "bot@news.example",
        "to": ["ops@example.org", "desk@example.org"],
        "timeout": 5,
        **kw,
    }
    return notifiers.build("mail", settings.NotifierSettings(type="email", **opts))


def test_sends_multipart_alert(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    receipt = mailer(port).send(match_alert())
    assert receipt == "250 OK queued as ABC123"
    [msg] = inbox.messages
    assert inbox.envelopes == [("bot@news.example", ["ops@example.org", "desk@example.org"])]
    assert msg["Subject"] == (
        "[Syria hotspots] Aleppo <script>alert(1)</script> *bold* [x](http://evil)"
    )
    assert msg["From"] == "bot@news.example"
    assert msg["To"] == "ops@example.org, desk@example.org"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "https://news.example.org/world/aleppo-shelling?id=7&src=rss" in plain
    assert 'the newsbot watch "Syria hotspots" matched' in plain
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>Aleppo</mark>" in html and "<mark>shelling</mark>" in html
    assert "&lt;b&gt;hit&lt;/b&gt;" in html
    assert "the newsbot watch &quot;Syria hotspots&quot; matched" in html


def test_message_id_is_derived_from_alert_id(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    m = mailer(port)
    m.send(match_alert("a-1"))
    m.send(match_alert("a-1"))  # a resend after a crash
    m.send(match_alert("a-2"))
    m.send(match_alert("b-1", watch="Other watch"))
    ids = [msg["Message-ID"] for msg in inbox.messages]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("<newsbot.") and ids[0].endswith("@news.example>")
    refs = [msg["References"] for msg in inbox.messages]
    assert refs[0] == refs[2] != refs[3]  # threads per watch
    assert inbox.messages[0]["In-Reply-To"] == refs[0]


def test_crlf_in_title_cannot_add_headers(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer(port).send(match_alert(title="Breaking\r\nBcc: victim@example.com\r\n\r\nbody"))
    [msg] = inbox.messages
    assert msg["Bcc"] is None
    assert msg["Subject"] == "[Syria hotspots] Breaking Bcc: victim@example.com body"
    assert inbox.envelopes[0][1] == ["ops@example.org", "desk@example.org"]


def test_non_ascii_title_is_encoded(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer(port).send(match_alert(title="قصف على حلب — Ḥalab"))
    assert inbox.messages[0]["Subject"] == "[Syria hotspots] قصف على حلب — Ḥalab"


def test_notice_and_digest(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    m = mailer(port)
    m.send(notice_alert())
    m.send_digest([match_alert("a-1"), notice_alert("n-1")], "1h")
    notice, digest = inbox.messages
    assert notice["Subject"] == "[newsbot] Feed failing for 6 hours: Example <World>"
    assert "HTTP 503" in notice.get_body(("plain",)).get_content()
    assert digest["Subject"] == "[newsbot] digest (1h): 2 alerts, 2 watches"
    html = digest.get_body(("html",)).get_content()
    assert "Syria hotspots (1)" in html and "feed notices (1)" in html


def test_login_without_tls(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    assert mailer(port, username="bot", password="s3cret-pw").send(match_alert()).startswith("250")
    assert len(inbox.messages) == 1


def test_bad_login_is_permanent_and_hides_password(smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    with pytest.raises(DeliveryError) as err:
        mailer(port, username="bot", password="wrong-pw-123").send(match_alert())
    assert err.value.permanent
    assert "wrong-pw-123" not in err.value.render()
    assert "password" in err.value.hint


def test_all_recipients_refused_is_permanent(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    with pytest.raises(DeliveryError) as err:
        mailer(port, to=["reject@example.org"]).send(match_alert())
    assert err.value.permanent
    assert "550" in str(err.value)
    assert inbox.messages == []


def test_some_recipients_refused_is_in_the_receipt(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    receipt = mailer(port, to=["ops@example.org", "reject@example.org"]).send(match_alert())
    assert receipt.startswith("250 OK queued as ABC123")
    assert "reject@example.org: 550" in receipt
    assert inbox.envelopes[0][1] == ["ops@example.org"]


def test_temporary_refusal_is_retryable(smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    with pytest.raises(DeliveryError) as err:
        mailer(port, to=["tempfail@example.org"]).send(match_alert())
    assert not err.value.permanent
    assert "451" in str(err.value)


def test_refused_connection_is_retryable() -> None:
    with pytest.raises(DeliveryError) as err:
        mailer(_free_port()).send(match_alert())
    assert not err.value.permanent
    assert "127.0.0.1" in str(err.value)


def test_starttls_against_a_server_without_it_is_permanent(smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    with pytest.raises(DeliveryError) as err:
        mailer(port, security="starttls").send(match_alert())
    assert err.value.permanent
    assert "security" in err.value.hint
