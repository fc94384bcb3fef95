"""The canned queries of `bot.py serve`: search, watches, a watch's page, its Atom feed, the map.

Every parameter is optional except where the page makes no sense without it (q, watch):
Datasette passes a missing parameter as "", so each filter reads `(:p = '' OR ...)`.

Highlighted text uses two private characters, MARK_OPEN (U+0002) and MARK_CLOSE (U+0003),
never HTML: the text is third-party content. The HTML pages escape the cell and only then turn
the markers into <mark>...</mark> (web.plugin.render_cell); JSON and CSV carry the markers.
"""

from __future__ import annotations

MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
WEIGHTS = "10.0, 3.0, 1.0"  # title, summary, text: as storage/search.py

_ARTICLE_FILTERS = """
      a.duplicate_of IS NULL
  AND (:watch = '' OR EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id AND m.watch = :watch))
  AND (:feed = '' OR EXISTS (SELECT 1 FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id
                             WHERE fe.article_id = a.id AND f.name = :feed))
  AND (:since = '' OR a.published >= :since)"""

_QUERY = "(CASE WHEN trim(:q) = '' THEN '\"\"' ELSE :q END)"

# Bounded like `bot.py search` (storage/search.py): the newest 1,000 matches are picked, ranked
# with bm25() as a column (FTS5 honours the rowid bound then), and only the 100 rows shown get
# a snippet, made by newsbot_snippet (web.plugin) instead of FTS5's snippet(), which re-runs
# the query for every row.
_FTS_FILTERS = """
  AND EXISTS (SELECT 1 FROM articles a WHERE a.id = articles_fts.rowid AND a.duplicate_of IS NULL
              AND (:since = '' OR a.published >= :since))
  AND (:watch = '' OR EXISTS (SELECT 1 FROM matches m WHERE m.article_id = articles_fts.rowid
                              AND m.watch = :watch))
  AND (:feed = '' OR EXISTS (SELECT 1 FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id
                             WHERE fe.article_id = articles_fts.rowid AND f.name = :feed))"""

SEARCH = f"""
WITH recent AS (
  SELECT rowid FROM articles_fts
  WHERE articles_fts MATCH {_QUERY} {_FTS_FILTERS}
  ORDER BY rowid DESC LIMIT 1000
),
ranked AS (
  SELECT rowid AS id, bm25(articles_fts, {WEIGHTS}) AS score FROM articles_fts
  WHERE articles_fts MATCH {_QUERY} AND rowid >= (SELECT min(rowid) FROM recent) {_FTS_FILTERS}
  ORDER BY score LIMIT 100
)
SELECT
  a.id,
  newsbot_highlight(a.title, :q) AS title,
  newsbot_snippet(a.text, a.summary, a.title, :q) AS snippet,
  a.feed,
  a.published,
  (SELECT group_concat(DISTINCT m.watch) FROM matches m WHERE m.article_id = a.id) AS watches,
  (SELECT group_concat(DISTINCT m.place) FROM matches m WHERE m.article_id = a.id) AS places,
  a.link,
  round(ranked.score, 4) AS score
FROM ranked JOIN articles a ON a.id = ranked.id
ORDER BY ranked.score
"""

WATCHES = """
SELECT
  m.watch,
  count(DISTINCT m.article_id) AS articles,
  count(*) AS matches,
  group_concat(DISTINCT m.place) AS places,
  max(m.created_at) AS last_match
FROM matches m
GROUP BY m.watch
ORDER BY last_match DESC
"""

MATCHES_FOR_WATCH = """
SELECT
  max(m.created_at) AS matched_at,
  a.title,
  group_concat(DISTINCT m.matched_text) AS matched,
  group_concat(DISTINCT m.place) AS places,
  min(m.snippet) AS snippet,
  a.feed,
  a.published,
  a.link,
  a.id AS article_id
FROM matches m JOIN articles a ON a.id = m.article_id
WHERE m.watch = :watch
  AND (:since = '' OR m.created_at >= :since)
GROUP BY a.id
ORDER BY matched_at DESC, a.published DESC
LIMIT 500
"""

# datasette-atom: atom_id, atom_title, atom_updated (+ atom_link, atom_content_html). The HTML is
# built from escaped values only (newsbot_html_escape, registered by web.plugin); datasette-atom
# runs bleach over it as well. datasette-atom 0.9 fails on an empty result (max() of nothing),
# so a watch without matches yet yields one fixed placeholder entry.
WATCH_FEED = """
WITH hits AS (
  SELECT
    'urn:newsbot:' || replace(m.watch, ' ', '%20') || ':' || a.url AS atom_id,
    a.title AS atom_title,
    max(m.created_at) AS atom_updated,
    a.link AS atom_link,
    '<p><strong>' || newsbot_html_escape(group_concat(DISTINCT m.matched_text)) || '</strong>'
      || coalesce(' in ' || newsbot_html_escape(group_concat(DISTINCT m.place)), '')
      || '</p><p>' || newsbot_html_escape(min(m.snippet)) || '</p><p>'
      || newsbot_html_escape(a.feed) || ', ' || newsbot_html_escape(a.published) || '</p>'
      AS atom_content_html
  FROM matches m JOIN articles a ON a.id = m.article_id
  WHERE m.watch = :watch
  GROUP BY a.id
  ORDER BY atom_updated DESC
  LIMIT 100
)
SELECT * FROM hits
UNION ALL
SELECT 'urn:newsbot:' || replace(:watch, ' ', '%20') || ':no-matches', 'No matches yet for ' || :watch,
       '1970-01-01T00:00:00Z', '/archive/matches_for_watch?watch=' || replace(:watch, ' ', '+'),
       '<p>newsbot has archived no match for this watch yet.</p>'
WHERE NOT EXISTS (SELECT 1 FROM hits)
ORDER BY atom_updated DESC
"""

# datasette-cluster-map finds latitude/longitude and shows `popup` (JSON: title, description,
# link) escaped; the link stays on this server (the place's matches).
MAP = """
SELECT
  m.place,
  m.country_code,
  m.latitude,
  m.longitude,
  count(DISTINCT m.article_id) AS articles,
  group_concat(DISTINCT m.watch) AS watches,
  max(m.created_at) AS last_match,
  json_object(
    'title', m.place,
    'description', count(DISTINCT m.article_id) || ' article(s); ' || group_concat(DISTINCT m.watch),
    'link', '/archive/matches?geonameid=' || m.geonameid
  ) AS popup
FROM matches m
WHERE m.latitude IS NOT NULL AND m.longitude IS NOT NULL
  AND (:watch = '' OR m.watch = :watch)
  AND (:since = '' OR m.created_at >= :since)
GROUP BY m.geonameid
ORDER BY articles DESC
"""
