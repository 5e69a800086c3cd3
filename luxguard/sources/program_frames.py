"""Which stack frames are the program's own, so that errors name its file and line.

A traceback through a Pulumi program is mostly the SDK, asyncio and luxguard; the user needs the
line of *their* program (never `asyncio/base_events.py:653`), and luxguard's own failures must
not be worded as the program's.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from pathlib import Path
from types import TracebackType
from typing import Iterable, Optional

import luxguard

LUXGUARD_DIR = str(Path(luxguard.__file__).resolve().parent) + os.sep
_LIBRARY_DIRS = tuple(sorted({str(Path(p).resolve()) + os.sep for p in (
    sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"), sysconfig.get_path("purelib"),
    sysconfig.get_path("platlib"), sys.prefix, sys.base_prefix, sys.exec_prefix) if p}))


def is_library(filename: str) -> bool:
    """The standard library, installed packages (any site-packages, e.g. a program's .venv) or luxguard."""
    if "site-packages" in filename or "dist-packages" in filename or filename.startswith("<"):
        return True
    resolved = str(Path(filename).resolve())
    return resolved.startswith(LUXGUARD_DIR) or resolved.startswith(_LIBRARY_DIRS)


def is_program_file(filename: str, program_dir: Path) -> bool:
    if is_library(filename):
        return False
    try:
        Path(filename).resolve().relative_to(program_dir.resolve())
    except ValueError:
        return False
    return True


def program_location(frames: Iterable[traceback.FrameSummary], program_dir: Path) -> Optional[str]:
    """`file:line` of the innermost frame that belongs to the program, if any."""
    own = [f for f in frames if is_program_file(f.filename, program_dir)]
    return f"{own[-1].filename}:{own[-1].lineno}" if own else None


def describe_exception(exc: BaseException, program_dir: Path, also: Iterable[Optional[TracebackType]] = ()) -> str:
    """One line for an exception out of a program run: the program's line when it has one on the
    stack (or on the stack of the exception it was raised from, or in `also`: where the SDK saw it
    first), else who raised it."""
    chain: list[BaseException] = []
    current: Optional[BaseException] = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for tb in [c.__traceback__ for c in chain] + list(also):
        where = program_location(traceback.extract_tb(tb), program_dir)
        if where:
            return f"the program raised {type(exc).__name__}: {_first_line(exc)} at {where}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames and str(Path(frames[-1].filename).resolve()).startswith(LUXGUARD_DIR):
        return (f"luxguard failed while running the program (a luxguard bug, please report it): "
                f"{type(exc).__name__}: {_first_line(exc)}")
    return f"the program raised {type(exc).__name__}: {_first_line(exc)} (inside the Pulumi SDK; no line of the program is on the stack)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


def location_from_dump(dump: str, program_dir: Path) -> Optional[str]:
    """`file:line` of the program frame a faulthandler dump shows the program was stuck in."""
    for line in dump.splitlines():
        line = line.strip()
        if not line.startswith('File "'):
            continue
        filename, _, rest = line[len('File "'):].partition('", line ')
        number = rest.split(" ", 1)[0]
        if number.isdigit() and is_program_file(filename, program_dir):
            return f"{filename}:{number}"
    return None
