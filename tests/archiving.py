"""Archive real sentences as the pipeline would: each article analysed by a ruleset and
completed in one transaction with its matches and resolved places (article_places)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from matching.rules import Ruleset
from models import Article, Entry
from settings import FeedSettings
from storage import Store
from storage.archive import Processed


def archive_texts(
    path: Path, rules: Ruleset, docs: Sequence[tuple[str, str]], now: datetime
) -> Store:
    """A store with one feed, "Wire", holding (title, text) docs, the first the newest."""
    s = Store.open(path)
    s.sync_feeds([FeedSettings(url="http://a/f", name="Wire")], now)
    for i, (title, text) in enumerate(docs):
        e = Entry(f"g{i}", f"http://wire/{i}", title, "", now - timedelta(days=i))
        (aid,) = s.save_entries(s.feed("Wire"), [e], "guid", now)
        article = s.article(aid)
        found = rules.analyse(Article(aid, article.url, title, "", text, article.published, "Wire"))
        done = Processed(article, text, "extracted", {}, tuple(found.matches), tuple(found.places))
        s.complete_articles([done], {}, now)
    return s
