"""Watches compiled once into a Ruleset; ``Ruleset.match(article)`` says which watches fire.

A watch has ``keywords`` (any of them), ``locations`` (any of them), an optional boolean ``query``
and a ``feeds`` filter. It FIRES on an article when

    (no keywords  or one keyword matches)
    AND (no locations or one location is mentioned, see ``matching.disambig``)
    AND (no query or the query is true, see ``matching.query``)

and at least one of keywords, locations, query is set. Matching runs on the article's title,
summary and text (the extracted text, may be empty). A watch with a non-empty ``feeds`` list only
considers articles from those feeds; ``match(article, feeds=())`` means "feeds unknown": no filter.

Keywords and query terms are folded (case, accents, Unicode forms, Arabic letter variants: see
``matching.normalize``) and match whole words: ``mass grave`` matches "Mass graves", "mass
grave's", "mass\\n  grave", not "massive gravel". The last word may take a plural (-s, -es, -y ->
-ies); possessives need nothing (the apostrophe is a word break). Arabic terms also match after
the proclitics و ف ب ل ك ال ("وحلب", "بحلب"). Location aliases come from the gazetteer
(``matching.places``) and match the same way.

Every pattern of every watch (keywords, query terms, place aliases, the names used as
disambiguation evidence) goes into ONE Aho-Corasick automaton (``matching.automaton``): one pass
per field whatever the number of watches. Each ``Match`` gives offsets into its field of the
article (``getattr(article, field)[start:end] == text``) and a ~200-character snippet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from matching import disambig, mentions, persons, query, resolve
from matching.automaton import PatternSet
from matching.compiled import Entry, Watch
from matching.normalize import Folded, fold, normalize
from models import Article, Match, Place, ResolvedPlace

FIELDS = ("title", "summary", "text")
SNIPPET = 200


@dataclass(slots=True)
class _Hit:
    """One hit of an entry, shared by every watch that uses the entry."""

    entry: Entry
    field: str
    start: int  # folded offsets
    end: int
    ostart: int  # original offsets
    oend: int
    value: str  # the article's field
    counts: bool | None = None  # locations: does the mention count? (computed once)
    why: str = ""  # locations: why a mention does not count for the watched place
    no_place: str = ""  # locations: why the mention is no place at all ("" if it is one)
    shown: tuple | None = None  # the Match fields after ``watch`` (computed once)

    def match(self, watch: str) -> Match:
        if self.shown is None:
            e, v, start, end = self.entry, self.value, self.ostart, self.oend
            cut = snippet(v, start, end)
            self.shown = (e.kind, e.term, v[start:end], self.field, start, end, cut, e.place)
        return Match(watch, *self.shown)


_Span = tuple[int, int, str]  # folded start, end, name


@dataclass
class _Scan:
    by_watch: dict[int, list[_Hit]] = field(default_factory=lambda: defaultdict(list))
    evidence: set[str] = field(default_factory=set)
    lowered: set[str] = field(default_factory=set)  # evidence names also written in lower case
    blockers: dict[str, list[_Span]] = field(default_factory=lambda: defaultdict(list))
    folded: dict[str, Folded] = field(default_factory=dict)
    mentions: dict[int, dict[tuple[str, int], _Hit]] = field(default_factory=dict)  # per model
    models: dict[int, resolve.NameModel] = field(default_factory=dict)
    resolved: dict[int, resolve.Resolution] | None = None  # id(model) -> what the name is
    home: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    """What matching found in one article: the watches' matches and the places its mentions
    resolved to (stored in ``article_places``)."""

    matches: list[Match]
    places: list[ResolvedPlace]


class Ruleset:
    """Every watch, compiled once. ``match`` is pure: no I/O."""

    def __init__(
        self,
        watches: list[Watch],
        patterns: PatternSet,
        entries: list[Entry],
        watchers: list[tuple[int, ...]],
        qualifiers: dict[str, tuple[str, str | None]],
        notable: Callable[[str], bool] | None = None,
    ) -> None:
        self._watches = watches
        self._patterns = patterns
        self._entries = entries
        self._watchers = watchers  # entry id -> the watches using it
        self._qualifiers = qualifiers
        self._notable = notable or (lambda key: False)  # a place of note's name (persons)
        self.watch_names: list[str] = [w.name for w in watches]
        self._hitless = {i for i, w in enumerate(watches) if _fires_without_hits(w)}

    def match(self, article: Article, feeds: Collection[str] = ()) -> list[Match]:
        """The Match records of every watch that fires on the article (see module docstring)."""
        return self._matches(self._scan(article), article, feeds)

    def analyse(
        self, article: Article, feeds: Collection[str] = (), home: Mapping[str, float] = {}
    ) -> Analysis:
        """The matches and the places the article's mentions resolved to; ``home``: the
        feed's home regions (``matching.home``), a weak prior when the article is silent."""
        scan = self._scan(article, home)
        matches = self._matches(scan, article, feeds)
        return Analysis(matches, self._resolved_places(scan))

    def candidate_ids(self) -> frozenset[int]:
        """GeoNames ids of every candidate of every place name the watches use."""
        return frozenset(
            c.place.geonameid
            for e in self._entries
            if e.model is not None
            for c in e.model.candidates
        )

    def _resolved_places(self, scan: _Scan) -> list[ResolvedPlace]:
        out: dict[int, ResolvedPlace] = {}
        for mid, res in self._resolutions(scan).items():
            if res.winner is None:
                continue
            kept = [h for h in scan.mentions[mid].values() if not h.no_place]
            for c in (res.winner, *res.also):
                place = c.place
                old = out.get(place.geonameid)
                written = old.written if old else kept[0].value[kept[0].ostart : kept[0].oend]
                count = len(kept) + (old.mentions if old else 0)
                firm = res.firm or c is not res.winner
                out[place.geonameid] = ResolvedPlace(place, count, written, firm)
        return list(out.values())

    def _matches(self, scan: _Scan, article: Article, feeds: Collection[str]) -> list[Match]:
        feeds = set(feeds)
        out: list[Match] = []
        for i in sorted(scan.by_watch.keys() | self._hitless):
            watch = self._watches[i]
            if watch.feeds and feeds and not watch.feeds & feeds:
                continue
            hits = scan.by_watch.get(i, [])
            if watch.keywords_only and len(hits) == 1:  # the common case, short-cut
                out.append(hits[0].match(watch.name))
            else:
                out.extend(self._fire(watch, hits, scan, article))
        return out

    def _scan(self, article: Article, home: Mapping[str, float] = {}) -> _Scan:
        """One automaton pass per field; work per watch only for the watches hit."""
        scan = _Scan(home=home)
        for name in FIELDS:
            value = getattr(article, name) or ""
            folded = scan.folded[name] = normalize(value)
            for h in self._patterns.scan(folded.text):
                ostart, oend = folded.span(h.start, h.end)
                for p in h.payloads:
                    entry = self._entries[p]
                    if entry.kind == "evidence":
                        if not mentions.capitalised(value[ostart:oend]):
                            scan.lowered.add(entry.key)
                        elif not mentions.glued(value, ostart, oend):
                            scan.evidence.add(entry.key)
                    elif entry.kind == "blocker":
                        scan.blockers[name].append((h.start, h.end, entry.key))
                    else:
                        hit = _Hit(entry, name, h.start, h.end, ostart, oend, value)
                        for w in self._watchers[p]:
                            scan.by_watch[w].append(hit)
                        if entry.model is not None:
                            mid = id(entry.model)
                            scan.models[mid] = entry.model
                            scan.mentions.setdefault(mid, {}).setdefault((name, h.start), hit)
        return scan

    def _fire(self, watch: Watch, hits: list[_Hit], scan: _Scan, article: Article) -> list[Match]:
        if not (watch.keywords or watch.locations or watch.query):
            return []
        if not (watch.locations or watch.query):  # keywords only: every hit is a keyword
            return [h.match(watch.name) for h in _longest(hits)]
        kws = [h for h in hits if h.entry.kind == "keyword"]
        if watch.keywords and not kws:
            return []
        places = [h for h in hits if h.entry.kind == "location" and self._counts(h, scan)]
        locs = [h for h in places if h.entry.query_term is None]
        if watch.locations and not locs:
            return []
        terms = [h for h in hits if h.entry.kind == "query"]
        terms += [h for h in places if h.entry.query_term is not None]
        if watch.query is not None and not query.evaluate(watch.query, _positions(terms, scan)):
            return []
        chosen = _longest(kws + locs + [h for h in terms if h.entry.query_term in watch.positive])
        matches = [h.match(watch.name) for h in chosen]
        return matches or [_query_only(watch, article)]

    def _counts(self, hit: _Hit, scan: _Scan) -> bool:
        """Does this location mention resolve to the watched place? (matching.resolve)"""
        if hit.counts is None:
            model, place = hit.entry.model, hit.entry.place
            assert model is not None and place is not None
            first = scan.mentions[id(model)][(hit.field, hit.start)]
            res = self._resolutions(scan)[id(model)]
            hit.why = first.no_place or (
                "" if res.counts_for(place) else res.explain(_written(hit), place)
            )
            hit.counts = not hit.why
        return hit.counts

    def _resolutions(self, scan: _Scan) -> dict[int, resolve.Resolution]:
        """Every name of the article resolved once: mentions that are no place set aside,
        then a first pass, then a second with the places the other names resolved to."""
        if scan.resolved is not None:
            return scan.resolved
        qualifiers: dict[int, list[tuple[str, str | None]]] = {}
        own: dict[int, list[list[tuple[str, str | None]]]] = {}  # each mention's
        for mid, hits in scan.mentions.items():
            own[mid] = [self._qualifiers_of(h, scan) for h in hits.values()]
            qualifiers[mid] = [q for quals in own[mid] for q in quals]
        first = {mid: self._resolve(scan, mid, qualifiers[mid]) for mid in scan.mentions}
        winners = {mid: r.winner.place for mid, r in first.items() if r.winner and r.firm}
        scan.resolved = {
            mid: self._resolve(
                scan, mid, qualifiers[mid], [p for m, p in winners.items() if m != mid]
            )
            for mid in scan.mentions
        }
        for mid, res in scan.resolved.items():
            res.add_senses(own[mid])
        return scan.resolved

    def _qualifiers_of(self, h: _Hit, scan: _Scan) -> list[tuple[str, str | None]]:
        """What the text right around one mention says of its place (none: no place)."""
        h.no_place = self._no_place(h, scan) or ""
        if h.no_place:
            return []
        q = disambig.qualifier_after(h.value, h.oend, self._qualifiers)
        out = [q] if q is not None else []
        if self._regional(h):
            out.append(resolve.REGION_MARK)
        if mentions.world_event_after(h.value, h.oend):
            out.append(resolve.FAME_MARK)
        return out

    def _resolve(
        self,
        scan: _Scan,
        mid: int,
        quals: list[tuple[str, str | None]],
        nearby: Sequence[Place] = (),
    ) -> resolve.Resolution:
        model = scan.models[mid]
        if all(h.no_place for h in scan.mentions[mid].values()):
            return resolve.not_a_place(model)
        return resolve.resolve(model, quals, scan.evidence - scan.lowered, nearby, scan.home)

    def _regional(self, hit: _Hit) -> bool:
        """Written as a region; a region's name without a region candidate, written as a
        town's qualifier or with "state", is then no town at all ("London, Ontario")."""
        how = disambig.names_a_region(hit.value, hit.ostart, hit.oend, self._qualifiers)
        model = hit.entry.model
        assert model is not None
        if not how:
            return False
        if how == "qualifier" and model.within_city(disambig.item_before(hit.value, hit.ostart)):
            return False  # "Brooklyn, New York": the city the borough lies in
        if any(c.kind in ("state", "country") for c in model.candidates):
            return True
        if how != "list":
            hit.no_place = f"written as a region's name ({how}): no town"
        return False

    def _no_place(self, hit: _Hit, scan: _Scan) -> str | None:
        """Why this mention is no place at all (matching.mentions, a longer place name,
        matching.persons), or None."""
        text, model = hit.value, hit.entry.model
        assert model is not None
        why = mentions.no_place(text, hit.ostart, hit.oend)
        if why:
            return why
        for bstart, bend, key in scan.blockers.get(hit.field, ()):
            if bstart <= hit.start and hit.end <= bend and key in model.blockers:
                return f"part of the longer place name {key.title()!r}"
        return persons.person(text, hit.ostart, hit.oend, self._notable)

    def resolutions(self, article: Article) -> list[str]:
        """For explanations: each place name of the article, its candidates and why one won
        ("Paris -> Paris, FR: most prominent; Paris, US-TN: no evidence")."""
        scan = self._scan(article)
        lines = []
        for mid, res in self._resolutions(scan).items():
            hit = next(iter(scan.mentions[mid].values()))
            lines.append(res.explain(_written(hit)))
        return lines

    def rejected(self, article: Article) -> list[tuple[str, str, str, int, str]]:
        """Location mentions that did not count, and why: (watch, text, field, start, why).
        For explanations (`watches test`, the demo); ``match`` is what alerts."""
        scan = self._scan(article)
        out = []
        for i, hits in sorted(scan.by_watch.items()):
            for h in hits:
                if h.entry.kind == "location" and not self._counts(h, scan):
                    out.append(
                        (
                            self._watches[i].name,
                            h.value[h.ostart : h.oend],
                            h.field,
                            h.ostart,
                            h.why,
                        )
                    )
        return out

    def describe(self) -> list[str]:
        """Human lines for ``bot.py check``: each watch, its terms and what places resolved to."""
        lines: list[str] = []
        for w in self._watches:
            feeds = f" (feeds: {', '.join(sorted(w.feeds))})" if w.feeds else ""
            lines.append(f"watch {w.name!r}{feeds}")
            if w.keywords:
                lines.append(f"  keywords: {', '.join(w.keywords)}")
            if w.query_text:
                lines.append(f"  query: {w.query_text}")
            for spec, p, aliases in w.locations:
                others = [a for a in aliases if fold(a) != fold(spec)]
                where = f"geonames:{p.geonameid}, {p.latitude:.2f}, {p.longitude:.2f}"
                lines.append(
                    f"  location {spec} -> {p.label} ({where}), aliases: {', '.join(others)}"
                )
            if not (w.keywords or w.locations or w.query_text):
                lines.append("  (no keywords, locations or query: never fires)")
        return lines


