"""`bot.py stories` (the JSON contract, filters, table and CSV, --rebuild) and `bot.py search`
folding its hits by story (`--all` lists every article), on a real archive file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

import bot
from models import Entry, Match
from settings import FeedSettings
from storage import Store
from storage.archive import Processed

NOW = datetime.now(UTC).replace(microsecond=0)
TITLES = {
    "A": ["Peru's Congress removes interim President Jeri over corruption probe"],
    "B": ["Peru ousts interim president Jeri in corruption probe", "Cyclone nears Madagascar"],
}


@pytest.fixture
def archive(tmp_path):
    """Three articles from two outlets; the two Peru reports made one story by hand."""
    path = tmp_path / "a.db"
    with Store.open(path) as store:
        store.sync_feeds([FeedSettings(url=f"http://{n}/f", name=n) for n in TITLES], NOW)
        ids = []
        for feed, titles in TITLES.items():
            entries = [
                Entry(
                    f"{feed}{i}", f"http://{feed}/{i}", t, f"{t}. More.", NOW - timedelta(hours=i)
                )
                for i, t in enumerate(titles)
            ]
            ids += store.save_entries(store.feed(feed), entries, "guid", NOW)
        match = Match("Peru", "keyword", "peru", "Peru", "title", 0, 4, "Peru")
        done = [
            Processed(store.article(i), "", "x", {}, (match,) if i != ids[2] else ()) for i in ids
        ]
        store.complete_articles(done, {"Peru": ["mail"]}, NOW)
        store.regroup({ids[0]: ids[0], ids[1]: ids[0]}, NOW)
    return path, ids


def _run(capsys, *args: str) -> str:
    assert bot.main(list(args)) == 0
    return capsys.readouterr().out


def test_json_contract_every_article_in_exactly_one_story(archive, capsys):
    path, ids = archive
    stories = json.loads(_run(capsys, "stories", "--db", str(path), "--format", "json"))
    assert all(set(s) == {"story_id", "title", "first_seen", "articles"} for s in stories)
    assert all(
        set(a) == {"url", "feed", "title", "published"} for s in stories for a in s["articles"]
    )
    urls = [a["url"] for s in stories for a in s["articles"]]
    assert sorted(urls) == sorted({"http://A/0", "http://B/0", "http://B/1"})
    peru = next(s for s in stories if s["story_id"] == ids[0])
    assert [a["feed"] for a in peru["articles"]] == ["A", "B"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--watch", "Peru"], 1),
        (["--limit", "1"], 1),
        (["--since", "1d"], 2),
        (["--since", "2100-01-01"], 0),
    ],
    ids=["watch", "limit", "since-recent", "since-future"],
)
def test_filters(archive, capsys, args, expected):
    path, _ = archive
    out = _run(capsys, "stories", "--db", str(path), "--format", "json", *args)
    assert len(json.loads(out)) == expected


def test_table_and_csv_name_the_outlets(archive, capsys):
    path, ids = archive
    rows = list(
        csv.DictReader(io.StringIO(_run(capsys, "stories", "--db", str(path), "--format", "csv")))
    )
    peru = next(r for r in rows if r["story_id"] == str(ids[0]))
    assert peru["outlets"] == "A, B" and peru["articles"] == "2"
    assert "2 result(s)" in _run(capsys, "stories", "--db", str(path))


def test_search_folds_a_story_into_one_row(archive, capsys):
    path, ids = archive
    folded = json.loads(_run(capsys, "search", "Peru", "--db", str(path), "--format", "json"))
    assert [(r["story_id"], r["reports"]) for r in folded] == [(ids[0], 2)]
    every = json.loads(
        _run(capsys, "search", "Peru", "--all", "--db", str(path), "--format", "json")
    )
    assert sorted(r["id"] for r in every) == sorted(ids[:2])


def test_rebuild_regroups_with_the_rule(archive, capsys):
    path, ids = archive
    with Store.open(path) as store:  # undo the hand-made grouping
        store.regroup({ids[1]: ids[1]}, NOW)
        assert store.story_of(ids[1]) == ids[1]
    out = _run(capsys, "stories", "--db", str(path), "--rebuild", "--since", "7d")
    assert "regrouped 3 article(s)" in out
    with Store.open(path, readonly=True) as store:
        assert store.story_of(ids[1]) == store.story_of(ids[0])  # Jeri, Peru: one event
        assert store.story_of(ids[2]) == ids[2]
        total = store.db.execute("SELECT sum(size) FROM stories").fetchone()[0]
        assert total == 3
