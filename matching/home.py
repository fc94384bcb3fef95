"""A feed's home region: a local paper's feed mostly names its own region, so the regions its
articles' places resolved to, counted with decay, are a weak prior for the next article
(``matching.resolve``: used only when the article itself says nothing for any candidate).

Counts live on the feed row (``feeds.home_regions``, JSON ``{"US-TN": 4.1, "FR": 0.3}``).
After each article every count is multiplied by ``DECAY`` and each region the article's
places lay in (one vote per region; only places the article itself decided, ``firm``: a
place the prior picked never votes for the prior) adds 1, so about the last ``1 / (1 - DECAY)`` articles
speak. ``shares`` turns counts into the share per region once at least ``MIN_VOTES`` have
accumulated (a new feed has no home yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from models import ResolvedPlace

DECAY = 0.98
MIN_VOTES = 5.0
KEEP = 20  # regions kept per feed (the rest are noise)


def region_of(r: ResolvedPlace) -> str:
    return f"{r.place.country_code}-{r.place.admin1}"


def learn(counts: Mapping[str, float], places: Iterable[ResolvedPlace]) -> dict[str, float]:
    """The counts after one more article whose mentions resolved to ``places``."""
    out = {k: v * DECAY for k, v in counts.items()}
    for region in {region_of(r) for r in places if r.firm}:
        out[region] = out.get(region, 0.0) + 1.0
    top = sorted(out.items(), key=lambda kv: -kv[1])[:KEEP]
    return {k: round(v, 3) for k, v in top if v >= 0.01}


def shares(counts: Mapping[str, float]) -> dict[str, float]:
    """Region -> share of the feed's recent votes ({} until MIN_VOTES have been cast)."""
    total = sum(counts.values())
    if total < MIN_VOTES:
        return {}
    return {k: v / total for k, v in counts.items()}
