"""stories: pairwise precision / recall / F1 of story grouping on the labelled fixture
(tests/data/stories/labels.json), beside two baselines measured in the same run:
  (a) the exact normalised title,
  (b) TF-IDF cosine over title + summary, linked above a threshold (connected components), at
      the threshold that scores best (the baseline's best case, chosen on the answers).
Entries: every item of the ~20 real outlet feeds of ../shared (unlabelled ones are stories of
their own) plus the fixture's cross-language reports; without ../shared, the fixture's own
entries only (an easier set: no distractors).

The same reports clustered outlet by outlet (a cold start: each feed's backlog at once, the
outlets in five seeded orders) are scored beside, their mean: a single pass depends on the
order reports arrive in.

Cost: ms per article of the clustering (on the machine's cores; the model's one-off load is
reported apart), the share of articles that needed a sentence vector, and the memory of the
window's vectors at 10,000 articles a day. Targets: precision >= 0.90, F1 >= 0.80.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REAL_FEEDS, ROOT, save, table, target

LABELS = ROOT / "tests" / "data" / "stories" / "labels.json"
PER_DAY = 10_000


@dataclass(frozen=True)
class Item:
    key: str
    outlet: str
    title: str
    lead: str
    published: datetime


def _when(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def load() -> tuple[list[Item], dict[str, int], str]:
    """(items, key -> labelled story, where the items came from)."""
    doc = json.loads(LABELS.read_text(encoding="utf-8"))
    gold = {k: i for i, s in enumerate(doc["stories"]) for k in s["members"]}
    fixture = [
        Item(e["key"], e["outlet"], e["title"], e["lead"], _when(e["published"]))
        for e in doc["entries"]
    ]
    corpus = list(_corpus_items())
    if not corpus:
        return fixture, gold, "fixture entries only (../shared absent)"
    written = [i for i in fixture if i.key.startswith("written:")]
    return corpus + written, gold, f"{len(corpus)} real feed items + {len(written)} written"


def _corpus_items() -> Iterable[Item]:
    from feeds.parse import parse_bytes
    from stories.text import lead

    if not REAL_FEEDS.is_dir():
        return
    seen: set[str] = set()
    for path in sorted(REAL_FEEDS.glob("*.xml")):
        parsed = parse_bytes(path.read_bytes(), content_type="application/xml")
        outlet = path.stem
        for e in parsed.entries:
            key = e.link or e.guid or ""
            if not key or key in seen:
                continue
            seen.add(key)
            when = e.published or datetime(2026, 2, 18, tzinfo=UTC)
            yield Item(key, outlet, e.title, lead(e.summary or e.content), when)


# -- scoring -----------------------------------------------------------------------------------


def pairs(assignment: dict[int, object]) -> set[tuple[int, int]]:
    groups: dict[object, list[int]] = {}
    for i, g in assignment.items():
        groups.setdefault(g, []).append(i)
    return {(a, b) for g in groups.values() for a, b in itertools.combinations(sorted(g), 2)}


def score(predicted: set[tuple[int, int]], gold: set[tuple[int, int]]) -> dict[str, float]:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if tp else 0.0
    return {"precision": p, "recall": r, "f1": f, "pairs": len(predicted)}


def split_stories(assignment: dict[int, object], gold: dict[int, int]) -> int:
    """Labelled multi-report stories whose reports fall into more than one predicted story
    (a catch-all watch would alert them more than once)."""
    by_story: dict[int, set[object]] = {}
    for i, s in gold.items():
        by_story.setdefault(s, set()).add(assignment[i])
    sizes = Counter(gold.values())
    return sum(1 for s, groups in by_story.items() if sizes[s] > 1 and len(groups) > 1)


# -- the three methods -------------------------------------------------------------------------


def exact_title(items: Sequence[Item]) -> dict[int, object]:
    from stories.text import tokens

    return {i: " ".join(tokens(it.title)) or f"#{i}" for i, it in enumerate(items)}


def tfidf_best(items: Sequence[Item], gold: set[tuple[int, int]]) -> tuple[float, dict[str, float]]:
    from stories.text import tokens

    docs = [tokens(f"{it.title} {it.lead}") for it in items]
    df = Counter(w for d in docs for w in set(d))
    vocab = {w: j for j, w in enumerate(df)}
    n = len(docs)
    x = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, d in enumerate(docs):
        for w, c in Counter(d).items():
            x[i, vocab[w]] = c * (math.log((1 + n) / (1 + df[w])) + 1)
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-9
    sims = x @ x.T
    best: tuple[float, dict[str, float]] = (0.0, score(set(), gold))
    for threshold in np.arange(0.20, 0.80, 0.025):
        got = score(pairs(_components(sims, float(threshold))), gold)
        if got["f1"] > best[1]["f1"]:
            best = (round(float(threshold), 3), got)
    return best


def _components(sims: np.ndarray, threshold: float) -> dict[int, object]:
    parent = list(range(len(sims)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(*np.nonzero(np.triu(sims, 1) >= threshold), strict=True):
        parent[find(int(a))] = find(int(b))
    return {i: find(i) for i in range(len(sims))}


def newsbot(
    items: Sequence[Item],
    encode: Callable[..., Any] | None = None,
    outlets: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Cluster the items as they would arrive: in the order published, or, with ``outlets``,
    outlet by outlet in that order (a cold start: every feed's backlog at once)."""
    from stories.clusterer import StoryClusterer, member

    clusterer = StoryClusterer() if encode is None else StoryClusterer(encode=encode)
    rank = {o: k for k, o in enumerate(outlets or ())}
    order = sorted(
        range(len(items)), key=lambda i: (rank.get(items[i].outlet, 0), items[i].published, i)
    )
    members = [
        member(i, i, items[i].title, items[i].lead, items[i].published, items[i].outlet)
        for i in order
    ]
    started = time.perf_counter()
    assignment = clusterer.cluster(members)
    wall = time.perf_counter() - started
    return {
        "assignment": assignment,
        "seconds": wall,
        "encoded": clusterer.encoded,
        "vector_bytes": clusterer.window.vector_bytes(),
        "window": len(clusterer.window),
    }


