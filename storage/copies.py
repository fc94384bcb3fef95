"""Which completed article is a copy of another (one story, no alert of its own): the same
canonical URL, the same extracted text word for word, or the same headline (6+ words) within
two days, unless its text fires a watch the pages with that headline did not. A site's
standing pages (a root canonical, a consent or paywall wall under unrelated titles) make no
copies. Mixed into the archive; runs inside its completing transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlite_utils

from feeds.identity import names_an_article, same_site_other_story
from models import Article, Match
from storage.db import iso

HEADLINE_WINDOW = timedelta(days=2)


class Copies:
    db: sqlite_utils.Database

    def _duplicate_of(
        self, article: Article, canonical: str | None, text_hash: str | None
    ) -> int | None:
        """The article this one repeats: same canonical URL (tracking links, AMP pages), or
        the same extracted text word for word (a wire story syndicated under other links).
        Not a site's standing page: a canonical URL of the site's root, or the same site's
        text or canonical under a title sharing no word with this one (a consent or paywall
        interstitial, every page pointing at its section) are no copies."""
        if canonical and names_an_article(canonical):
            row = self.db.execute(
                "SELECT id, url, title FROM articles WHERE id != ? AND (url = ? OR"
                " canonical_url = ?) AND duplicate_of IS NULL ORDER BY id LIMIT 1",
                [article.id, canonical, canonical],
            ).fetchone()
            if row and not same_site_other_story(article.url, article.title, row[1], row[2]):
                return int(row[0])
        if text_hash:
            row = self.db.execute(
                "SELECT id, url, title FROM articles WHERE text_hash = ? AND id != ?"
                " AND duplicate_of IS NULL ORDER BY id LIMIT 1",
                [text_hash, article.id],
            ).fetchone()
            if row and not same_site_other_story(article.url, article.title, row[1], row[2]):
                return int(row[0])
        return None

    def _same_headline(
        self, article: Article, title_key: str, matches: Sequence[Match] = ()
    ) -> int | None:
        """A wire story carried by two outlets under their own links and page furniture:
        the same headline (6+ words) within two days of each other is one story. Not when
        this one's text fires a watch none of the pages with that headline fired: the same
        headline over other words (a daily "Morning briefing: what you need to know today",
        a live page of the day, a copy with the paragraph naming the town) is matched and
        alerted on its own (its story, by the same headline, is still theirs)."""
        low, high = article.published - HEADLINE_WINDOW, article.published + HEADLINE_WINDOW
        rows = self.db.execute(
            "SELECT id FROM articles WHERE title_key = ? AND id != ? AND duplicate_of IS NULL"
            " AND published BETWEEN ? AND ? ORDER BY id LIMIT 20",
            [title_key, article.id, iso(low), iso(high)],
        ).fetchall()
        if not rows:
            return None
        ids = [int(r[0]) for r in rows]
        fired = self.db.execute(
            f"SELECT DISTINCT watch FROM matches WHERE article_id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
        return ids[0] if {m.watch for m in matches} <= {r[0] for r in fired} else None
