"""Hostile text made safe for one kind of output. Text from a feed or a page is data: it must
not drive a terminal, reorder what a reader sees, or break a document.

- :func:`terminal`: no C0/C1 control characters (ESC sequences, OSC-8 hyperlinks, CSI) and no
  bidi overrides; line breaks and tabs are kept.
- :func:`one_line`: the same, on one line (control and line-break characters become spaces).
- :func:`xml_safe`: only characters XML 1.0 can carry (Atom, OPML): a stray ``\\x0b`` or
  ``\\ufffe`` in a headline would make the whole document unparseable.
- :func:`strip_bidi`: without the bidi embedding/override/isolate controls (U+202A-202E,
  U+2066-2069) that make ``exe.txt`` read as ``txt.exe``.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS))
_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def strip_bidi(value: str) -> str:
    """``value`` without bidi embedding, override and isolate controls."""
    return value.translate(_BIDI)


def terminal(value: str) -> str:
    """``value`` fit for a terminal: control characters and bidi controls removed
    (``\\n`` and ``\\t`` kept; a carriage return is dropped: it overwrites what was printed)."""
    return _TERMINAL.sub("", value)


def one_line(value: str) -> str:
    """One line of text: control/line-break characters become spaces, runs of space collapse,
    bidi controls are removed."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    return " ".join(strip_bidi("".join(chars)).split())


def xml_safe(value: str) -> str:
    """``value`` with every character XML 1.0 cannot carry removed (escaping is still the
    serialiser's job: this only makes the text representable)."""
    return _XML_ILLEGAL.sub("", value)
