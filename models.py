"""Values that flow between the stages. Frozen: a stage never mutates what it was given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from errors import ErrorKind

MatchKind = Literal["keyword", "query", "location"]
Field = Literal["title", "summary", "text"]


@dataclass(frozen=True)
class FetchResult:
    """What one HTTP GET gave back (after following allowed redirects)."""

    url: str  # the URL finally fetched
    status: int  # 200, or 304 (not modified; content is b"")
    content: bytes  # the decoded (gunzipped) body, capped
    headers: dict[str, str]  # response headers, lower-cased names
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None  # set when a 301/308 chain moved the resource
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class Entry:
    """One item of a parsed feed, normalised."""

    guid: str | None
    link: str | None
    title: str
    summary: str  # plain text
    published: datetime | None  # UTC, tz-aware; None when the feed gave none
    author: str = ""
    content: str = ""  # full content from the feed (content:encoded), as plain text


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[Entry, ...]
    ttl_minutes: int | None = None  # <ttl> or sy:updatePeriod/updateFrequency
    warning: str | None = None  # feedparser's bozo message for a recoverable feed


@dataclass(frozen=True)
class Article:
    """An archived article: what matching and alerts see."""

    id: int
    url: str
    title: str
    summary: str
    text: str  # extracted main text ("" until fetched / when extraction failed)
    published: datetime
    feed: str  # name of the feed it was first seen in
    language: str | None = None


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    country_code: str
    admin1: str
    latitude: float
    longitude: float
    population: int = 0

    @property
    def label(self) -> str:
        admin = f"-{self.admin1}" if self.admin1 and self.country_code == "US" else ""
        return f"{self.name}, {self.country_code}{admin}"


@dataclass(frozen=True)
class ResolvedPlace:
    """A place that mentions in an article resolved to (see ``matching.resolve``)."""

    place: Place
    mentions: int  # how many mentions of the article resolved to it
    written: str = ""  # the name as the article first wrote it
    firm: bool = False  # decided by a qualifier or evidence in the article (not prominence)


@dataclass(frozen=True)
class Match:
    """Why a watch fired: what matched, where, and a snippet around it."""

    watch: str
    kind: MatchKind
    term: str  # the watch term (keyword, query, or location as written)
    text: str  # the text as it stands in the article
    field: Field
    start: int  # character offsets into that field of the article
    end: int
    snippet: str
    place: Place | None = None


@dataclass(frozen=True)
class Alert:
    """One message to send: one (watch, article, channel), ever."""

    id: str  # stable idempotency key
    watch: str
    channel: str
    article_id: int
    url: str
    title: str
    feed: str
    published: datetime
    matches: tuple[Match, ...] = field(default_factory=tuple)
    kind: Literal["match", "notice", "update"] = "match"
    body: str = ""  # for notices (feed health); empty for matches
    attempts: int = 0
    queued_at: datetime | None = None  # when the outbox row was written
    story_id: int | None = None  # the story the alert stands for
    thread_of: str | None = None  # an update: the id of the story's first alert
    also: tuple[str, ...] = ()  # outlets of the later reports of the story (updates, digests)

    @property
    def locations(self) -> tuple[Place, ...]:
        seen: dict[int, Place] = {}
        for m in self.matches:
            if m.place is not None:
                seen.setdefault(m.place.geonameid, m.place)
        return tuple(seen.values())


@dataclass(frozen=True)
class FeedState:
    """A feed as storage knows it: configuration plus scheduling and health state."""

    id: int
    name: str
    url: str  # as configured
    current_url: str  # where it lives now (after 301/308)
    enabled: bool
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    polls: int  # successful polls so far (0: first contact)
    consecutive_errors: int
    next_check_at: datetime
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: str | None = None  # the last poll in a few words ("304 not modified", "HTTP 403")
    last_http_status: int | None = None  # of the last failure, when the server answered
    last_error: str | None = None  # the last failure's message
    last_error_kind: ErrorKind | None = None
    last_hint: str | None = None  # the last failure's one hint
    failing_since: datetime | None = None
    retry_until: datetime | None = None
    disabled_reason: str | None = None
    interval_seconds: float | None = None
    interval_reason: str | None = None
    ttl_minutes: int | None = None
    guid_mode: str | None = None
    title: str | None = None
    notice_state: str = "ok"
    configured: bool = True
    articles: int = 0
    lease_owner: str | None = None  # the worker polling it now (host:pid:token)
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """The schedule's decision: when the feed is polled next, and why."""

    next_check_at: datetime
    interval: float  # seconds (before jitter)
    reason: str  # "auto: 31 items/week -> 5m", "ttl 60", "backing off until ..."


@dataclass(frozen=True)
class PollSuccess:
    """A poll that worked: 200 (a new or the same body) or 304."""

    status: int  # HTTP status: 200 or 304
    plan: Plan
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # where a 301/308 chain ended
    changed: bool = False  # a new body was parsed: the fields below describe it
    entries: int = 0
    malformed: bool = False  # readable, but feedparser complained
    body_hash: str | None = None
    guid_mode: str | None = None
    title: str | None = None
    ttl_minutes: int | None = None

    @property
    def summary(self) -> str:
        if self.status == 304:
            return "304 not modified"
        if not self.changed:
            return f"{self.status} unchanged"
        note = " (malformed but readable)" if self.malformed else ""
        return f"{self.status} ok, {self.entries} entries{note}"


@dataclass(frozen=True)
class PollFailure:
    """A poll that failed: why (kind, HTTP status), what to do (one hint), and when to retry."""

    kind: ErrorKind
    status: int | None  # HTTP status when the server answered
    message: str
    hint: str
    plan: Plan
    retry_until: datetime | None = None  # the server's Retry-After decided the plan

    @property
    def gone(self) -> bool:
        return self.status == 410

    @property
    def summary(self) -> str:
        return f"HTTP {self.status}" if self.status else f"{self.kind} error"

    def render(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


PollOutcome = PollSuccess | PollFailure


@dataclass(frozen=True)
class Notice:
    """A feed-health message (failing, recovered, moved), queued in the outbox with the
    feed's state change."""

    key: str  # unique per outage and kind: the outbox id derives from it
    title: str
    body: str
    channels: list[str]
    state: str  # the feed's notice_state after this notice