def _written(hit: _Hit) -> str:
    return hit.value[hit.ostart : hit.oend]


def _fires_without_hits(watch: Watch) -> bool:
    """A query-only watch true on an article without any of its words (``NOT sport``)."""
    if watch.keywords or watch.locations or watch.query is None:
        return False
    return query.evaluate(watch.query, lambda term: [])


def _positions(terms: list[_Hit], scan: _Scan) -> Callable[[query.Term], query.Positions]:
    """A lookup term -> [(field index, word index)] for query evaluation."""
    found: dict[query.Term, list[tuple[int, int]]] = defaultdict(list)
    for h in terms:
        word = scan.folded[h.field].text.count(" ", 0, h.start)  # words are one space apart
        found[h.entry.query_term].append((FIELDS.index(h.field), word))  # type: ignore[index]
    return lambda term: found.get(term, [])


def _longest(hits: list[_Hit]) -> list[_Hit]:
    """Drop hits of the same kind inside a longer one ("Halab" in "Madinat Halab"); sort."""
    if len(hits) < 2:
        return hits
    hits = sorted(hits, key=lambda h: (FIELDS.index(h.field), h.ostart, -h.oend))
    reach: dict[tuple[str, str, str], int] = {}  # (field, kind, term) -> furthest end kept
    out: list[_Hit] = []
    for h in hits:  # every earlier hit starts at or before h: h is inside one iff one reaches
        group = (h.field, h.entry.kind, h.entry.term)
        if reach.get(group, -1) >= h.oend:
            continue
        reach[group] = max(reach.get(group, -1), h.oend)
        out.append(h)
    return out


def _query_only(watch: Watch, article: Article) -> Match:
    """A query true only through NOT has no words to show: point at the title."""
    return Match(
        watch.name, "query", watch.query_text, "", "title", 0, 0, snippet(article.title, 0, 0)
    )


def snippet(text: str, start: int, end: int, width: int = SNIPPET) -> str:
    """About ``width`` characters around [start, end), whitespace collapsed, … at cuts."""
    pad = max(0, (width - (end - start)) // 2)
    lo, hi = max(0, start - pad), min(len(text), end + pad)
    body = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
