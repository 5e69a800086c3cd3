"""JSON Schema errors in plain words, every one of a file at once.

jsonschema's own messages show Python reprs (`datetime.date(2026, 1, 1) is not of type
'string'`) and raw regular expressions (`'MY-001' does not match '^LUX-...'`): fine for the
person who wrote the schema, useless for the one who wrote the file. Here each error names the
field and says what was expected; a `pattern` says it through the schema's own `x-expects`
annotation (JSON Schema ignores unknown keywords), so a schema change carries its wording along.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Iterable

import jsonschema
from jsonschema.exceptions import ValidationError

EXPECTS = "x-expects"     # the schema annotation that words a `pattern` (or a oneOf/anyOf)
MAX_PROBLEMS = 20         # a file with more says how many were left out
MAX_SHOWN = 60            # characters of a value shown in a message

TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping of fields", "integer": "a whole number",
              "number": "a number", "boolean": "true or false", "null": "empty"}


def json_ready(value: Any) -> Any:
    """The document as JSON Schema sees it: YAML dates (unquoted 2026-12-31) become ISO text,
    so a date may be written either way; everything else is left as it is."""
    if isinstance(value, (date, datetime)):   # a datetime keeps its time, so a date pattern refuses it
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def shown(value: Any) -> str:
    """A value as its author wrote it: JSON-like, never a Python repr, cut at MAX_SHOWN."""
    if isinstance(value, dict):
        text = "a mapping" if value else "an empty mapping"
    elif isinstance(value, list):
        text = "a list" if value else "an empty list"
    elif value is None:
        text = "an empty value"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


def field_path(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"


def _names(names: Iterable[Any]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _type_words(expected: Any) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(TYPE_WORDS.get(k, str(k)) for k in kinds)


def words(error: ValidationError) -> str:
    """What is wrong with the value at the error's field, in a sentence fragment."""
    kind, expected, value, schema = error.validator, error.validator_value, error.instance, error.schema
    described = schema.get(EXPECTS) if isinstance(schema, dict) else None
    if kind == "required":
        missing = [name for name in expected if isinstance(value, dict) and name not in value]
        return f"missing required field {_names(missing)}"
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed) if isinstance(value, dict) else []
        known = f" (known fields: {', '.join(allowed)})" if allowed else ""
        return f"unknown field {_names(extra)}{known}"
    if kind == "type":   # an unquoted account id in YAML is a number: say what the field wants
        return f"{shown(value)} is not {_type_words(expected)}" + (f", expected {described}" if described else "")
    if kind in ("enum", "const"):
        choices = expected if kind == "enum" else [expected]
        return f"{shown(value)} is not one of: {', '.join(shown(c) for c in choices)}"
    if kind == "pattern":
        return f"{shown(value)} is not {described or 'in the expected form'}"
    if kind == "minLength":
        return "is empty" if expected == 1 and value == "" else f"{shown(value)} is shorter than {expected} characters"
    if kind == "maxLength":
        return f"is longer than {expected} characters"
    if kind == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}"
    if kind == "maxItems":
        return f"takes at most {expected} item{'s' if expected != 1 else ''}"
    if kind == "uniqueItems":
        return "lists the same value more than once"
    if kind == "minProperties":
        known = sorted(schema.get("properties", {}))
        choice = f" of: {', '.join(known)}" if known else ""
        return f"needs at least {expected} field{'s' if expected != 1 else ''}{choice}"
    if kind == "maxProperties":
        return f"takes at most {expected} field{'s' if expected != 1 else ''}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        relation = {"minimum": "less than", "exclusiveMinimum": "not more than",
                    "maximum": "more than", "exclusiveMaximum": "not less than"}[kind]
        return f"{shown(value)} is {relation} {expected}"
    if kind == "not":
        if isinstance(expected, dict) and set(expected) == {"required"}:
            return f"must not have field {_names(expected['required'])}"
        return f"{shown(value)} is not allowed here"
    if kind in ("oneOf", "anyOf"):
        inner = _closest(error)
        if inner is None:
            return f"is not {described or 'in any of the allowed forms'}"
        detail = words(inner)
        if len(inner.absolute_path) > len(error.absolute_path):
            detail = f"at {field_path(inner)}: {detail}"
        return f"is not {described} (closest: {detail})" if described else detail
    if kind is None:   # a `false` schema: nothing may stand here
        return "is not allowed here"
    return f"{shown(value)} is not valid here ({kind})"


def _closest(error: ValidationError) -> ValidationError | None:
    """The error of the alternative the author most likely meant: the one that knows most of the
    value's fields (then the one with fewest errors), followed down nested alternatives."""
    if not error.context:
        return None
    branches: dict[Any, list[ValidationError]] = {}
    for inner in error.context:
        branches.setdefault(inner.relative_schema_path[0], []).append(inner)
    keys = set(error.instance) if isinstance(error.instance, dict) else set()
    depth = len(error.absolute_path)

    def fit(errors: list[ValidationError]) -> tuple[int, int]:
        unknown = {k for e in errors if e.validator == "additionalProperties" and len(e.absolute_path) == depth
                   for k in e.instance if k not in e.schema.get("properties", {})}
        return len(keys - unknown), -len(errors)

    errors = max(branches.values(), key=fit)
    leaf = max(errors, key=lambda e: len(e.absolute_path))
    if leaf.validator in ("oneOf", "anyOf"):
        return _closest(leaf) or leaf
    return leaf


def _specific_first(errors: list[ValidationError]) -> list[ValidationError]:
    """One pattern error per field: where a general and a conditional pattern both refuse a value
    (a rule id), keep the one the schema nested deepest (the most specific wording)."""
    kept: dict[tuple, ValidationError] = {}
    others = []
    for error in errors:
        if error.validator != "pattern":
            others.append(error)
            continue
        key = tuple(error.absolute_path)
        if key not in kept or len(error.schema_path) > len(kept[key].schema_path):
            kept[key] = error
    return others + list(kept.values())


def _sortable(path: Iterable[Any]) -> list[tuple[int, int, str]]:
    """List indexes in numeric order (2 before 10), names in text order."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path]


def problems(document: Any, schema: dict) -> list[str]:
    """Every schema error of the document, as 'field PATH: words', in field order, each once."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = _specific_first(list(validator.iter_errors(json_ready(document))))
    errors.sort(key=lambda e: (_sortable(e.absolute_path), _sortable(e.schema_path)))
    return list(dict.fromkeys(f"field {field_path(e)}: {words(e)}" for e in errors))


def summary(source: str, found: list[str]) -> str:
    """One line for all the problems of a file (the CLI prints exactly one line per refusal)."""
    if len(found) == 1:
        return f"{source}: {found[0]}"
    shown_here = found[:MAX_PROBLEMS]
    more = f"; and {len(found) - MAX_PROBLEMS} more" if len(found) > MAX_PROBLEMS else ""
    return f"{source}: {len(found)} problems: {'; '.join(shown_here)}{more}"
