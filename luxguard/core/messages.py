"""Rule messages: templates over named fields only, checked when rules load, rendered with a cap.

Rule folders arrive in pull requests (`--rules`), so a message is data, never a Python format
string: `{id}`, `{type}`, `{region}`, `{country}`, `{pinned}`, `{name}` and `{prop[PATH]}` are
the whole language. No attribute access, no indexing beyond `prop[PATH]`, no format specs or
conversions (`{id:>50000000}` would write 50 MB per finding), and the rendered text is capped.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional

from luxguard.core.errors import LuxguardError

FIELDS = ("id", "type", "region", "country", "pinned", "name")
PROPERTY_FIELD = re.compile(r"prop\[([a-z0-9_]+(?:\.[a-z0-9_]+)*)\]")
MAX_MESSAGE = 1000       # characters of one rendered message
MAX_VALUE = 200          # characters of one filled-in value
ELLIPSIS = "…"

Part = tuple[str, Optional[str], Optional[str]]   # literal, plain field, property path


def parse_template(template: str, source: str) -> list[Part]:
    """The template's literal text and fields; anything outside the language is a LuxguardError
    naming the file and field."""
    def refuse(reason: str) -> LuxguardError:
        return LuxguardError(f"{source}: field message: {reason}")

    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise refuse(f"{exc} (write {{{{ and }}}} for literal braces)") from None
    parts: list[Part] = []
    for literal, name, spec, conversion in pieces:
        if name is None:
            parts.append((literal, None, None))
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if conversion or spec:
            raise refuse(f"{shown}: format specs and conversions are not allowed")
        if name in FIELDS:
            parts.append((literal, name, None))
            continue
        match = PROPERTY_FIELD.fullmatch(name)
        if match is None:
            raise refuse(f"{shown}: unknown field (use {', '.join('{' + f + '}' for f in FIELDS)} "
                         f"or {{prop[PATH]}})")
        parts.append((literal, None, match.group(1)))
    return parts


def property_paths(template: str, source: str) -> list[str]:
    return [path for _, _, path in parse_template(template, source) if path is not None]


@lru_cache(maxsize=1024)
def _checked_parts(template: str) -> tuple[Part, ...]:
    return tuple(parse_template(template, "message"))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _plain(value: Any) -> str:
    """How a value reads in a sentence: lists joined with commas, absent as 'none'."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


def render_template(template: str, fields: Mapping[str, Any], prop: Callable[[str], Any]) -> str:
    """Fill a checked template; values as plain text (lists comma-joined), each and all capped."""
    out: list[str] = []
    for literal, name, path in _checked_parts(template):
        out.append(literal)
        if name is not None or path is not None:
            value = fields.get(name) if name is not None else prop(path)
            out.append(_shorten(_plain(value), MAX_VALUE))
    return _shorten("".join(out), MAX_MESSAGE)
