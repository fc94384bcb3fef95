"""Schema, changed only through migrations (sqlite-utils Migrations): never edit an applied one.

Tables: feeds (config + scheduling state), articles (+ FTS5 articles_fts kept in sync by
triggers), feed_entries (which feed carried which article under which entry key), matches
(why a watch fired), alerts (the outbox: one row per watch x article x channel, ever).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("newsbot")

FTS_TOKENIZE = "unicode61 remove_diacritics 2"


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,              -- as configured
            current_url TEXT NOT NULL,      -- after permanent redirects
            configured INTEGER NOT NULL DEFAULT 1,
            enabled INTEGER NOT NULL DEFAULT 1,
            disabled_reason TEXT,
            title TEXT,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            guid_mode TEXT,
            ttl_minutes INTEGER,
            max_age INTEGER,
            polls INTEGER NOT NULL DEFAULT 0,
            last_checked_at TEXT,
            last_success_at TEXT,
            last_status TEXT,
            last_error TEXT,
            last_error_kind TEXT,
            consecutive_errors INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            retry_until TEXT,
            next_check_at TEXT NOT NULL DEFAULT '',
            interval_seconds REAL,
            interval_reason TEXT,
            notice_state TEXT NOT NULL DEFAULT 'ok',   -- ok | notified (a failure notice went out)
            created_at TEXT NOT NULL
        );
        CREATE INDEX feeds_due ON feeds(enabled, next_check_at);

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,       -- normalised link: the article's identity
            link TEXT NOT NULL,             -- as the feed gave it
            canonical_url TEXT,
            duplicate_of INTEGER REFERENCES articles(id),
            title TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            text_status TEXT NOT NULL DEFAULT 'pending',   -- pending | extracted | summary: <why>
            author TEXT,
            language TEXT,
            published TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            updated_at TEXT,
            feed TEXT NOT NULL,             -- name of the first feed it came from
            content_hash TEXT,
            alerting INTEGER NOT NULL DEFAULT 1,   -- 0: archived from a backlog, no alerts
            processed INTEGER NOT NULL DEFAULT 0,
            processed_at TEXT
        );
        CREATE INDEX articles_unprocessed ON articles(processed) WHERE processed = 0;
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_canonical ON articles(canonical_url);

        CREATE TABLE feed_entries (
            feed_id INTEGER NOT NULL REFERENCES feeds(id),
            entry_key TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (feed_id, entry_key)
        );
        CREATE INDEX feed_entries_article ON feed_entries(article_id);

        CREATE TABLE matches (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            watch TEXT NOT NULL,
            kind TEXT NOT NULL,
            term TEXT NOT NULL,
            matched_text TEXT NOT NULL,
            field TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            snippet TEXT NOT NULL,
            geonameid INTEGER,
            place TEXT,
            country_code TEXT,
            admin1 TEXT,
            latitude REAL,
            longitude REAL,
            created_at TEXT NOT NULL,
            UNIQUE (article_id, watch, kind, term, field, start)
        );
        CREATE INDEX matches_watch ON matches(watch, created_at);

        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,            -- idempotency key: hash(watch, article url, channel)
            kind TEXT NOT NULL DEFAULT 'match',   -- match | notice
            watch TEXT NOT NULL,
            channel TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id),
            title TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            receipt TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX alerts_due ON alerts(status, next_attempt_at);
        """
    )
    db.table("articles").enable_fts(
        ["title", "summary", "text"], create_triggers=True, tokenize=FTS_TOKENIZE
    )


@MIGRATIONS()
def m002_match_articles_view(db: sqlite_utils.Database) -> None:
    """One row per match with its article's feed and date: the web archive facets on watch,
    feed, place and day together from this view."""
    db.execute(
        """
        CREATE VIEW match_articles AS
        SELECT m.id, m.watch, m.kind, m.matched_text, m.place, m.country_code, m.latitude,
               m.longitude, m.created_at, a.id AS article_id, a.title, a.feed, a.published, a.link
        FROM matches m JOIN articles a ON a.id = m.article_id
        """
    )


