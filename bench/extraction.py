"""extraction: does article text keep the whole body and leave the page furniture out?
``python -m bench extraction`` on ``../shared/corpora/pages/readability/`` (Mozilla
Readability's test pages: ``source.html`` as saved, ``expected.html`` the main content).

Per page, two probes:
  recall       a word from the last third of the expected body (its longest word there that
               the first two thirds do not have) is found in the extracted text;
  boilerplate  a phrase that sits only outside the expected body (the longest line of the
               page's visible text, 4+ words, that the expected body does not contain: a
               menu, a rail, a footer) is kept out of the extracted text.
Compared in the same run: ``feeds.extract.extract`` (what newsbot keeps), trafilatura with
``favor_precision`` alone and a plain ``trafilatura.extract`` call. The corpus absent: skipped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import SHARED, save, table, target

PAGES = SHARED / "corpora" / "pages" / "readability"
_WORD = re.compile(r"\w{4,}")


def _fold(text: str) -> str:
    """Case-folded words one space apart; soft hyphens dropped (they split words)."""
    return " ".join(re.findall(r"\w+", text.replace("\xad", "").casefold()))


def _has_word(text: str, word: str) -> bool:
    """A whole word, or a substring in scripts written without spaces (CJK)."""
    return f" {word} " in f" {text} " if word.isascii() or " " in text else word in text


def _visible_lines(html: str) -> list[str]:
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    text = "\n".join(t.strip() for t in tree.xpath("//body//text()") if t.strip())
    return [line for line in text.splitlines() if len(line.split()) >= 4]


def probes(page: Path) -> tuple[str | None, str | None]:
    """(a word of the body's last third, a phrase only outside the body)"""
    import lxml.html

    expected = lxml.html.fromstring(page.joinpath("expected.html").read_text("utf-8"))
    body = " ".join(expected.text_content().split())
    cut = len(body) * 2 // 3
    head, tail = _fold(body[:cut]).split(), _fold(body[cut:]).split()
    fresh = [w for w in tail if len(w) > 4 and w not in set(head) and not w.isdigit()]
    word = max(fresh, key=len) if fresh else None
    folded_body = _fold(body)
    source = page.joinpath("source.html").read_text("utf-8", errors="replace")
    outside = [ln for ln in _visible_lines(source) if _fold(ln) and _fold(ln) not in folded_body]
    phrase = max(outside, key=len) if outside else None
    return word, phrase


def extractors() -> dict[str, Callable[[bytes, str], str]]:
    import trafilatura

    from errors import ExtractError
    from feeds import extract

    def newsbot(content: bytes, url: str) -> str:
        try:
            return extract.extract(content, url, "text/html").text
        except ExtractError:
            return ""

    def precise(content: bytes, url: str) -> str:
        html = extract.decode_html(content)
        return trafilatura.extract(html, url=url, favor_precision=True) or ""

    def plain(content: bytes, url: str) -> str:
        return trafilatura.extract(extract.decode_html(content), url=url) or ""

    return {"newsbot": newsbot, "precision only": precise, "plain trafilatura": plain}


def run(quick: bool = False, full: bool = False, *, out_dir: Path | None = None) -> dict[str, Any]:
    pages = sorted(p for p in PAGES.glob("*") if (p / "expected.html").exists())
    if not pages:
        print(f"extraction: {PAGES} is absent, skipped")
        return {"targets": []}
    rows: dict[str, dict[str, float]] = {}
    cases = [(p, *probes(p)) for p in pages]
    for name, fn in extractors().items():
        found = leaked = words = phrases = 0
        started = time.perf_counter()
        for page, word, phrase in cases:
            text = _fold(
                fn(page.joinpath("source.html").read_bytes(), f"https://{page.name}.test/")
            )
            if word:
                words += 1
                found += _has_word(text, word) or (not word.isascii() and word in text)
            if phrase:
                phrases += 1
                leaked += _fold(phrase) in text
        rows[name] = {
            "recall": found / max(words, 1),
            "missed": words - found,
            "boilerplate": leaked / max(phrases, 1),
            "leaked": leaked,
            "seconds": time.perf_counter() - started,
        }
    ours, plain, precise = rows["newsbot"], rows["plain trafilatura"], rows["precision only"]
    data = {
        "params": {"pages": len(pages)},
        "rows": rows,
        "targets": [
            target(
                "extraction: recall >= plain trafilatura's",
                ours["recall"] >= plain["recall"],
                f"{ours['recall']:.3f} vs {plain['recall']:.3f} (last-third word found)",
            ),
            target(
                "extraction: boilerplate <= precision-only's",
                ours["boilerplate"] <= precise["boilerplate"],
                f"{ours['boilerplate']:.3f} vs {precise['boilerplate']:.3f} (outside phrase kept)",
            ),
        ],
    }
    table(
        f"extraction: {len(pages)} readability pages",
        ["extractor", "recall", "missed", "boilerplate", "leaked", "seconds"],
        [
            [k, r["recall"], r["missed"], r["boilerplate"], r["leaked"], r["seconds"]]
            for k, r in rows.items()
        ],
    )
    save("extraction", data, out_dir)
    return data
