"""One referent per name: every mention of a gazetteer name in an article resolves to exactly
one place, or to "not a place"; a place watch fires only when a mention resolves to its place.

For every name a watch may meet (each alias of each watched place, each ``place:`` term) the
compiler builds one ``NameModel``: its CANDIDATES, every gazetteer entry bearing the name
(cities, countries, US states; the ``MAX_CANDIDATES`` most prominent, and always the watched
ones), each with a prior and an evidence table (``matching.disambig.Evidence``).

Per article, all mentions of one name are judged together (one sense per discourse, a
hyphenated ``Paris-based`` included). Mentions that are no place at all (lower case, inside a
longer name, before ``pepper``/``Atoll``; see ``matching.disambig``) are set aside first; when
none is left the name is "not a place". Each candidate then scores

    prior       log10(population + 1) + log10(alternate names + 1) / 2 (+1 when the name is
                its main name; +2 a country, +1 a US state; a state counts as 1M people)
    qualifier   +QUALIFIER when a mention is followed by one naming the candidate's country or
                first-level region: ", Texas", ", Tenn.", " (Ky.)", ", Alberta", ", Queensland";
                and for a state or country when a mention is written as a region (the
                qualifier of a town, "Tacoma, Washington"; an item of a list of regions;
                "Washington state": ``matching.disambig.names_a_region``); a name written so
                with no such candidate is no town ("London, Ontario": not Ontario, CA)
    evidence    the names found anywhere in the article that point to it (its table): towns
                within 50 km (3 each), its first-level region (4), its county or second-level
                division (3), other counties of its state (1), its region's biggest cities (2),
                its country's name in many languages or demonym (2), its country's biggest
                cities (1)
    coherence   other names of the article that the first pass resolved on discriminating
                evidence (``Resolution.firm``) to a place within 50 km of it (+COHERE_LOCAL;
                main names only)
    home        only when nothing above speaks for any candidate: +HOME x the share of the
                feed's past places that lay in the candidate's region (``matching.home``)

and the highest score wins (the prior alone: "most prominent"). A watched place counts a
mention when the winner is that place or a gazetteer duplicate of it (same country, within
50 km).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from matching.normalize import fold
from matching.places import distance_km
from models import Place

MAX_CANDIDATES = 25
MAIN_BONUS = 1.0
STATE_PEOPLE = 100_000  # "New York", "Washington" alone: the city, unless the state is named
CAPS = {"region": 4, "country": 2}  # at most this many points per class of evidence
QUALIFIER = 12.0
COHERE_LOCAL = 3.0
HOME = 6.0  # x share: a feed with 3/4 of its places in TN makes a bare Paris TN's
SAME_KM = 50.0


@dataclass
class Candidate:
    place: Place
    prior: float
    evidence: dict[str, tuple[float, str]]  # folded name -> (points, class); shared per place
    kind: str = "city"
    main: bool = True  # the name is its main name (not only an alternate one)

    @property
    def region(self) -> str:
        return f"{self.place.country_code}-{self.place.admin1}"


@dataclass
class NameModel:
    """Everything needed to resolve the mentions of one folded name."""

    key: str
    candidates: list[Candidate]
    blockers: frozenset[str] = frozenset()  # folded longer place names containing the name
    labels: dict[int, str] = field(default_factory=dict)

    def within_city(self, town: str) -> bool:
        """Is ``town`` (folded) a neighbourhood of a city bearing the name (its local evidence)?"""
        return any(
            c.kind == "city" and c.evidence.get(town, (0, ""))[1] == "local"
            for c in self.candidates
        )

    def add(self, candidate: Candidate) -> None:
        if all(c.place.geonameid != candidate.place.geonameid for c in self.candidates):
            self.candidates.append(candidate)


def prior(population: int, alternates: int, *, main: bool, kind: str) -> float:
    """Prominence: people and fame (number of names), a main name, a country or state."""
    people = STATE_PEOPLE if kind == "state" else population
    bonus = {"country": 2.0, "state": 1.0}.get(kind, 0.0) + (MAIN_BONUS if main else 0.0)
    return math.log10(people + 1) + math.log10(alternates + 1) / 2 + bonus


@dataclass
class Score:
    candidate: Candidate
    total: float
    reasons: list[str]  # what spoke for it, beyond the prior
    named: frozenset[str] = frozenset()  # the evidence names found for it

    def own_reasons(self, other: Score) -> list[str]:
        """Its reasons without the evidence names ``other`` has too."""
        own = sorted(self.named - other.named)
        out = [r for r in self.reasons if not r.startswith(_NAMES)]
        return out + ([_NAMES + ", ".join(n.title() for n in own[:4])] if own else [])


@dataclass
class Resolution:
    """What one name resolved to in one article, and why."""

    key: str
    winner: Candidate | None  # None: not a place
    scores: list[Score]  # best first
    decided_by: str  # "qualifier" | "evidence" | "home" | "prominence" | "not a place"
    also: list[Candidate] = field(default_factory=list)  # other senses, each by its own qualifier

    def add_senses(self, per_mention: Sequence[Sequence[tuple[str, str | None]]]) -> None:
        """One sense per discourse yields to a mention's own qualifier: "London, Ont." and
        "London, England" in one article are two places, as are "PARIS, Tenn." and "the Paris
        Olympics". Each qualified mention's best qualified candidate is a sense too."""
        if self.winner is None:
            return
        top = max((s.candidate for s in self.scores), key=lambda c: c.prior)
        for quals in per_mention:
            hit = next(
                (
                    s.candidate
                    for s in self.scores
                    if quals and _qualified(s.candidate, quals, s.candidate is top)
                ),
                None,
            )
            if hit is not None and hit is not self.winner and hit not in self.also:
                self.also.append(hit)

    @property
    def firm(self) -> bool:
        """Decided by a qualifier or by evidence that speaks for the winner more than for any
        other candidate ("United States" for every US town is not that)."""
        if self.winner is None or self.decided_by not in ("qualifier", "evidence"):
            return False
        extra = [s.total - s.candidate.prior for s in self.scores]
        return len(extra) == 1 or extra[0] > max(extra[1:])

    def counts_for(self, place: Place) -> bool:
        senses = [self.winner, *self.also] if self.winner else []
        return any(_same(w, place) for w in senses)

    def explain(self, written: str, watched: Place | None = None) -> str:
        out = self._explain(written, watched)
        if self.also:
            out += "; also " + ", ".join(c.place.label for c in self.also) + " (its own qualifier)"
        return out

    def _explain(self, written: str, watched: Place | None = None) -> str:
        """``Paris -> Paris, FR: most prominent; no evidence for Paris, US-TN (12 candidates)``:
        the winner and what spoke for it, then the watched place (a rejection) or else the
        runner-up, with only the evidence of its own (what the winner has too decided
        nothing); the other candidates are counted, not listed."""
        if self.winner is None:
            return f"{written} -> not a place"
        best = self.scores[0]
        why = "; ".join(best.reasons) if best.reasons else "most prominent"
        out = f"{written} -> {best.candidate.place.label}: {why}"
        if watched is not None:
            rest = [s for s in self.scores[1:] if s.candidate.place.geonameid == watched.geonameid]
        else:
            rest = self.scores[1:2]
        for s in rest:
            own = s.own_reasons(best)
            label = s.candidate.place.label
            if own:
                out += f"; {label}: {'; '.join(own)}"
            else:
                out += (
                    f"; {label}: no evidence of its own"
                    if s.reasons
                    else f"; no evidence for {label}"
                )
        n = len(self.scores)
        return out + (f" ({n} candidates)" if n > 2 else "")


