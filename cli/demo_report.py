"""What `bot.py demo` prints after its cycle: the articles that did NOT alert (and why that
is right), one match explained, one search."""

from __future__ import annotations

from typing import Any

from cli.common import say
from matching.rules import Ruleset
from settings import Settings
from storage import Store
from storage.search import search


def _rows(s: Settings, sql: str) -> list[dict[str, Any]]:
    with Store.open(s.db_path) as store:
        return list(store.db.query(sql))


def print_quiet_articles(s: Settings, ruleset: Ruleset) -> None:
    """What was archived without an alert, and why (the mentions that did not count)."""
    rows = _rows(
        s,
        "SELECT a.id, a.duplicate_of FROM articles a WHERE NOT EXISTS"
        " (SELECT 1 FROM alerts al WHERE al.article_id = a.id) ORDER BY a.id",
    )
    with Store.open(s.db_path) as store:
        articles = store.articles([r["id"] for r in rows])
    dups = {r["id"] for r in rows if r["duplicate_of"]}
    say(f"\nArchived without an alert ({len(rows)}):")
    for article in articles:
        say(f"  - {article.title}")
        if article.id in dups:
            say("      the same story as another link: alerted once")
            continue
        reasons = dict.fromkeys((w, t, why) for w, t, _f, _s, why in ruleset.rejected(article))
        for watch, text, why in list(reasons)[:2]:
            say(f"      {watch}: {text!r} does not count: {why}")
        if not reasons:
            say("      no watched word or place in its title, summary or text")


def print_explanation(s: Settings, ruleset: Ruleset) -> None:
    rows = _rows(
        s,
        "SELECT m.*, a.title FROM matches m JOIN articles a ON a.id = m.article_id"
        " WHERE m.kind = 'location' ORDER BY (m.matched_text = m.term), m.id LIMIT 1",
    )
    if not rows:
        return
    m = rows[0]
    say("\nWhy an alert fired (bot.py watches test explains any text the same way):")
    say(f"  article: {m['title']}")
    say(
        f"  watch {m['watch']!r}: location {m['term']!r} matched {m['matched_text']!r} in the "
        f"{m['field']} at {m['start']}..{m['end']}"
    )
    say(
        f"  resolved to {m['place']}, {m['country_code']} (geonames:{m['geonameid']}, "
        f"{m['latitude']:.2f}, {m['longitude']:.2f})"
    )
    say(f"  … {m['snippet']} …")


def print_search(s: Settings, query: str) -> None:
    with Store.open(s.db_path) as store:
        hits = search(store.db, query, limit=5)
    say(f"\nbot.py search {query}  ->  {len(hits)} hits")
    for h in hits:
        say(f"  - {h.title}  ({h.feed}, {h.published[:10]})\n      {' '.join(h.snippet.split())}")
