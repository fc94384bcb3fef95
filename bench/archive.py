"""archive: insert rate into the FTS5-indexed archive and search latency.

Articles are news-like text generated from the real news vocabulary with Zipfian word
frequencies (~400 words of text, a title and a summary each). Insert rate is measured twice:
through the app's path (``Store.save_entries`` + ``Store.complete_article``, one transaction
per article as the pipeline does) on a sample, and in bulk through the same table and
triggers (``INSERT INTO articles``, 5,000 per transaction) for the rest.

Search: 200 realistic queries (single words, two words, phrases, prefixes) through
``storage.search.search`` (bm25 + snippet, LIMIT 20): p50/p95/max per size (100,000; ``--full``
adds 1,000,000). Baseline: a ``LIKE '%word%'`` scan of the same table for a few words (ratio).
Target: p95 < 100 ms at 1M. The generated databases are cached as bench/results/archive-N.db.

``--backend postgres`` also copies each archive into PostgreSQL (bench/pgload.py: ``bot.py db
copy``'s code; cached as the schema ``newsbot_bench_archive_N`` of NEWSBOT_BENCH_DATABASE_URL)
and runs the same queries there, beside FTS5 in the same run. Target: PostgreSQL word queries p95 < 150 ms
at 1M.
"""

from __future__ import annotations

import itertools
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import RESULTS, median, percentile, ratio, save, table, target
from bench.corpus import vocabulary
from bench.pgload import pg_archive

WORDS_TEXT = 400
APP_SAMPLE = 2000
BATCH = 5000
QUERIES = 200
START = datetime(2025, 1, 1, tzinfo=UTC)


