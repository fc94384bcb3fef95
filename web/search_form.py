"""The search page's form: what the query string asks for, checked. The place field is a
`place:NAME` term of the query (storage.search resolves it: every article where a mention
resolved to that place, in any script). A bad date or order is a FormError with one line
naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from errors import NewsbotError
from storage.search import ORDERS

PAGE_SIZE = 20
MAX_PAGE = 50  # ranked search looks at the newest 1,000 matches: 50 pages of 20
MAX_QUERY = 500
PLAIN_WORDS = re.compile(r"^[^\W\d_][\w'’ -]*$")


class FormError(NewsbotError):
    default_hint = "dates are YYYY-MM-DD; order is rank or newest"


@dataclass(frozen=True)
class SearchForm:
    q: str = ""
    watch: str = ""
    feed: str = ""
    place: str = ""
    since: str = ""
    until: str = ""
    order: str = "rank"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> SearchForm:
        def arg(name: str) -> str:
            return str(args.get(name) or "").strip()

        page = arg("page")
        return cls(
            q=arg("q")[:MAX_QUERY],
            watch=arg("watch"),
            feed=arg("feed"),
            place=arg("place"),
            since=arg("since"),
            until=arg("until"),
            order=arg("order") or "rank",
            page=min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1,
        )

    @property
    def query(self) -> str:
        """The words, with the place field as a place: term."""
        if not self.place:
            return self.q
        return f'{self.q} place:"{self.place.replace(chr(34), " ")}"'.strip()

    @property
    def empty(self) -> bool:
        return not (self.q or self.watch or self.feed or self.place or self.since or self.until)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def dates(self) -> tuple[datetime | None, datetime | None]:
        """since (from the start of that day) and until (to the end of that day), UTC."""
        if self.order not in ORDERS:
            raise FormError(f"order: {self.order!r} is not one of {', '.join(ORDERS)}")
        since = _day(self.since, "since")
        until = _day(self.until, "until")
        return since, (until + timedelta(days=1) if until else None)

    def suggests_place(self) -> bool:
        """Plain words (no operators, quotes, place: term or place field) may name a place."""
        return bool(
            PLAIN_WORDS.match(self.q)
            and not self.place
            and not any(w in ("AND", "OR", "NOT") for w in self.q.split())
        )

    def url(self, **changes: Any) -> str:
        """This search with some fields changed, as a /search URL (empty fields left out)."""
        form = replace(self, **changes)
        fields = {k: v for k, v in form.__dict__.items() if v and not (k == "page" and v == 1)}
        if fields.get("order") == "rank":
            del fields["order"]
        return "/search?" + urlencode(fields) if fields else "/search"


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value[:10]), time(), UTC)
    except ValueError:
        raise FormError(f"{name}: {value!r} is not a date like 2026-11-25") from None
