"""Values not known before deploy (a Terraform variable without a value, a data source, an
attribute computed at apply, a template parameter without default): never a value, so the rules
that read them give `error`; the reason says what would make them known."""

from __future__ import annotations

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