def _same(w: Candidate, place: Place) -> bool:
    """Is the winner the place, or a gazetteer duplicate of it?"""
    if w.place.geonameid == place.geonameid:
        return True
    if w.kind == "country" and w.place.country_code == place.country_code:
        return fold(w.place.name) == fold(place.name)  # a city-state: Singapore, Hong Kong
    same_country = w.place.country_code == place.country_code and w.kind == "city"
    return same_country and distance_km(w.place, place) <= SAME_KM


def resolve(
    model: NameModel,
    qualifiers: Sequence[tuple[str, str | None]],
    found: Set[str],
    nearby: Sequence[Place] = (),
    home: Mapping[str, float] | None = None,
) -> Resolution:
    """Resolve a name from its kept mentions' qualifiers, the evidence names found in the
    article, places other names resolved to (``nearby``) and the feed's home regions."""
    found = found - {model.key}
    top = max(model.candidates, key=lambda c: c.prior, default=None)
    scores = [_score(c, qualifiers, found, nearby, c is top) for c in model.candidates]
    decided = (
        "qualifier"
        if qualifiers and any(_qualified(c, qualifiers, c is top) for c in model.candidates)
        else ""
    )
    if not decided and any(s.reasons for s in scores):
        decided = "evidence"
    if not decided and home:
        for s in scores:
            share = home.get(s.candidate.region, 0.0)
            if share > 0:
                s.total += HOME * share
                s.reasons.append(f"the feed's home region ({share:.0%} of its places)")
                decided = "home"
    scores.sort(key=lambda s: (-s.total, -s.candidate.prior))
    return Resolution(model.key, scores[0].candidate, scores, decided or "prominence")


