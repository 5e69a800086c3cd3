"""Renderers: one module per output format, found by name through `RENDERERS`."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Finding, Status
from luxguard.core.rules import Rule
from luxguard.core.urls import redact_credentials


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
    return redact_credentials(RENDERERS[fmt](report, color))   # cloud errors may quote a URL with a password


NEW_FILE_MODE, PRIVATE_FILE_MODE = 0o644, 0o600


def _refuse_non_regular(path: Path) -> Optional[int]:
    """The mode of the regular file at `path` (None when there is none); anything else refused."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LuxguardError(f"{path}: cannot write output ({exc.strerror})") from None
    if stat.S_ISREG(info.st_mode):
        return stat.S_IMODE(info.st_mode)
    kind = ("a symbolic link" if stat.S_ISLNK(info.st_mode) else "a directory" if stat.S_ISDIR(info.st_mode)
            else "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode)
            else "a device")
    raise LuxguardError(f"{path}: is {kind}; reports are written only to regular files")


def write_atomically(path: Path, content: str, private: bool = False) -> None:
    """Write to a temporary file beside `path` and rename, so a failure never leaves half a report.

    Only regular files are replaced (never a device, FIFO or symlink); an existing file keeps
    its mode, a new one gets 0644 (0600 with `private`); the temporary file never outlives a failure.
    """
    path = Path(path)
    existing_mode = _refuse_non_regular(path)
    mode = existing_mode if existing_mode is not None else PRIVATE_FILE_MODE if private else NEW_FILE_MODE
    temporary: Optional[str] = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as out:
            os.fchmod(out.fileno(), mode)
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise LuxguardError(f"{path}: cannot write output ({exc.strerror or exc})") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
