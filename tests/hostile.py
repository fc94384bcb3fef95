"""Hostile text classes (no tests of their own): headlines an attacker can put in a feed, each
naming Aleppo so that a watch on Aleppo fires and the text reaches every output (CLI, mail,
chat payloads, Atom, web). Used by the attack tests and the fault suite.

``json_feed`` serves them as a JSON Feed: JSON carries every character (ESC, C1, U+FFFE) that
an XML feed could not, so nothing is lost before the outputs are tested.
"""

from __future__ import annotations

import json
import re

HOSTILE = {
    "rich-close-tag": "Ceasefire in Aleppo reopens [/x] talks",
    "rich-link": "Aleppo [link=http://evil.example/login]official statement[/link]",
    "rich-style": "Aleppo [black on black]hidden instructions[/black on black]",
    "ansi-csi": "Aleppo \x1b[2J\x1b[31mscreen cleared\x1b[0m",
    "osc8-link": "Aleppo \x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\",
    "c1-csi": "Aleppo \x9b31m C1 control \x9d0;title\x9c",
    "bidi-override": "Aleppo report \u202egnp.exe\u202c and \u2066isolate\u2069",
    "xml-illegal": "Aleppo vertical\x0btab form\x0cfeed \x01\x08 noncharacter \ufffe",
    "chat-mentions": "Aleppo @everyone @here <@&123456789> <!channel>",
    "markdown-link": "Aleppo [Log in to read](http://evil.example/login) **bold**",
    "html": "Aleppo <script>alert(1)</script><img src=x onerror=alert(2)>",
    "header-crlf": "Aleppo\r\nBcc: victim@example.com",
}

# What must never reach a terminal: C0 controls but \t \n, DEL, C1, bidi controls.
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_feed(base_url: str, titles: dict[str, str] | None = None) -> bytes:
    """A JSON Feed with one item per hostile title (ids and links named after the class)."""
    items = [
        {
            "id": f"hostile-{name}",
            "url": f"{base_url}/story/{name}",
            "title": title,
            "content_text": f"{title}. Shelling was reported in Aleppo overnight.",
            "date_published": "2026-01-02T03:04:05Z",
        }
        for name, title in (titles or HOSTILE).items()
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": items}
    return json.dumps(feed).encode()
