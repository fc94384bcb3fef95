"""What articles' place mentions resolved to (table ``article_places``) and each feed's
learned home region (``feeds.home_regions``).

``articles_for_place(geonameid)`` lists the articles where some mention resolved to a place,
newest first, for any gazetteer place: rows of ``article_places`` and, for the articles whose
mentions no watch covered, resolution at search time (``storage.place_scan``). ``places_of_article(id)`` gives an
article's places. Rows are written by ``insert_article_places`` inside the article's own
transaction (``ArchiveStore.complete_articles``), next to its matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

from models import ResolvedPlace
from storage.place_scan import home_regions, scan_place


def insert_article_places(
    db: sqlite_utils.Database, article_id: int, places: Iterable[ResolvedPlace]
) -> None:
    """Replace the article's resolved places (called inside a write transaction)."""
    db.execute("DELETE FROM article_places WHERE article_id = ?", [article_id])
    for r in places:  # the same place twice in one list: the last one wins
        db.execute(
            "INSERT INTO article_places (article_id, geonameid, name, country_code, admin1,"
            " latitude, longitude, mentions, written) VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (article_id, geonameid) DO UPDATE SET name = excluded.name,"
            " country_code = excluded.country_code, admin1 = excluded.admin1,"
            " latitude = excluded.latitude, longitude = excluded.longitude,"
            " mentions = excluded.mentions, written = excluded.written",
            [
                article_id,
                r.place.geonameid,
                r.place.name,
                r.place.country_code,
                r.place.admin1,
                r.place.latitude,
                r.place.longitude,
                r.mentions,
                r.written,
            ],
        )


def write_home_regions(db: sqlite_utils.Database, homes: Mapping[str, Mapping[str, float]]) -> None:
    """Store feeds' learned home regions (called inside a write transaction)."""
    for feed, counts in homes.items():
        db.execute(
            "UPDATE feeds SET home_regions = ? WHERE name = ?",
            [json.dumps(dict(counts), sort_keys=True), feed],
        )


_LISTED = "a.id, a.title, a.link, a.feed, a.published"


class PlaceStore:
    db: sqlite_utils.Database

    def articles_for_place(
        self, geonameids: int | Iterable[int], *, limit: int = 50, before: str | None = None
    ) -> list[dict[str, Any]]:
        """Articles where a mention resolved to the place(s), newest first (``before``: an
        ISO date, for paging): id, title, link, feed, published, mentions, written, geonameid.
        Duplicates of another article are left out."""
        ids = [geonameids] if isinstance(geonameids, int) else list(geonameids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = list(
            self.db.query(
                f"SELECT {_LISTED}, p.mentions, p.written, p.geonameid, p.name AS place"
                " FROM article_places p JOIN articles a ON a.id = p.article_id"
                f" WHERE p.geonameid IN ({marks}) AND a.duplicate_of IS NULL AND a.published < ?"
                " ORDER BY a.published DESC, a.id DESC LIMIT ?",
                [*ids, before or "9999", limit],
            )
        )
        rows += self._scanned(ids, before)
        rows.sort(key=lambda r: (r["published"], r["id"]), reverse=True)
        return rows[:limit]

    def _scanned(self, ids: list[int], before: str | None) -> list[dict[str, Any]]:
        """The articles resolved to the places at search time (storage.place_scan)."""

        def older(row: str) -> tuple[str, list[Any]]:
            sql = f" AND EXISTS (SELECT 1 FROM articles d WHERE d.id = {row} AND d.published < ?)"
            return sql, [before or "9999"]

        out: list[dict[str, Any]] = []
        for gid in dict.fromkeys(ids):
            scan = scan_place(self.db, gid, where=older)
            if not scan.found or scan.place is None:
                continue
            found = list(scan.found)
            for row in self.db.query(
                f"SELECT {_LISTED} FROM articles a WHERE a.duplicate_of IS NULL"
                f" AND a.id IN ({','.join('?' * len(found))})",
                found,
            ):
                written, mentions = scan.found[row["id"]]
                out.append(
                    {**row, "mentions": mentions, "written": written}
                    | {"geonameid": gid, "place": scan.place.name}
                )
        return out

    def places_of_article(self, article_id: int) -> list[dict[str, Any]]:
        """The places an article's mentions resolved to, most mentioned first."""
        return list(
            self.db.query(
                "SELECT geonameid, name, country_code, admin1, latitude, longitude, mentions,"
                " written FROM article_places WHERE article_id = ? ORDER BY mentions DESC, name",
                [article_id],
            )
        )

    def place_article_counts(self, limit: int = 100) -> list[dict[str, Any]]:
        """The places most articles resolved to: geonameid, name, country_code, articles."""
        return list(
            self.db.query(
                "SELECT geonameid, max(name) AS name, max(country_code) AS country_code,"
                " max(admin1) AS admin1, count(*) AS articles"
                " FROM article_places GROUP BY geonameid ORDER BY articles DESC LIMIT ?",
                [limit],
            )
        )

    def feed_home_regions(self, feed: str) -> dict[str, float]:
        """A feed's learned home region counts ({} when unknown)."""
        return home_regions(self.db, feed)