@MIGRATIONS()
def m003_fts_rank(db: sqlite_utils.Database) -> None:
    """Configure bm25 weights once (title 10, summary 3, text 1) so searches can ORDER BY rank."""
    db.execute(
        "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0)')"
    )


@MIGRATIONS()
def m004_text_hash(db: sqlite_utils.Database) -> None:
    """Hash of the extracted text: a syndicated story under another link is one article."""
    db.execute("ALTER TABLE articles ADD COLUMN text_hash TEXT")
    db.execute("CREATE INDEX articles_text_hash ON articles(text_hash) WHERE text_hash IS NOT NULL")


@MIGRATIONS()
def m005_alert_lease_owner(db: sqlite_utils.Database) -> None:
    """Who holds a 'sending' lease (host:pid): a restart reclaims a dead process's leases."""
    db.execute("ALTER TABLE alerts ADD COLUMN lease_owner TEXT")


@MIGRATIONS()
def m006_title_key(db: sqlite_utils.Database) -> None:
    """Folded headline: the same wire story from two outlets (own links, own pages) is one."""
    db.execute("ALTER TABLE articles ADD COLUMN title_key TEXT")
    db.execute("CREATE INDEX articles_title_key ON articles(title_key) WHERE title_key IS NOT NULL")


@MIGRATIONS()
def m007_article_places(db: sqlite_utils.Database) -> None:
    """What every article's place mentions resolved to: the place pages, ``place:NAME`` in
    search and watch queries read it. Written in the same transaction as the matches."""
    db.executescript(
        """
        CREATE TABLE article_places (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            geonameid INTEGER NOT NULL,
            name TEXT NOT NULL,             -- the place's main name in the gazetteer
            country_code TEXT,
            admin1 TEXT,
            latitude REAL,
            longitude REAL,
            mentions INTEGER NOT NULL,      -- mentions in the article resolved to it
            written TEXT NOT NULL DEFAULT '',   -- the name as the article wrote it
            PRIMARY KEY (article_id, geonameid)
        );
        CREATE INDEX article_places_place ON article_places(geonameid, article_id);
        """
    )


@MIGRATIONS()
def m008_feed_home_regions(db: sqlite_utils.Database) -> None:
    """A feed's home region, learned from the places its articles resolve to: decayed counts
    per region (JSON {"US-TN": 4.1, "FR": 0.3}), a weak prior when an article is silent."""
    db.execute("ALTER TABLE feeds ADD COLUMN home_regions TEXT")


@MIGRATIONS()
def m009_stories(db: sqlite_utils.Database) -> None:
    """Stories: every article belongs to exactly one (``articles.story_id``); a story's id is
    the id of its first article. Alerts carry the story they stand for: one 'match' alert per
    (watch, story, channel), enforced by a unique index; later reports of the story that fire
    the same watch are recorded in ``alert_reports`` (and, for channels with ``updates =
    "thread"``, queued as 'update' alerts threaded under the first one via ``thread_of``).
    Existing articles become singleton stories; copies join the story of their original.
    All of it in the migration's one transaction (a kill midway leaves nothing)."""
    for statement in _STORIES_SCHEMA:  # one by one: executescript would commit midway
        db.execute(statement)


