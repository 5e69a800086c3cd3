"""A run's history starts empty: built beside the old one and swapped in when the run is done.

`luxguard demo` and `luxguard sandbox` are re-run often; appending to the previous run's
history would mix two sandboxes (whose resource ids differ) in one timeline. The new SQLite
file is built under a temporary name and renamed over the old one (os.replace, atomic), so the
old history stays whole until the new one is complete, and a failed run leaves it untouched.
"""

from __future__ import annotations

import contextlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def fresh_sqlite(path: Path) -> Iterator[Path]:
    """Yields the temporary path to build the new database at; on success it replaces `path`."""
    path = Path(path)
    building = path.with_name(f".{path.name}.new")
    for leftover in (building, building.with_name(building.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    try:
        yield building
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            building.unlink()
        raise
    if building.exists():
        os.replace(building, path)