class Zipf:
    def __init__(self, seed: int, s: float = 1.05) -> None:
        self.words = vocabulary()
        self.cum = list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(len(self.words))))
        self.rng = random.Random(seed)

    def words_(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def sentence_text(self, k: int) -> str:
        out, words = [], self.words_(k)
        for i in range(0, k, 18):
            chunk = words[i : i + 18]
            out.append(" ".join(chunk).capitalize() + ".")
        return " ".join(out)

    def article(self, i: int) -> dict[str, Any]:
        title = " ".join(self.words_(9)).capitalize()
        return {
            "url": f"https://outlet{i % 300}.bench.test/story/{i}",
            "title": title,
            "summary": self.sentence_text(40),
            "text": self.sentence_text(WORDS_TEXT),
            "published": (START + timedelta(minutes=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def _app_inserts(store: Any, z: Zipf, count: int, first: int) -> float:
    from models import Entry
    from settings import FeedSettings

    now = datetime.now(UTC).replace(microsecond=0)
    store.sync_feeds([FeedSettings(url="https://outlet.bench.test/feed", name="bench")], now)
    feed = store.feed("bench")
    started = time.perf_counter()
    for i in range(first, first + count, 50):  # a poll brings ~50 entries
        arts = [z.article(j) for j in range(i, min(i + 50, first + count))]
        entries = [
            Entry(
                guid=a["url"],
                link=a["url"],
                title=a["title"],
                summary=a["summary"],
                published=datetime.strptime(a["published"], "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=UTC
                ),
            )
            for a in arts
        ]
        ids = store.save_entries(feed, entries, "guid", now)
        for aid, a in zip(ids, arts, strict=True):
            art = store.article(aid)
            store.complete_article(
                art,
                text=a["text"],
                text_status="extracted",
                meta={},
                matches=[],
                channels={},
                now=now,
            )
    return time.perf_counter() - started


def _bulk_inserts(db: Any, z: Zipf, first: int, last: int) -> float:
    sql = (
        "INSERT INTO articles (url, link, title, summary, text, text_status, published,"
        " first_seen_at, feed, processed, alerting) VALUES (?,?,?,?,?,?,?,?,?,1,1)"
    )
    spent = 0.0
    for i in range(first, last, BATCH):
        rows = []
        for j in range(i, min(i + BATCH, last)):
            a = z.article(j)
            rows.append(
                (
                    a["url"],
                    a["url"],
                    a["title"],
                    a["summary"],
                    a["text"],
                    "extracted",
                    a["published"],
                    a["published"],
                    f"outlet{j % 300}",
                )
            )
        started = time.perf_counter()
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.executemany(sql, rows)
        db.conn.execute("COMMIT")
        spent += time.perf_counter() - started
    _singleton_stories(db)
    return spent


def _singleton_stories(db: Any) -> None:
    """Each bulk-inserted article is its own story, as the app's path makes it (not timed).
    The FTS5 update trigger is off for the UPDATE: story_id is not indexed, and with it on
    each article's text was tokenized twice more (1M articles: ~10 minutes)."""
    (trigger,) = db.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_au'"
    ).fetchone()
    db.conn.execute("BEGIN IMMEDIATE")
    db.conn.execute(
        "INSERT INTO stories (id, title, first_seen, last_seen, size, created_at)"
        " SELECT id, title, published, published, 1, first_seen_at FROM articles"
        " WHERE story_id IS NULL"
    )
    db.conn.execute("DROP TRIGGER articles_au")
    db.conn.execute("UPDATE articles SET story_id = id WHERE story_id IS NULL")
    db.conn.execute(trigger)
    db.conn.execute("COMMIT")


def build(n: int, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The cached archive of n articles (generated once); returns (path, insert figures)."""
    import json

    from storage import Store

    path = out_dir / f"archive-{n}.db"
    meta_path = out_dir / f"archive-{n}.meta.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["cached"] = True
        return path, meta
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    z = Zipf(seed=n)
    store = Store.open(path)
    try:
        sample = min(APP_SAMPLE, n)
        app_s = _app_inserts(store, z, sample, 0)
        bulk_s = _bulk_inserts(store.db, z, sample, n)
        store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db.conn.execute("ANALYZE")
    finally:
        store.close()
    meta = {
        "articles": n,
        "app_sample": sample,
        "app_s": app_s,
        "app_articles_per_s": sample / app_s,
        "bulk_articles": n - sample,
        "bulk_s": bulk_s,
        "bulk_articles_per_s": (n - sample) / bulk_s if bulk_s else None,
        "db_bytes": path.stat().st_size,
        "cached": False,
    }
    meta_path.write_text(json.dumps(meta))
    return path, meta


def queries(seed: int = 5) -> list[tuple[str, str]]:
    """(kind, query): single words across frequency ranks, two words, phrases, prefixes."""
    rng = random.Random(seed)
    words = [w for w in vocabulary() if w.isalpha() and len(w) > 2]
    common, mid, rare = words[:100], words[100:2000], words[2000:]
    rare = rare or mid
    out: list[tuple[str, str]] = []
    for i in range(60):
        out.append(("word", rng.choice((common, mid, rare)[i % 3])))
    for i in range(60):
        a = rng.choice(common if i % 2 else mid)
        b = rng.choice((common, mid, rare)[i % 3])
        out.append(("two words", f"{a} {b}"))
    z = Zipf(seed=seed + 1)
    for _ in range(40):
        a, b = z.words_(2)
        out.append(("phrase", f'"{a} {b}"'))
    for i in range(40):
        w = rng.choice(mid if i % 2 else common + mid)
        out.append(("prefix", f"{w[: max(3, len(w) - 2)]}*"))
    return out[:QUERIES]


def measure(path: Path | str, qs: list[tuple[str, str]]) -> dict[str, Any]:
    from storage import Store
    from storage.db import connect
    from storage.pg import is_url
    from storage.search import search

    store = Store.open(path) if is_url(path) else None
    db = store.db if store is not None else connect(path, readonly=True)
    try:
        search(db, "warmup")
        lat: list[tuple[str, str, float, int]] = []
        for kind, q in qs:
            started = time.perf_counter()
            hits = search(db, q, limit=20)
            lat.append((kind, q, (time.perf_counter() - started) * 1000, len(hits)))
        like = _like_baseline(db, [q for k, q in qs if k == "word"][2:17:3])  # rare words
    finally:
        if store is not None:
            store.close()
        else:
            db.conn.close()
    all_ms = [x[2] for x in lat]
    by_kind = {
        k: {
            "p50_ms": median([x[2] for x in lat if x[0] == k]),
            "p95_ms": percentile([x[2] for x in lat if x[0] == k], 95),
            "max_ms": max(x[2] for x in lat if x[0] == k),
        }
        for k in dict.fromkeys(x[0] for x in lat)
    }
    slowest = sorted(lat, key=lambda x: -x[2])[:5]
    return {
        "p50_ms": median(all_ms),
        "p95_ms": percentile(all_ms, 95),
        "max_ms": max(all_ms),
        "by_kind": by_kind,
        "slowest": [{"query": q, "ms": ms, "hits": h} for _k, q, ms, h in slowest],
        "like": like,
    }


def _like_baseline(db: Any, words: list[str]) -> dict[str, Any]:
    """The same words by LIKE '%word%' over title+text, newest 20 (a full scan)."""
    from storage.search import search

    rows = []
    for w in words:
        started = time.perf_counter()
        db.execute(
            "SELECT id, title FROM articles WHERE title LIKE ? OR text LIKE ?"
            " ORDER BY published DESC LIMIT 20",
            [f"%{w}%", f"%{w}%"],
        ).fetchall()
        like_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        search(db, w, limit=20)
        fts_ms = (time.perf_counter() - started) * 1000
        rows.append({"word": w, "like_ms": like_ms, "fts_ms": fts_ms})
    like_med = median([r["like_ms"] for r in rows])
    fts_med = median([r["fts_ms"] for r in rows])
    return {
        "queries": rows,
        "like_p50_ms": like_med,
        "fts_p50_ms": fts_med,
        "ratio_like_over_fts": ratio(like_med, fts_med),
    }


def run(
    quick: bool = False,
    full: bool = False,
    *,
    sizes: tuple[int, ...] | None = None,
    out_dir: Path | None = None,
    backend: str = "sqlite",
) -> dict[str, Any]:
    out = out_dir or RESULTS
    out.mkdir(parents=True, exist_ok=True)
    sizes = sizes or ((20_000,) if quick else (100_000, 1_000_000) if full else (100_000,))
    qs = queries()
    rows = []
    pg_rows = []
    for n in sizes:
        path, meta = build(n, out)
        figures = measure(path, qs)
        rows.append({"articles": n, "db": path.name, "insert": meta, **figures})
        if backend == "postgres":
            url, load = pg_archive(n, path)
            pg_rows.append({"articles": n, "load": load, **measure(url, qs)})
    data: dict[str, Any] = {
        "params": {
            "sizes": list(sizes),
            "words_per_article": WORDS_TEXT,
            "queries": len(qs),
            "vocabulary": len(vocabulary()),
            "limit": 20,
            "order": "rank",
        },
        "rows": rows,
    }
    big = next((r for r in rows if r["articles"] >= 1_000_000), None)
    if big is not None:
        t = target(
            "archive: search p95 < 100 ms at 1M",
            big["p95_ms"] < 100,
            f"p95 {big['p95_ms']:.0f} ms, p50 {big['p50_ms']:.0f} ms",
        )
    else:
        last = rows[-1]
        t = target(
            "archive: search p95 < 100 ms at 1M",
            None,
            f"1M not run (use --full); at {last['articles']:,}: p95 "
            f"{last['p95_ms']:.0f} ms, p50 {last['p50_ms']:.0f} ms",
        )
    data["targets"] = [t]
    if backend == "postgres":
        data["postgres"] = pg_rows
        data["targets"].append(_pg_target(pg_rows))
        _pg_table(rows, pg_rows)
    table(
        "archive: insert rate and search latency (bm25 + snippet, LIMIT 20)",
        [
            "articles",
            "app inserts/s",
            "bulk inserts/s",
            "p50 ms",
            "p95 ms",
            "max ms",
            "LIKE p50 ms",
            "LIKE/FTS",
        ],
        [
            [
                r["articles"],
                r["insert"]["app_articles_per_s"],
                r["insert"]["bulk_articles_per_s"] or 0.0,
                r["p50_ms"],
                r["p95_ms"],
                r["max_ms"],
                r["like"]["like_p50_ms"],
                r["like"]["ratio_like_over_fts"],
            ]
            for r in rows
        ],
    )
    for r in rows:
        table(
            f"archive: latency by query kind at {r['articles']:,}",
            ["kind", "p50 ms", "p95 ms", "max ms"],
            [[k, v["p50_ms"], v["p95_ms"], v["max_ms"]] for k, v in r["by_kind"].items()],
        )
    save("archive", data, out)
    return data


def _pg_target(pg_rows: list[dict[str, Any]]) -> dict[str, Any]:
    big = next((r for r in pg_rows if r["articles"] >= 1_000_000), None)
    name = "archive: PostgreSQL word queries p95 < 150 ms at 1M"
    if big is None:
        last = pg_rows[-1]
        word = last["by_kind"]["word"]["p95_ms"]
        return target(
            name, None, f"1M not run (use --full); at {last['articles']:,}: {word:.0f} ms"
        )
    word = big["by_kind"]["word"]["p95_ms"]
    return target(name, word < 150, f"word p95 {word:.0f} ms, all kinds p95 {big['p95_ms']:.0f} ms")


def _pg_table(rows: list[dict[str, Any]], pg_rows: list[dict[str, Any]]) -> None:
    out = []
    for lite, pg in zip(rows, pg_rows, strict=True):
        for kind in lite["by_kind"]:
            a, b = lite["by_kind"][kind], pg["by_kind"][kind]
            out.append([lite["articles"], kind, a["p50_ms"], a["p95_ms"], b["p50_ms"], b["p95_ms"]])
        out.append(
            [lite["articles"], "all", lite["p50_ms"], lite["p95_ms"], pg["p50_ms"], pg["p95_ms"]]
        )
    table(
        "archive: the same queries, FTS5 beside PostgreSQL (LIMIT 20, snippets)",
        ["articles", "kind", "FTS5 p50", "FTS5 p95", "PG p50", "PG p95"],
        out,
    )
