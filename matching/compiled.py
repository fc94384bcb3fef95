"""What compiling watches produces and matching consumes: a pattern's meaning (``Entry``) and a
compiled watch (``Watch``). Kept apart so the compiler and the matcher do not import each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from matching import query, resolve
from models import Place


@dataclass(frozen=True)
class Entry:
    """What a pattern hit means: a watch's keyword/query term/location, or evidence."""

    kind: str  # keyword | query | location | evidence | blocker
    term: str = ""  # as the user wrote it (keyword, query term, location spec)
    key: str = ""  # folded pattern (evidence and blocker names)
    query_term: query.Term | None = None
    place: Place | None = None
    model: resolve.NameModel | None = None


_Term = query.Term  # (inside Watch, ``query`` is a field)


@dataclass
class Watch:
    name: str
    keywords: list[str]
    locations: list[tuple[str, Place, list[str]]]  # spec, place, aliases
    query_text: str
    query: query.Node | None
    feeds: frozenset[str]
    positive: frozenset[_Term] = frozenset()  # the query's terms shown in matches
    keywords_only: bool = field(init=False)

    def __post_init__(self) -> None:
        self.keywords_only = bool(self.keywords) and not (self.locations or self.query)
