"""`luxguard drift`: a Pulumi stack's recorded state against the live cloud."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import click

from luxguard.sinks.history import HistoryStore
from luxguard.sources.live import ScanOptions, interactive, progress_reporter, record
from luxguard.sources.live import drift as run_live_drift
from luxguard.sources.state import load_states
from luxguard.commands.common import Gate, common_options, db_option, emit, endpoint_option, make_settings


def state_options(fn: Any) -> Any:
    options = [
        click.option("--state", "state_files", multiple=True, type=click.Path(path_type=Path),
                     help="A `pulumi stack export` file (repeatable: several stacks, one estate)."),
        click.option("--backend", help="A DIY Pulumi backend: file://DIR or s3://BUCKET[/prefix] (with --stack)."),
        click.option("--stack", help="Stack name (NAME, PROJECT/NAME or ORG/PROJECT/NAME); with --state, "
                                     "the state must be this stack's."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.command()
@state_options
@endpoint_option("Cloud API endpoint (also used for an s3:// backend).")
@click.option("--profile", help="AWS profile for credentials.")
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True, help="Parallel API workers.")
@db_option()
@click.option("--no-history", is_flag=True, help="Do not store this run.")
@common_options
def drift(state_files: tuple[Path, ...], backend: Optional[str], stack: Optional[str], endpoint_url: Optional[str],
          profile: Optional[str], workers: int, db: Optional[str], no_history: bool, fmt: str,
          output: Optional[Path], fail_on: Gate, **shared: Any) -> int:
    """Compare a stack's state with the live resources: changed, missing and unmanaged resources."""
    settings = make_settings(**shared)
    states = load_states(state_files, backend, stack, endpoint_url, profile)
    store = None if no_history else HistoryStore(db)
    with progress_reporter(interactive()) as progress:
        report, target = run_live_drift(states, ScanOptions(endpoint_url=endpoint_url, profile=profile,
                                                            workers=workers), settings, progress)
    if store is not None:
        record(store, report, target)
    return emit(report, fmt, output, fail_on)


COMMANDS = [drift]
