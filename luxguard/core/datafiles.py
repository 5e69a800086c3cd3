"""Reading YAML/JSON data files and validating them with JSON Schema, with one-line errors.

Input files come from pull requests and CI artefacts, so reading them is bounded: only regular
files (a FIFO named rules.yaml would block forever), at most MAX_INPUT_BYTES, UTF-8, at most
MAX_DEPTH levels of nesting and MAX_NODES nodes once YAML aliases are expanded (an alias bomb
is a few hundred bytes that expand to billions of nodes). Invalid dates such as 2026-02-30 are
malformed YAML with their line, never a crash.
"""

from __future__ import annotations

import json
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml

from luxguard.core.errors import LuxguardError
from luxguard.core.schema_errors import json_ready, problems, summary

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The bytes of a regular file of at most MAX_INPUT_BYTES; anything else is a LuxguardError."""
    path = Path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise LuxguardError(f"{path}: is a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise LuxguardError(f"{path}: not a regular file (a FIFO, socket or device); give a {what}")
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise LuxguardError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise LuxguardError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise LuxguardError(f"{path}: {what} larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    return data


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 (a byte-order mark is allowed); other encodings are refused with the offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LuxguardError(f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def read_text(path: Path, what: str = "file") -> str:
    return decode_text(read_bytes(path, what), str(path))


def parse_json(text: str, source: str, kind: str = "") -> Any:
    """JSON with the line of a syntax error and the same nesting limit as YAML."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if kind:
            raise LuxguardError(f"{source}: not a {kind} (invalid JSON at line {exc.lineno} column {exc.colno}: "
                                f"{exc.msg})") from None
        raise LuxguardError(f"{source}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise LuxguardError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:   # e.g. an integer literal with thousands of digits
        raise LuxguardError(f"{source}: malformed JSON: {exc}") from None
    check_depth(document, source)
    return document


def check_depth(document: Any, source: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH (recursive code downstream would overflow)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LuxguardError(f"{source}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose invalid timestamps are errors with a position, not a ValueError."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(None, None, f"invalid date {node.value!r} ({exc})",
                                                    node.start_mark) from None


BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", BoundedLoader.construct_yaml_timestamp)


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Depth and node count as if every alias were expanded (a shared node counts once per use)."""
    measured: dict[int, tuple[int, int]] = {}      # id(node) -> (expanded size, height)
    active: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in active:
            raise LuxguardError(f"{source}: recursive YAML alias")
        active.add(key)
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        size, height = 1, 0
        for child in children:
            child_size, child_height = measure(child)
            size, height = size + child_size, max(height, child_height)
            if size > MAX_NODES:
                raise LuxguardError(f"{source}: more than {MAX_NODES} values once YAML aliases are expanded "
                                    f"(an alias bomb?)")
        active.discard(key)
        measured[key] = (size, height + 1)
        return measured[key]

    if measure(root)[1] > MAX_DEPTH:
        raise LuxguardError(f"{source}: nested more than {MAX_DEPTH} levels deep")


def load_bounded(text: str, source: str, loader_class: Optional[type[yaml.SafeLoader]] = None) -> Any:
    """Safe YAML within the depth and alias-expansion limits (LuxguardError beyond them); malformed
    YAML raises yaml.YAMLError for the caller to word. `loader_class` extends BoundedLoader."""
    loader = (loader_class or BoundedLoader)(text)   # the reader refuses NUL and control characters here
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_yaml(text: str, source: str) -> Any:
    """Safe YAML within the limits; errors name the file, line and column."""
    try:
        return load_bounded(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LuxguardError(f"{source}{where}: malformed YAML: {problem}") from None
    except RecursionError:
        raise LuxguardError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML (or JSON) file; a missing, oversized or malformed file is a LuxguardError naming it."""
    return parse_yaml(read_text(path, "file"), str(path))


@lru_cache(maxsize=None)
def load_schema(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def validate(document: Any, schema_path: Path, source: str) -> Any:
    """Validate against a JSON Schema; every error of the file in one line, in plain words
    (schema_errors.py). Returns the document as validated: YAML dates as ISO text."""
    found = problems(document, load_schema(Path(schema_path)))
    if found:
        raise LuxguardError(summary(source, found))
    return json_ready(document)