_STORIES_SCHEMA = [
    """
    CREATE TABLE stories (
    id INTEGER PRIMARY KEY,          -- the id of its first article
    title TEXT NOT NULL DEFAULT '',  -- the first article's title
    first_seen TEXT NOT NULL,        -- earliest published of its articles
    last_seen TEXT NOT NULL,         -- latest published of its articles
    size INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
    )
    """,
    """
    CREATE INDEX stories_last_seen ON stories(last_seen)
    """,
    """
    ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories(id)
    """,
    """
    CREATE INDEX articles_story ON articles(story_id, published)
    """,
    """
    CREATE INDEX articles_processed_at ON articles(processed_at)
    """,
    """
    ALTER TABLE alerts ADD COLUMN story_id INTEGER
    """,
    """
    ALTER TABLE alerts ADD COLUMN thread_of TEXT
    """,
    """
    CREATE UNIQUE INDEX alerts_one_per_story ON alerts(watch, channel, story_id)
    WHERE kind = 'match' AND story_id IS NOT NULL
    """,
    """
    CREATE TABLE alert_reports (
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    article_id INTEGER NOT NULL REFERENCES articles(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, article_id)
    )
    """,
    """
    INSERT INTO stories (id, title, first_seen, last_seen, size, created_at)
    SELECT id, title, published, published, 0, first_seen_at FROM articles
    WHERE duplicate_of IS NULL
    """,
    """
    UPDATE articles SET story_id = id WHERE duplicate_of IS NULL
    """,
    """
    UPDATE articles SET story_id = (
    SELECT coalesce(o.story_id, o.id) FROM articles o WHERE o.id = articles.duplicate_of
    ) WHERE duplicate_of IS NOT NULL
    """,
    """
    INSERT OR IGNORE INTO stories (id, title, first_seen, last_seen, size, created_at)
    SELECT a.story_id, a.title, a.published, a.published, 0, a.first_seen_at
    FROM articles a WHERE a.story_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = a.story_id)
    """,
    """
    UPDATE stories SET
    size = (SELECT count(*) FROM articles a WHERE a.story_id = stories.id),
    first_seen = (SELECT min(published) FROM articles a WHERE a.story_id = stories.id),
    last_seen = (SELECT max(published) FROM articles a WHERE a.story_id = stories.id)
    """,
]


@MIGRATIONS()
def m010_feed_outcome(db: sqlite_utils.Database) -> None:
    """A failed poll is stored typed: the HTTP status as a number and its one hint, apart from
    the message (no more parsing "HTTP 403" back out of text)."""
    db.execute("ALTER TABLE feeds ADD COLUMN last_http_status INTEGER")
    db.execute("ALTER TABLE feeds ADD COLUMN last_hint TEXT")
    db.execute(
        "UPDATE feeds SET last_http_status = CAST(substr(last_status, 6, 3) AS INTEGER)"
        " WHERE last_status GLOB 'HTTP [0-9][0-9][0-9]'"
    )


@MIGRATIONS()
def m011_feed_leases(db: sqlite_utils.Database) -> None:
    """Who polls a feed now, and until when (a fleet on PostgreSQL shares the feeds by these
    leases; on SQLite they keep a restarted process from polling what a live one holds)."""
    db.execute("ALTER TABLE feeds ADD COLUMN lease_owner TEXT")
    db.execute("ALTER TABLE feeds ADD COLUMN lease_until TEXT")
    db.execute("CREATE INDEX feeds_leased ON feeds(lease_owner) WHERE lease_owner IS NOT NULL")


@MIGRATIONS()
def m012_rematch_due(db: sqlite_utils.Database) -> None:
    """An edited article waiting to be matched again: set with the edit, cleared with the
    new matches, so a crash between the two loses no alert."""
    db.execute("ALTER TABLE articles ADD COLUMN rematch_due INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX articles_rematch_due ON articles(id) WHERE rematch_due = 1")


@MIGRATIONS()
def m013_alert_threads(db: sqlite_utils.Database) -> None:
    """A story's follow-ups by their first alert: when the thread last spoke (update_every)."""
    db.execute("CREATE INDEX alerts_thread ON alerts(thread_of) WHERE thread_of IS NOT NULL")


@MIGRATIONS()
def m014_story_merges(db: sqlite_utils.Database) -> None:
    """Stories merged into another (a later report bridged them): where a story went, for the
    clustering windows of other processes and for links to the story that no longer is."""
    db.execute(_STORY_MERGES)
    db.execute("CREATE INDEX story_merges_at ON story_merges(merged_at)")


_STORY_MERGES = """
CREATE TABLE story_merges (
story INTEGER PRIMARY KEY,       -- the story that is no more
into_story INTEGER NOT NULL,     -- the story its articles are in now
merged_at TEXT NOT NULL
)
"""
