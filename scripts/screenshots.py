"""Regenerate the README's screenshots of `bot.py serve` (docs/web-*.png).

    .venv/bin/python scripts/screenshots.py [--out docs]

Builds an archive the way `bot.py demo` does (the bundled sample site, polled once through the
real pipeline with config.toml's watches), serves it on a free local port, and photographs the
search, a watch's page and the map in headless Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1100, "height": 900}
SHOTS = [  # (file, path, what to wait for)
    ("web-search.png", "/search?q=place:Aleppo", "ol.news"),
    ("web-watch.png", "/watch/Syria%20hotspots", ".leaflet-tile-loaded"),
    ("web-map.png", "/map", ".leaflet-tile-loaded"),
]


def build_archive(db: Path) -> None:
    """The demo's archive (its console output is not needed here)."""
    from cli import demo

    with contextlib.redirect_stdout(io.StringIO()):
        demo.run(str(ROOT / "config.toml"), keep_db=str(db))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(db: Path) -> object:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/-/versions.json", timeout=1)
                break
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def photograph(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)
        for name, path, ready in SHOTS:
            page.goto(base + path)
            page.wait_for_selector(ready, timeout=15_000)
            page.wait_for_load_state("networkidle")
            target = out / name
            page.screenshot(path=str(target), full_page=False)
            written.append(target)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="where the PNGs go")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newsbot-shots-") as tmp:
        db = Path(tmp) / "demo.db"
        build_archive(db)
        with serving(db) as base:
            for path in photograph(str(base), out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
