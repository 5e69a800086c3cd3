"""`scan` as a pipeline stage: live account -> normalised resources -> findings -> history."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable, Iterator, Optional

from luxguard.core.urls import redact_credentials
from luxguard.sources.organization import organization_zone
from luxguard.sinks.history import HistoryStore
from luxguard.sinks.outputs import Report
from luxguard.sinks.outputs.json_format import finding_to_dict
from luxguard.pipeline import Settings, apply_exceptions, evaluate


@dataclass
class ScanOptions:
    endpoint_url: Optional[str] = None
    profile: Optional[str] = None
    regions: str = "all"
    workers: int = 8


def interactive() -> bool:
    """A progress bar only for a person at a terminal; CI logs stay quiet."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress_reporter(enabled: bool) -> Iterator[Callable[[str], None]]:
    if not enabled:
        yield lambda _message: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} listings"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("scanning", total=None)

        def advance(message: str) -> None:
            bar.update(task, advance=1, description=f"scanning: {message[:70]}")

        yield advance


def scan(options: ScanOptions, settings: Settings, warn: Callable[[str], None],
         progress: Callable[[str], None] = lambda _m: None) -> tuple[Report, str]:
    """Collect every region, evaluate the rules; returns the report and the scan target's name."""
    from scanners import collect, open_session, resolve_regions

    session = open_session(options.profile, os.environ.get("AWS_DEFAULT_REGION") or "lu-central-1")
    locations = settings.locations()
    engine = settings.engine()
    regions = resolve_regions(session, options.regions, locations, options.endpoint_url, warn=warn)
    result = collect(session, regions, options.endpoint_url, max_workers=options.workers, progress=progress)
    organizations, members = organization_zone(session, options.endpoint_url)
    engine.trust([result.account_id or "", *members], organizations)
    for failure in result.failures:
        warn(f"could not list {failure.describe()}")
    report = evaluate(engine, settings, result.resources, "aws", failures=result.failures)
    target = f"{options.endpoint_url or 'aws'}#{result.account_id or 'unknown'}"
    return report, target


def drift(states: list, options: ScanOptions, settings: Settings,
          progress: Callable[[str], None] = lambda _m: None) -> tuple[Report, str]:
    """Stack states against the live cloud, then approvals and waivers, as for a scan."""
    from luxguard.actors.drift import run_drift

    report, target = run_drift(states, options.endpoint_url, options.profile, settings.locations(),
                               settings.pinned_country, options.workers, progress)
    apply_exceptions(report, settings.engine(), settings)
    return report, target


def record(store: HistoryStore, report: Report, target: str) -> int:
    """Store a run; the target and messages never keep a URL's credentials (urls.py)."""
    started = datetime.strptime(report.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    findings = [replace(f, message=redact_credentials(f.message)) for f in report.findings]
    return store.record_run(report.source, redact_credentials(target), started, findings, report.resources,
                            report.summary(), [finding_to_dict(f) for f in findings])
