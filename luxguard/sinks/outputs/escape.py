"""Untrusted strings (resource names, tags, cloud error messages) made safe for each sink.

Terminals obey control characters: ESC sequences recolour, retitle or hide text, C1 controls
do the same on some terminals, NUL truncates, and bidirectional overrides (U+202E) reorder
what a reviewer reads. They are shown as visible escapes instead (`\\x1b`, `\\u202e`). XML 1.0
cannot hold most C0 characters at all, so JUnit replaces them the same way. Rich markup is
never parsed from untrusted text: the text sink builds `rich.text.Text` objects from it.
"""

from __future__ import annotations

import re

BIDI_AND_INVISIBLE = "\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff"
# C0 (tab kept), DEL, C1, bidi controls and zero-width characters, lone surrogates.
TERMINAL_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{BIDI_AND_INVISIBLE}\ud800-\udfff]")
# Everything outside XML 1.0's Char production, plus the same bidi controls.
XML_UNSAFE = re.compile(f"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[{BIDI_AND_INVISIBLE}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """One line a terminal shows as written: control and bidi characters as visible escapes."""
    return TERMINAL_UNSAFE.sub(_visible, str(text))


def xml_text(text: object) -> str:
    """Text XML 1.0 can carry (ElementTree escapes <, & and quotes itself)."""
    return XML_UNSAFE.sub(_visible, str(text))
