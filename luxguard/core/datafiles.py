"""Reading YAML/JSON data files and validating them with JSON Schema, with one-line errors."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from luxguard.core.errors import LuxguardError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_yaml(path: Path) -> Any:
    """Parse a YAML (or JSON) file; a missing or malformed file is a LuxguardError naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LuxguardError(f"{path}: file not found") from None
    except OSError as exc:
        raise LuxguardError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LuxguardError(f"{path}{where}: malformed YAML: {problem}") from None


@lru_cache(maxsize=None)
def load_schema(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def validate(document: Any, schema_path: Path, source: str) -> None:
    """Validate against a JSON Schema; report the first error with its field path."""
    schema = load_schema(Path(schema_path))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        field = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise LuxguardError(f"{source}: field {field}: {error.message}")
