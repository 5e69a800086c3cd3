"""Renderers: one module per output format, found by name through `RENDERERS`."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Finding, Status, severity_rank
from luxguard.core.rules import Rule


@dataclass
class Report:
    """Everything a renderer needs: the findings of one run and where they came from."""

    source: str                      # pulumi | aws | drift
    findings: list[Finding]
    resources: int
    rules: list[Rule] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    base_dir: Optional[Path] = None  # program directory, for SARIF artifact paths
    notes: list[str] = field(default_factory=list)   # warnings for people (e.g. approvals expiring)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status == status)

    def summary(self) -> dict[str, int]:
        return {
            "resources": self.resources,
            "failed": self.count(Status.FAIL),
            "passed": self.count(Status.PASS),
            "waived": self.count(Status.WAIVED),
            "errors": self.count(Status.ERROR),
        }

    def failing_at_or_above(self, threshold: str) -> list[Finding]:
        floor = severity_rank(threshold)
        return [f for f in self.findings if f.status == Status.FAIL and severity_rank(f.severity) >= floor]


Renderer = Callable[[Report, bool], str]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDERERS[name] = fn
        return fn
    return register


def render(report: Report, fmt: str, color: bool = False) -> str:
    from luxguard.sinks.outputs import json_format, junit, sarif, text  # noqa: F401 - registration side effects

    if fmt not in RENDERERS:
        raise LuxguardError(f"unknown --format {fmt!r} (choose from {', '.join(sorted(RENDERERS))})")
    return RENDERERS[fmt](report, color)


def write_atomically(path: Path, content: str) -> None:
    """Write to a temporary file and rename, so a failure never leaves half a report."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.replace(temporary, path)
    except OSError as exc:
        raise LuxguardError(f"{path}: cannot write output ({exc.strerror})") from None
