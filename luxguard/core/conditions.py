"""Declarative conditions over normalised properties: a small registry of named operators.

A condition is data, never code:

    {all: [c, ...]} | {any: [c, ...]} | {not: c}
    {property: PATH, OPERATOR: VALUE}
    {every|some|none: LIST_PATH, where: c}   # c is evaluated on each item's fields

Operators are registered by name (Cloud Custodian style); `OPERATORS` is also what the rule
schema and the rule loader accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from luxguard.core.locations import Locations


@dataclass(frozen=True)
class Context:
    """What operators may need beyond the property value."""

    locations: Locations
    pinned_country: str


Operator = Callable[[Any, Any, Context], bool]
OPERATORS: dict[str, Operator] = {}
LOGICAL = ("all", "any", "not")
QUANTIFIERS = ("every", "some", "none")


def operator(name: str) -> Callable[[Operator], Operator]:
    def register(fn: Operator) -> Operator:
        OPERATORS[name] = fn
        return fn

    return register


@operator("equals")
def _equals(value: Any, expected: Any, _: Context) -> bool:
    return value == expected


@operator("not_equals")
def _not_equals(value: Any, expected: Any, _: Context) -> bool:
    return value != expected


@operator("in")
def _in(value: Any, expected: list, _: Context) -> bool:
    return value in expected


@operator("not_in")
def _not_in(value: Any, expected: list, _: Context) -> bool:
    return value not in expected


@operator("exists")
def _exists(value: Any, expected: bool, _: Context) -> bool:
    return (value is not None) == bool(expected)


@operator("gte")
def _gte(value: Any, expected: float, _: Context) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= expected


@operator("lte")
def _lte(value: Any, expected: float, _: Context) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value <= expected


@operator("contains")
def _contains(value: Any, expected: Any, _: Context) -> bool:
    return isinstance(value, (list, dict, str)) and expected in value


@operator("contains_any")
def _contains_any(value: Any, expected: list, _: Context) -> bool:
    return isinstance(value, (list, dict)) and any(e in value for e in expected)


@operator("all_in")
def _all_in(value: Any, allowed: list, _: Context) -> bool:
    """Every element of a list value is one of `allowed` (an empty list passes)."""
    return isinstance(value, list) and all(v in allowed for v in value)


@operator("is_empty")
def _is_empty(value: Any, expected: bool, _: Context) -> bool:
    return (not value) == bool(expected)


@operator("matches")
def _matches(value: Any, pattern: str, _: Context) -> bool:
    return isinstance(value, str) and re.search(pattern, value) is not None


@operator("range_overlaps")
def _range_overlaps(value: Any, ports: list[int], _: Context) -> bool:
    """value is a [from, to] port range; true when it covers any of `ports`."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    low, high = value
    return any(low <= port <= high for port in ports)


@operator("in_pinned_country")
def _in_pinned_country(value: Any, expected: bool, ctx: Context) -> bool:
    """A region (or every region of a list) lies in the pinned country; unknown is outside."""
    regions = value if isinstance(value, list) else [value]
    inside = all(ctx.locations.is_in(r, ctx.pinned_country) for r in regions)
    return inside == bool(expected)


Resolver = Callable[[str], Any]


def evaluate(condition: dict, resolve: Resolver, ctx: Context) -> bool:
    """True when `condition` holds for the object that `resolve` reads paths from."""
    if "all" in condition:
        return all(evaluate(c, resolve, ctx) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, resolve, ctx) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], resolve, ctx)
    for quantifier in QUANTIFIERS:
        if quantifier in condition:
            items = resolve(condition[quantifier]) or []
            matches = (evaluate(condition["where"], _item_resolver(item), ctx) for item in items)
            if quantifier == "every":
                return all(matches)
            if quantifier == "some":
                return any(matches)
            return not any(matches)
    value = resolve(condition["property"])
    name = next(k for k in condition if k in OPERATORS)
    return OPERATORS[name](value, condition[name], ctx)


def _item_resolver(item: dict) -> Resolver:
    from luxguard.core.model import lookup

    return lambda path: lookup(item, path)


def walk_properties(condition: dict, list_property: str | None = None) -> Iterator[tuple[str | None, str]]:
    """Yield (list property or None, path) for every property a condition reads."""
    for key in LOGICAL:
        if key in condition:
            children = condition[key] if key != "not" else [condition[key]]
            for child in children:
                yield from walk_properties(child, list_property)
            return
    for quantifier in QUANTIFIERS:
        if quantifier in condition:
            yield (list_property, condition[quantifier])
            yield from walk_properties(condition["where"], condition[quantifier])
            return
    yield (list_property, condition["property"])
