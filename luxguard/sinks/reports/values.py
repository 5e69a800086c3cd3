"""Stored values (drift's declared/actual, waiver details) as plain text a security reader can read.

Findings JSON holds JSON values; Python's str() would show them as `None`, `True` and dict reprs.
Here they read as JSON does (null, true, [..]), with dicts as compact `key: value` pairs.
"""

from __future__ import annotations

import json
from typing import Any


def plain(value: Any) -> str:
    """A value as one line of JSON-ish text: a top-level string as itself, a dict as `key: value, ...`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_nested(item)}" for key, item in value.items()) if value else "{}"
    return _nested(value)


def _nested(value: Any) -> str:
    """A value inside a list or dict: strings quoted (so commas inside them stay readable)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_nested(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_nested(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def plain_lines(value: Any) -> list[str]:
    """A list of objects (e.g. security group rules) one per line; anything else on one line."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, dict) for item in value):
        return [plain(item) for item in value]
    return [plain(value)]


DRIFT_FIRST = ("property", "kind", "declared", "actual")


def drift_rows(drift: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """A drift's fields in reading order (what changed, declared, actual, then the rest by name)."""
    keys = [k for k in DRIFT_FIRST if k in drift] + sorted(str(k) for k in drift if k not in DRIFT_FIRST)
    return [(key, plain_lines(drift[key])) for key in keys]
