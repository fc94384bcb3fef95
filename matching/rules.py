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

import bisect
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from errors import PlaceError, QueryError
from matching import disambig, query
from matching.automaton import PatternSet
from matching.normalize import Folded, fold, normalize
from matching.places import Gazetteer
from models import Article, Match, Place
from settings import WatchSettings

FIELDS = ("title", "summary", "text")
SNIPPET = 200


@dataclass(frozen=True)
class _Entry:
    """What a pattern hit means: a watch's keyword/query term/location, or evidence."""

    kind: str  # keyword | query | location | evidence | blocker
    watch: int = -1
    term: str = ""  # as the user wrote it (keyword, query term, location spec)
    key: str = ""  # folded pattern (evidence and blocker names)
    query_term: query.Term | None = None
    place: Place | None = None
    model: disambig.AliasModel | None = None


@dataclass
class _Watch:
    name: str
    keywords: list[str]
    locations: list[tuple[str, Place, list[str]]]  # spec, place, aliases
    query_text: str
    query: query.Node | None
    feeds: frozenset[str]


@dataclass(slots=True)
class _Hit:
    entry: _Entry
    field: str
    start: int  # folded offsets
    end: int
    ostart: int  # original offsets
    oend: int


@dataclass
class _Scan:
    by_watch: dict[int, list[_Hit]] = field(default_factory=lambda: defaultdict(list))
    evidence: set[str] = field(default_factory=set)
    blockers: dict[str, list[tuple[int, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    folded: dict[str, Folded] = field(default_factory=dict)


class Ruleset:
    """Every watch, compiled once. ``match`` is pure: no I/O."""

    def __init__(
        self,
        watches: list[_Watch],
        patterns: PatternSet,
        entries: list[_Entry],
        qualifiers: dict[str, tuple[str, str | None]],
    ) -> None:
        self._watches = watches
        self._patterns = patterns
        self._entries = entries
        self._qualifiers = qualifiers
        self.watch_names: list[str] = [w.name for w in watches]
        self._hitless = {i for i, w in enumerate(watches) if _fires_without_hits(w)}

    def match(self, article: Article, feeds: Collection[str] = ()) -> list[Match]:
        """The Match records of every watch that fires on the article (see module docstring)."""
        scan = self._scan(article)
        feeds = set(feeds)
        out: list[Match] = []
        for i in sorted(scan.by_watch.keys() | self._hitless):
            watch = self._watches[i]
            if watch.feeds and feeds and not watch.feeds & feeds:
                continue
            out.extend(self._fire(watch, scan.by_watch.get(i, []), scan, article))
        return out

    def _scan(self, article: Article) -> _Scan:
        scan = _Scan()
        for name in FIELDS:
            value = getattr(article, name) or ""
            folded = scan.folded[name] = normalize(value)
            for h in self._patterns.scan(folded.text):
                ostart, oend = folded.span(h.start, h.end)
                for p in h.payloads:
                    entry = self._entries[p]
                    if entry.kind == "evidence":
                        if disambig.capitalised(value[ostart:oend]):
                            scan.evidence.add(entry.key)
                    elif entry.kind == "blocker":
                        scan.blockers[name].append((h.start, h.end, entry.key))
                    else:
                        hit = _Hit(entry, name, h.start, h.end, ostart, oend)
                        scan.by_watch[entry.watch].append(hit)
        return scan

    def _fire(self, watch: _Watch, hits: list[_Hit], scan: _Scan, article: Article) -> list[Match]:
        if not (watch.keywords or watch.locations or watch.query):
            return []
        kws = [h for h in hits if h.entry.kind == "keyword"]
        locs = [h for h in hits if h.entry.kind == "location" and self._counts(h, scan, article)]
        terms = [h for h in hits if h.entry.kind == "query"]
        if (watch.keywords and not kws) or (watch.locations and not locs):
            return []
        if watch.query is not None and not query.evaluate(watch.query, _positions(terms, scan)):
            return []
        positive = set(query.positive_terms(watch.query)) if watch.query is not None else set()
        chosen = _longest(kws + locs + [h for h in terms if h.entry.query_term in positive])
        matches = [_match(watch.name, h, article) for h in chosen]
        return matches or [_query_only(watch, article)]

    def _counts(self, hit: _Hit, scan: _Scan, article: Article) -> bool:
        """Does this location mention count for the watched place? (matching.disambig)"""
        text = getattr(article, hit.field)
        model, place = hit.entry.model, hit.entry.place
        assert model is not None and place is not None
        if not disambig.capitalised(text[hit.ostart : hit.oend]):
            return False
        if disambig.blocked_by_neighbours(text, hit.ostart, hit.oend):
            return False
        for bstart, bend, key in scan.blockers.get(hit.field, ()):
            if bstart <= hit.start and hit.end <= bend and key in model.blockers:
                return False
        qualifier = disambig.qualifier_after(text, hit.oend, self._qualifiers)
        if qualifier is not None:
            return disambig.qualifier_keeps(qualifier, place)
        return not disambig.evidence_wins_elsewhere(model, scan.evidence)

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


def _fires_without_hits(watch: _Watch) -> bool:
    """A query-only watch true on an article without any of its words (``NOT sport``)."""
    if watch.keywords or watch.locations or watch.query is None:
        return False
    return query.evaluate(watch.query, lambda term: [])


def _positions(terms: list[_Hit], scan: _Scan) -> Callable[[query.Term], query.Positions]:
    """A lookup term -> [(field index, word index)] for query evaluation."""
    spaces: dict[str, list[int]] = {}
    found: dict[query.Term, list[tuple[int, int]]] = defaultdict(list)
    for h in terms:
        if h.field not in spaces:
            text = scan.folded[h.field].text
            spaces[h.field] = [i for i, c in enumerate(text) if c == " "]
        word = _count_below(spaces[h.field], h.start)
        found[h.entry.query_term].append((FIELDS.index(h.field), word))  # type: ignore[index]
    return lambda term: found.get(term, [])


def _count_below(sorted_values: list[int], x: int) -> int:
    return bisect.bisect_left(sorted_values, x)


def _longest(hits: list[_Hit]) -> list[_Hit]:
    """Drop hits of the same kind inside a longer one ("Halab" in "Madinat Halab"); sort."""
    hits = sorted(hits, key=lambda h: (FIELDS.index(h.field), h.ostart, -h.oend))
    out: list[_Hit] = []
    for h in hits:
        if any(
            o.field == h.field
            and o.entry.kind == h.entry.kind
            and o.ostart <= h.ostart
            and h.oend <= o.oend
            and o.entry.term == h.entry.term
            for o in out
        ):
            continue
        out.append(h)
    return out


def _match(watch: str, h: _Hit, article: Article) -> Match:
    text = getattr(article, h.field)
    return Match(
        watch=watch,
        kind=h.entry.kind,  # type: ignore[arg-type]
        term=h.entry.term,
        text=text[h.ostart : h.oend],
        field=h.field,  # type: ignore[arg-type]
        start=h.ostart,
        end=h.oend,
        snippet=snippet(text, h.ostart, h.oend),
        place=h.entry.place,
    )  # type: ignore[arg-type]


def _query_only(watch: _Watch, article: Article) -> Match:
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


# ---- compiling ---------------------------------------------------------------------------


class _Compiler:
    def __init__(self, gazetteer: Gazetteer | None) -> None:
        self._gaz = gazetteer
        self._evidence: disambig.Evidence | None = None
        self.patterns = PatternSet()
        self.entries: list[_Entry] = []
        self._named: dict[tuple[str, str], int] = {}  # (kind, key) -> entry id
        self._models: dict[tuple[int, str], disambig.AliasModel] = {}

    @property
    def evidence(self) -> disambig.Evidence:
        if self._evidence is None:
            self._gaz = self._gaz or Gazetteer.load()
            self._evidence = disambig.Evidence(self._gaz)
        return self._evidence

    def _entry(self, entry: _Entry) -> int:
        self.entries.append(entry)
        return len(self.entries) - 1

    def _named_entry(self, kind: str, key: str) -> int:
        if (kind, key) not in self._named:
            self._named[(kind, key)] = self._entry(_Entry(kind, key=key))
        return self._named[(kind, key)]

    def watch(self, index: int, ws: WatchSettings) -> _Watch:
        for kw in ws.keywords:
            eid = self._entry(_Entry("keyword", index, kw))
            for form in word_forms(fold(kw)):
                self.patterns.add(form, eid)
        node = self._query(index, ws) if ws.query.strip() else None
        locations = [self._location(index, ws.name, spec) for spec in ws.locations]
        return _Watch(ws.name, list(ws.keywords), locations, ws.query, node, frozenset(ws.feeds))

    def _query(self, index: int, ws: WatchSettings) -> query.Node:
        try:
            node = query.parse_query(ws.query)
        except QueryError as exc:
            raise QueryError(f"watch {ws.name!r}: query: {exc.message}", exc.position) from exc
        for term in dict.fromkeys(query.terms_of(node)):
            key = fold(term.text)
            if not key:
                raise QueryError(
                    f"watch {ws.name!r}: query term {term.text!r} has no letters or digits",
                    ws.query.find(term.text),
                )
            eid = self._entry(_Entry("query", index, term.text, query_term=term))
            for form in [key] if term.prefix else word_forms(key):
                self.patterns.add(form, eid, prefix=term.prefix)
        return node

    def _location(self, index: int, watch: str, spec: str) -> tuple[str, Place, list[str]]:
        gaz = self.evidence.gaz
        try:
            place = gaz.resolve(spec)
        except PlaceError as exc:
            raise PlaceError(f"watch {watch!r}: location {spec!r}: {exc.message}") from exc
        aliases = gaz.aliases(place, spec)
        for alias in aliases:
            model = self._model(place, alias, aliases)
            eid = self._entry(_Entry("location", index, spec, place=place, model=model))
            self.patterns.add(fold(alias), eid)
        return spec, place, aliases

    def _model(self, place: Place, alias: str, aliases: list[str]) -> disambig.AliasModel:
        key = (place.geonameid, fold(alias))
        if key not in self._models:
            model = self._models[key] = self.evidence.model(place, alias, aliases)
            for cand in [model.watched, *model.others]:
                for name in cand.evidence:
                    self.patterns.add(name, self._named_entry("evidence", name))
            for name in model.blockers:
                self.patterns.add(name, self._named_entry("blocker", name))
        return self._models[key]


def word_forms(key: str) -> list[str]:
    """A folded term and the plural forms of its last word (Latin script only)."""
    if not key:
        return []
    forms = [key]
    last = key.rsplit(" ", 1)[-1]
    if last.isascii() and last.isalpha() and len(last) > 1:
        forms += [key + "s", key + "es"]
        if last.endswith("y"):
            forms.append(key[:-1] + "ies")
    return forms


def compile_rules(watches: Sequence[WatchSettings], gazetteer: Gazetteer | None = None) -> Ruleset:
    """Compile every watch once (raises QueryError / PlaceError naming the watch).

    The gazetteer is loaded (``Gazetteer.load()``) only when some watch has locations.
    """
    compiler = _Compiler(gazetteer)
    compiled = [compiler.watch(i, ws) for i, ws in enumerate(watches)]
    compiler.patterns.build()
    qualifiers = compiler.evidence.qualifiers if compiler._evidence else {}
    return Ruleset(compiled, compiler.patterns, compiler.entries, qualifiers)