COLD_ORDERS = 5


def _outlet_by_outlet(items: Sequence[Item], gold: set[tuple[int, int]]) -> dict[str, float]:
    """The mean score over a few orders of outlets (seeded shuffles): what a cold start
    makes of the same reports, each feed's backlog clustered as it comes."""
    import random

    names = sorted({it.outlet for it in items})
    runs = []
    for seed in range(1, COLD_ORDERS + 1):
        random.Random(seed).shuffle(names)
        runs.append(score(pairs(newsbot(items, outlets=list(names))["assignment"]), gold))
    return {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}


def _warm_model() -> float:
    from stories import embed

    started = time.perf_counter()
    embed.encode(["warm up"])
    return time.perf_counter() - started


def run(quick: bool = False, full: bool = False, *, out_dir: Path | None = None) -> dict[str, Any]:
    items, labels, source = load()
    gold_of = {i: labels[it.key] for i, it in enumerate(items) if it.key in labels}
    gold = pairs({i: labels.get(it.key, f"#{i}") for i, it in enumerate(items)})
    load_s = _warm_model()
    ours = newsbot(items)
    cold = _outlet_by_outlet(items, gold)
    title_a = exact_title(items)
    tfidf_threshold, tfidf = tfidf_best(items, gold)
    n = len(items)
    ms = ours["seconds"] / n * 1000
    share = ours["encoded"] / n
    per_vector = 512 * 2  # float16
    window_days = 4  # twice the 2-day span
    vector_mb = PER_DAY * window_days * share * per_vector / 1e6
    results = {
        "newsbot": score(pairs(ours["assignment"]), gold),
        f"newsbot, outlet by outlet (mean of {COLD_ORDERS})": cold,
        "exact title": score(pairs(title_a), gold),
        f"tf-idf >= {tfidf_threshold}": tfidf,
    }
    split = {
        "newsbot": split_stories(ours["assignment"], gold_of),
        "exact title": split_stories(title_a, gold_of),
    }
    multi = sum(1 for c in Counter(gold_of.values()).values() if c > 1)
    data: dict[str, Any] = {
        "params": {"items": n, "source": source, "gold_pairs": len(gold), "stories": multi},
        "methods": results,
        "stories_alerted_more_than_once": split,
        "ms_per_article": ms,
        "model_load_s": load_s,
        "vectorised_share": share,
        "window_vector_mb_at_10k_per_day": vector_mb,
        "window_vector_mb_at_10k_per_day_all_vectorised": PER_DAY * window_days * per_vector / 1e6,
    }
    ours_s = results["newsbot"]
    data["targets"] = [
        target(
            "stories: pairwise precision >= 0.90",
            ours_s["precision"] >= 0.90,
            f"{ours_s['precision']:.3f} (tf-idf best {tfidf['precision']:.3f})",
        ),
        target(
            "stories: pairwise F1 >= 0.80",
            ours_s["f1"] >= 0.80,
            f"{ours_s['f1']:.3f} (tf-idf best {tfidf['f1']:.3f}, exact title "
            f"{results['exact title']['f1']:.3f})",
        ),
    ]
    table(
        f"stories: {n} items, {len(gold)} same-event pairs in {multi} stories ({source})",
        ["method", "precision", "recall", "F1", "pairs linked"],
        [[k, v["precision"], v["recall"], v["f1"], v["pairs"]] for k, v in results.items()],
    )
    table(
        "stories: cost",
        ["figure", "value"],
        [
            ["ms per article (clustering, vectors included)", ms],
            ["articles that needed a vector", f"{share:.0%}"],
            ["model load, once per process (s)", load_s],
            ["window vectors at 10,000 articles/day (MB)", vector_mb],
            [f"labelled stories alerted more than once (of {multi})", str(split)],
        ],
    )
    save("stories", data, out_dir)
    return data
