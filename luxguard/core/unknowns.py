"""Values not known before deploy (a Terraform variable without a value, a data source, an
attribute computed at apply, a template parameter without default): never a value, so the rules
that read them give `error`; the reason says what would make them known."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Unknown:
    reason: str

    def __bool__(self) -> bool:   # never truthy: an unknown flag must not read as "on"
        return False


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def first_unknown(value: Any) -> Optional[Unknown]:
    """The first Unknown anywhere inside a value (None when it is fully known)."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None


# The token a Pulumi preview's placeholder carries where a deployment decides the value
# (luxguard/sources/pulumi_placeholders.py makes them).
MARK = re.compile(r"unknown[0-9a-f]{8}")


def carries_placeholder(value: Any) -> bool:
    """Whether a value (of any nesting) contains text made from a marked placeholder."""
    if isinstance(value, str):
        return MARK.search(value) is not None
    if isinstance(value, dict):
        return any(carries_placeholder(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(carries_placeholder(v) for v in value)
    return False
