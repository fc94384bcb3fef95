"""stories_live: the stories the running bot makes of the labelled reports, through the real
path (`run_once`: fetch -> parse -> save -> match -> complete with the clustering), the
outlets' feeds served from 127.0.0.1, scored pairwise against tests/data/stories/labels.json
as ``bench stories`` scores the clustering alone. A cold start: every feed's backlog at once,
run twice in the same process: as the bot does it (the old articles of all feeds decided
together in the order published, service/backlog.py) and feed by feed (the baseline: each
feed's backlog decided as its feed answered).

Feeds: the ~20 real outlet feeds of ../shared plus one feed per outlet of the written
cross-language reports; without ../shared, one feed per outlet of the fixture's own entries.
Pages are not fetched (``full_text = false``): the feeds' summaries are the text.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.common import REAL_FEEDS, save, table, target
from bench.server import ServerProcess
from bench.stories import LABELS, _when, pairs, score

WRITTEN = "http://written.bench.test/"


def _feed(title: str, entries: list[dict[str, str]]) -> bytes:
    items = "".join(
        f'<item><guid isPermaLink="false">{escape(e["key"])}</guid>'
        f"<title>{escape(e['title'])}</title><link>{escape(_link(e['key']))}</link>"
        f"<pubDate>{format_datetime(_when(e['published']))}</pubDate>"
        f"<description>{escape(e['lead'])}</description></item>"
        for e in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://bench.test/</link>{items}</channel></rss>"
    ).encode()


def _link(key: str) -> str:
    return WRITTEN + key.removeprefix("written:") if key.startswith("written:") else key


def _bodies(entries: list[dict[str, str]]) -> tuple[dict[str, bytes], str]:
    real = sorted(REAL_FEEDS.glob("*.xml")) if REAL_FEEDS.is_dir() else []
    bodies = {f"/{p.stem}.xml": p.read_bytes() for p in real}
    own = [e for e in entries if e["key"].startswith("written:")] if real else entries
    outlets: dict[str, list[dict[str, str]]] = {}
    for e in own:
        outlets.setdefault(e["outlet"], []).append(e)
    for n, (outlet, items) in enumerate(sorted(outlets.items())):
        bodies[f"/outlet{n}.xml"] = _feed(outlet, items)
    source = f"{len(real)} real feeds + {len(outlets)} written" if real else "fixture entries"
    return bodies, source


def _cycle(bodies: dict[str, bytes], port: int, tmp: Path) -> tuple[dict[str, int], float]:
    import settings
    from service.wiring import run_once
    from storage import Store

    cfg = settings.from_dict(
        {
            "storage": {"path": str(tmp / "archive.db")},
            "http": {"allow_private_networks": True, "timeout": "10s"},
            "feeds": [
                {"name": p.strip("/"), "url": f"http://127.0.0.1:{port}{p}", "full_text": False}
                for p in bodies
            ],
            "watches": [{"name": "Any", "keywords": ["the"]}],
        },
        base_dir=str(tmp),
    )
    started = time.perf_counter()
    run_once(cfg)
    seconds = time.perf_counter() - started
    store = Store.open(cfg.db_path)
    try:
        story = {}
        for s in store.list_stories(limit=1 << 30):
            for a in s.articles:
                key = a.url
                story["written:" + key[len(WRITTEN) :] if key.startswith(WRITTEN) else key] = s.id
    finally:
        store.close()
    return story, seconds


def _warm_up() -> None:
    """Load the sentence model and the word lists once, outside both timed cycles."""
    from stories import embed
    from stories.text import zipf

    embed.encode(["warm up"])
    zipf("warm")


def run(quick: bool = False, full: bool = False, *, out_dir: Path | None = None) -> dict[str, Any]:
    import service.backlog as backlog

    doc = json.loads(LABELS.read_text(encoding="utf-8"))
    labels = {k: i for i, s in enumerate(doc["stories"]) for k in s["members"]}
    bodies, source = _bodies(doc["entries"])
    results: dict[str, Any] = {}
    _warm_up()
    old = backlog.OLD
    with ServerProcess(bodies) as server:
        for name, cutoff in (("feed by feed", None), ("in the order published", old)):
            backlog.OLD = cutoff if cutoff is not None else timedelta(days=36500)
            tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-stories-live-"))
            try:
                story, seconds = _cycle(bodies, server.port, tmp)
            finally:
                backlog.OLD = old
                shutil.rmtree(tmp, ignore_errors=True)
            keys = sorted(story)
            gold = pairs({i: labels.get(k, f"#{i}") for i, k in enumerate(keys)})
            got = score(pairs({i: story[k] for i, k in enumerate(keys)}), gold)
            missing = sum(1 for k in labels if k not in story)
            results[name] = {**got, "articles": len(keys), "missing": missing, "s": seconds}
    ours, base = results["in the order published"], results["feed by feed"]
    data: dict[str, Any] = {"params": {"source": source, "feeds": len(bodies)}, **results}
    data["targets"] = [
        target(
            "stories_live: every labelled report archived in a story",
            ours["missing"] == 0,
            f"{ours['missing']} missing of {len(labels)}",
        ),
        target(
            "stories_live: F1 no lower than feed by feed",
            ours["f1"] >= base["f1"],
            f"{ours['f1']:.3f} (feed by feed {base['f1']:.3f})",
        ),
    ]
    table(
        f"stories_live: a cold start over {len(bodies)} feeds on loopback ({source})",
        ["old articles decided", "precision", "recall", "F1", "articles", "cycle s"],
        [
            [k, v["precision"], v["recall"], v["f1"], v["articles"], v["s"]]
            for k, v in results.items()
        ],
    )
    save("stories_live", data, out_dir)
    return data
