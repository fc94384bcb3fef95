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
        quiet = {q.id: q for q in store.quiet_articles()}
        articles = store.articles(list(quiet))
    say(f"\nArchived without an alert of its own ({len(quiet)}):")
    for article in articles:
        say(f"  - {article.title}")
        q = quiet[article.id]
        if q.copy:
            say("      the same article as another link: alerted once")
            continue
        if q.reported_on:
            say(
                f"      another report of a story already alerted ({', '.join(q.reported_on)}):"
                " recorded on that alert"
            )
            continue
        reasons = dict.fromkeys((w, t, why) for w, t, _f, _s, why in ruleset.rejected(article))
        for watch, text, why in list(reasons)[:2]:
            say(f"      {watch}: {text!r} does not count: {why}")
        if not reasons:
            say("      no watched word or place in its title, summary or text")


def print_stories(s: Settings) -> None:
    """The stories more than one outlet reported: one alert each per watch."""
    with Store.open(s.db_path) as store:
        stories = store.list_stories(min_size=2, limit=5)
    if not stories:
        return
    say("\nOne story, several reports (one alert per watch; bot.py stories lists them all):")
    for story in stories:
        say(f"  - {story.title}")
        for a in story.articles:
            say(f"      {a.published[:16].replace('T', ' ')}  {a.feed}: {a.title}")


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
    """What `bot.py search QUERY` finds: one line per story, its best-ranked report shown."""
    from cli.archive import COLLAPSE_FETCH, one_per_story

    with Store.open(s.db_path) as store:
        hits = {h.id: h for h in search(store.db, query, limit=5 * COLLAPSE_FETCH)}
        rows = one_per_story(store, [h.as_dict() for h in hits.values()])[:5]
    say(f"\nbot.py search {query}  ->  {len(rows)} stories")
    for row in rows:
        h = hits[row["id"]]
        others = row["reports"] - 1
        more = f", +{others} more report{'s' * (others > 1)}" if others else ""
        say(f"  - {h.title}  ({h.feed}, {h.published[:10]}{more})")
        say(f"      {' '.join(h.snippet.split())}")
