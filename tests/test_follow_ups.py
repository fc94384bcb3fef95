"""A story's follow-ups on a threaded channel (``updates = "thread"``) go out at most once per
``update_every`` after the thread's last message, the reports that waited folded into one:
a story that fifty outlets carry over an afternoon is a handful of e-mails, not fifty. Real
SMTP server, real archive file; the delivery's clock is driven (the hold is minutes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import Entry, Match
from service.delivery import Delivery
from settings import FeedSettings, from_dict
from storage import Store
from storage.archive import Processed

T0 = datetime.now(UTC).replace(microsecond=0)
OUTLETS = ["Wire", "Daily", "Agency"]


class OneStory:
    """A clusterer that puts every article in the first one's story."""

    def __init__(self) -> None:
        self.first: int | None = None

    def begin(self, store: object, now: datetime) -> None:
        return None

    def assign(self, store: object, article: object, text: str, places: frozenset[int]) -> int:
        self.first = self.first or article.id  # type: ignore[attr-defined]
        return self.first

    def end(self, ok: bool) -> None:
        return None


def _report(store: Store, clusterer: OneStory, outlet: str, at: datetime) -> None:
    title = f"{outlet}: convoy reaches Aleppo district"
    entry = Entry(outlet, f"http://{outlet.lower()}.example/1", title, "Aleppo.", at)
    (aid,) = store.save_entries(store.feed(outlet), [entry], "guid", at)
    match = Match("Aleppo", "keyword", "aleppo", "Aleppo", "title", 0, 6, "Aleppo")
    done = [Processed(store.article(aid), "", "x", {}, (match,))]
    mail = {"Aleppo": ["mail"]}
    store.complete_articles(done, mail, at, clusterer=clusterer, threads=frozenset({"mail"}))


def test_follow_ups_wait_for_update_every_and_fold(tmp_path, smtp_server):
    cfg = from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "watches": [{"name": "Aleppo", "keywords": ["Aleppo"]}],
            "notifiers": {
                "mail": {
                    "type": "email",
                    "host": "127.0.0.1",
                    "port": smtp_server.port,
                    "security": "none",
                    "to": ["analyst@example.org"],
                    "updates": "thread",
                    "update_every": "10m",
                }
            },
        },
        base_dir=str(tmp_path),
    )
    now = {"t": T0}
    store = Store.open(cfg.db_path)
    store.sync_feeds([FeedSettings(url=f"http://{o}/f", name=o) for o in OUTLETS], T0)
    clusterer = OneStory()
    inbox = smtp_server.inbox.messages
    try:
        with Delivery.from_settings(cfg, clock=lambda: now["t"]) as delivery:

            def at(minutes: float) -> None:
                now["t"] = T0 + timedelta(minutes=minutes)
                delivery.all_due(store)

            _report(store, clusterer, "Wire", T0)
            at(0)
            assert len(inbox) == 1  # the story's first alert, at once
            _report(store, clusterer, "Daily", T0 + timedelta(minutes=1))
            at(1)
            _report(store, clusterer, "Agency", T0 + timedelta(minutes=2))
            at(2)
            at(9)
            assert len(inbox) == 1  # the thread spoke at 0: its follow-ups wait until 10
            at(10)
            assert len(inbox) == 2
            follow = inbox[1]
            assert str(follow["Subject"]).startswith("Re: ")
            assert follow["In-Reply-To"] == inbox[0]["Message-ID"]
            text = follow.get_body(("plain",)).get_content()
            assert "also reported by Daily, Agency" in text  # both, in one message
            at(30)
            assert len(inbox) == 2  # nothing more to say
    finally:
        store.close()