def evidence_points(values: Sequence[tuple[float, str]]) -> float:
    """Points of the evidence names found, each class capped (``CAPS``): a state and its
    biggest cities say "somewhere in that state", not "this town" many times over."""
    by_class: dict[str, float] = {}
    for points, cls in values:
        by_class[cls] = by_class.get(cls, 0) + points
    return float(sum(min(v, CAPS.get(k, v)) for k, v in by_class.items()))


def not_a_place(model: NameModel) -> Resolution:
    return Resolution(model.key, None, [], "not a place")


_NAMES = "the article names "
REGION_MARK: tuple[str, str | None] = ("*", None)  # a mention written as a region's name
FAME_MARK: tuple[str, str | None] = ("!", None)  # before a world event: "Paris Olympics"


def _qualified(
    c: Candidate, qualifiers: Sequence[tuple[str, str | None]], top: bool = False
) -> bool:
    """A qualifier names the candidate's country (or region, for a main name: in "Washington,
    New York" the list names two cities, not the village that once was called Washington);
    ``REGION_MARK``: a mention is written as a region ("Tacoma, Washington"), the candidate
    is one; ``FAME_MARK``: a mention names a world event ("Paris Olympics", "the Paris
    Agreement"), the most prominent candidate (``top``) is meant."""
    if REGION_MARK in qualifiers and c.kind in ("state", "country"):
        return True
    if FAME_MARK in qualifiers and top:
        return True
    p = c.place
    return any(
        cc == p.country_code and (a1 is None or (a1 == p.admin1 and c.main))
        for cc, a1 in qualifiers
    )


def _score(
    c: Candidate,
    qualifiers: Sequence[tuple[str, str | None]],
    found: Set[str],
    nearby: Sequence[Place],
    top: bool = False,
) -> Score:
    total, reasons = c.prior, []
    if _qualified(c, [q for q in qualifiers if q != FAME_MARK]):
        total += QUALIFIER
        regional = REGION_MARK in qualifiers and c.kind in ("state", "country")
        reasons.append(
            "written as a region (a town's qualifier, a list of regions, '... state')"
            if regional
            else "the qualifier after it names its region"
        )
    elif FAME_MARK in qualifiers and top:
        total += QUALIFIER / 2  # a dateline's state outweighs it: "PARIS, Tenn. — Paris Olympics"
        reasons.append("it names a world event (Olympics, Agreement, Marathon ...): the best known")
    ev = c.evidence
    named = [k for k in found if k in ev]
    if named:
        total += evidence_points([ev[k] for k in named])
        reasons.append(_NAMES + ", ".join(sorted(n.title() for n in named)[:4]))
    for p in nearby if c.main and c.kind == "city" else ():
        if p.geonameid != c.place.geonameid and distance_km(p, c.place) <= SAME_KM:
            total += COHERE_LOCAL
            reasons.append(f"near {p.name}")
    return Score(c, total, reasons, frozenset(named))
