"""What `bot.py demo` prints after its cycle: the articles that did NOT alert (and why that
is right), one match explained, one search."""

from __future__ import annotations

from cli.common import say
from matching.rules import Ruleset
from settings import Settings
from storage import Store
from storage.search import search


def print_quiet_articles(s: Settings, ruleset: Ruleset) -> None:
    """What was archived without an alert, and why (the mentions that did not count)."""
    with Store.open(s.db_path) as store:
        quiet = store.quiet_articles()
        articles = store.articles([i for i, _copy in quiet])
    dups = {i for i, copy in quiet if copy}
    say(f"\nArchived without an alert ({len(quiet)}):")
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
    with Store.open(s.db_path) as store:
        m = store.sample_location_match()
    if m is None:
        return
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
