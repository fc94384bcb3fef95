"""Compiling watches into one pattern set: every keyword, query term, place alias and
evidence name of every watch becomes a pattern; watches using the same term share one entry
(one hit serves them all); every place name gets one ``resolve.NameModel`` (its candidates and
their evidence), shared by every watch whose place bears it. ``compile_rules`` is the entry
point."""

from __future__ import annotations

from collections.abc import Sequence

from errors import PlaceError, QueryError
from matching import disambig, query, resolve
from matching.automaton import PatternSet
from matching.compiled import Entry, Watch
from matching.forms import slavic_forms, word_forms
from matching.normalize import fold
from matching.places import Gazetteer
from matching.rules import Ruleset
from models import Place
from settings import WatchSettings

_Spot = tuple[Place, list[str], list[tuple[str, resolve.NameModel]]]


class Compiler:
    def __init__(self, gazetteer: Gazetteer | None) -> None:
        self._gaz = gazetteer
        self._evidence: disambig.Evidence | None = None
        self.patterns = PatternSet()
        self.entries: list[Entry] = []
        self.watchers: list[dict[int, None]] = []  # entry id -> ordered set of watch indexes
        self._named: dict[tuple[str, str], int] = {}  # (kind, key) -> entry id
        self._shared: dict[tuple[object, ...], int] = {}  # what an entry means -> entry id
        self._models: dict[str, resolve.NameModel] = {}  # folded name -> its model
        self._places: dict[str, _Spot] = {}  # location spec -> its place, aliases, models

    @property
    def has_evidence(self) -> bool:
        return self._evidence is not None

    @property
    def evidence(self) -> disambig.Evidence:
        if self._evidence is None:
            self._gaz = self._gaz or Gazetteer.load()
            self._evidence = disambig.Evidence(self._gaz)
        return self._evidence

    def _entry(self, entry: Entry) -> int:
        self.entries.append(entry)
        self.watchers.append({})
        return len(self.entries) - 1

    def _named_pattern(self, kind: str, key: str) -> None:
        """One entry per evidence or blocker name, its pattern the name itself."""
        if (kind, key) not in self._named:
            eid = self._named[(kind, key)] = self._entry(Entry(kind, key=key))
            self.patterns.add(key, eid)

    def _watch_entry(self, index: int, key: tuple[object, ...], entry: Entry) -> int:
        """The entry every watch with this term shares (one hit serves them all); -1 when it
        existed already (its patterns are in)."""
        eid = self._shared.get(key)
        new = eid is None
        if eid is None:
            eid = self._shared[key] = self._entry(entry)
        self.watchers[eid][index] = None
        return eid if new else -1

    def watch(self, index: int, ws: WatchSettings) -> Watch:
        for kw in ws.keywords:
            eid = self._watch_entry(index, ("keyword", kw), Entry("keyword", kw))
            for form in word_forms(fold(kw)) if eid >= 0 else ():
                self.patterns.add(form, eid)
        node = self._query(index, ws) if ws.query.strip() else None
        positive = frozenset(query.positive_terms(node)) if node is not None else frozenset()
        locations = [self._location(index, ws.name, spec) for spec in ws.locations]
        feeds = frozenset(ws.feeds)
        return Watch(ws.name, list(ws.keywords), locations, ws.query, node, feeds, positive)

    def _query(self, index: int, ws: WatchSettings) -> query.Node:
        try:
            node = query.parse_query(ws.query)
        except QueryError as exc:
            raise QueryError(f"watch {ws.name!r}: query: {exc.message}", exc.position) from exc
        for term in dict.fromkeys(query.terms_of(node)):
            if term.place:
                self._location(index, ws.name, term.text, term)
                continue
            key = fold(term.text)
            if not key:
                raise QueryError(
                    f"watch {ws.name!r}: query term {term.text!r} has no letters or digits",
                    ws.query.find(term.text),
                )
            entry = Entry("query", term.text, query_term=term)
            eid = self._watch_entry(index, ("query", term), entry)
            for form in ([key] if term.prefix else word_forms(key)) if eid >= 0 else ():
                self.patterns.add(form, eid, prefix=term.prefix)
        return node

    def _location(
        self, index: int, watch: str, spec: str, term: query.Term | None = None
    ) -> tuple[str, Place, list[str]]:
        """A watch's location, or a query's place:NAME term (``term``)."""
        if spec not in self._places:
            self._places[spec] = self._spot(watch, spec)
        place, aliases, models = self._places[spec]
        for key, model in models:
            entry = Entry("location", spec, place=place, model=model, query_term=term)
            eid = self._watch_entry(index, ("location", spec, place.geonameid, key, term), entry)
            for form in [key, *slavic_forms(key)] if eid >= 0 else ():
                self.patterns.add(form, eid)
        return spec, place, aliases

    def _spot(self, watch: str, spec: str) -> _Spot:
        gaz = self.evidence.gaz
        try:
            place = gaz.resolve(spec)
        except PlaceError as exc:
            raise PlaceError(f"watch {watch!r}: location {spec!r}: {exc.message}") from exc
        aliases = gaz.aliases(place, spec)
        return place, aliases, [(fold(a), self._model(place, fold(a))) for a in aliases]

    def _model(self, place: Place, key: str) -> resolve.NameModel:
        """The name's model (built once), with the watched place among its candidates."""
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = self.evidence.name_model(key)
            for name in model.blockers:
                self._named_pattern("blocker", name)
            for cand in model.candidates:
                self._evidence_patterns(cand)
        if all(c.place.geonameid != place.geonameid for c in model.candidates):
            cand = self.evidence.candidate(place, main=fold(place.name) == key)
            model.add(cand)
            self._evidence_patterns(cand)
        return model

    def _evidence_patterns(self, cand: resolve.Candidate) -> None:
        for name in cand.evidence:
            self._named_pattern("evidence", name)


def compile_rules(watches: Sequence[WatchSettings], gazetteer: Gazetteer | None = None) -> Ruleset:
    """Compile every watch once (raises QueryError / PlaceError naming the watch).

    The gazetteer is loaded (``Gazetteer.load()``) only when some watch has locations.
    """
    compiler = Compiler(gazetteer)
    compiled = [compiler.watch(i, ws) for i, ws in enumerate(watches)]
    compiler.patterns.build()
    qualifiers = compiler.evidence.qualifiers if compiler.has_evidence else {}
    watchers = [tuple(w) for w in compiler.watchers]
    notable = compiler.evidence.notable if compiler.has_evidence else None
    return Ruleset(compiled, compiler.patterns, compiler.entries, watchers, qualifiers, notable)
