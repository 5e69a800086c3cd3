"""`scan` as a pipeline stage: live account -> normalised resources -> findings -> history."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

from luxguard.core.errors import LuxguardError
from luxguard.core.urls import redact_credentials
from luxguard.sources.organization import organization_zone
from luxguard.sinks.history import HistoryStore
from luxguard.sinks.outputs import Report
from luxguard.sinks.outputs.json_format import finding_to_dict
from luxguard.pipeline import Settings, apply_exceptions, evaluate

if TYPE_CHECKING:
    from luxguard.sources.org_scan import RetryPolicy


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

    session = open_session(options.profile, settings.home())
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

    report, target = run_drift(states, settings, options.endpoint_url, options.profile, options.workers, progress)
    apply_exceptions(report, settings.engine(), settings)
    return report, target


def record(store: HistoryStore, report: Report, target: str) -> int:
    """Store a run; the target and messages never keep a URL's credentials (urls.py)."""
    started = datetime.strptime(report.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    findings = [replace(f, message=redact_credentials(f.message)) for f in report.findings]
    return store.record_run(report.source, redact_credentials(target), started, findings, report.resources,
                            report.summary(), [finding_to_dict(f) for f in findings])


@dataclass
class OrganizationOptions:
    """Which accounts an organisation scan covers, how it gets into them, and where units run."""

    organization: bool = False
    accounts_file: Optional[Path] = None
    role_name: str = "OrganizationAccountAccessRole"
    external_id: Optional[str] = None
    session_name: str = "luxguard-scan"
    ous: tuple[str, ...] = ()
    account_tags: tuple[tuple[str, str], ...] = ()
    executor: str = "local"
    broker: Optional[str] = None
    result_backend: Optional[str] = None
    per_account: int = 4
    throttle_retries: Optional[int] = None     # None: the executor's default (org_scan.LOCAL_RETRY, CELERY_RETRY)
    throttle_backoff: Optional[float] = None

    def retry_policy(self) -> Optional["RetryPolicy"]:
        """The coordinator's retry policy for throttled units, or None for the executor's own."""
        from luxguard.sources.org_scan import CELERY_RETRY, LOCAL_RETRY, RetryPolicy

        if self.throttle_retries is None and self.throttle_backoff is None:
            return None
        default = CELERY_RETRY if self.executor == "celery" else LOCAL_RETRY
        return RetryPolicy(default.retries if self.throttle_retries is None else self.throttle_retries,
                           default.max_backoff if self.throttle_backoff is None else self.throttle_backoff)

    @property
    def enabled(self) -> bool:
        return self.organization or self.accounts_file is not None


def scan_organization(options: ScanOptions, org: OrganizationOptions, settings: Settings,
                      warn: Callable[[str], None], progress: Callable[[str], None] = lambda _m: None) -> tuple[Report, str]:
    """Every account of the organisation (or the accounts file), one report, one history run."""
    from scanners import resolve_regions
    from luxguard.sources.executors import CeleryExecutor, LocalExecutor
    from luxguard.sources.org_scan import account_regions, base_session, run_unit_with_backoff, scan_accounts
    from luxguard.sources.organization import AccountFilter, list_organization_accounts, load_accounts_file, with_role

    base = base_session(options.profile)
    engine = settings.engine()
    if org.accounts_file is not None:
        accounts = with_role(load_accounts_file(org.accounts_file), org.role_name, org.external_id)
        accounts = [a if a.endpoint_url else replace(a, endpoint_url=options.endpoint_url) for a in accounts]
        label = str(org.accounts_file)
        organizations, members = organization_zone(base, options.endpoint_url)
        engine.trust([*(a.id for a in accounts), *members], organizations)   # the file is the estate
    else:
        found = list_organization_accounts(base, options.endpoint_url, org.role_name,
                                           AccountFilter(org.ous, org.account_tags), org.external_id)
        accounts, label = list(found.accounts), found.id
        engine.trust(found.member_ids, [found.id])   # every member, chosen by the filters or not
    locations = settings.locations()
    regions, failures = account_regions(
        accounts, lambda session, account: resolve_regions(session, options.regions, locations, account.endpoint_url, warn=warn),
        options.workers, options.profile, org.session_name)
    if org.executor == "celery":
        if not org.broker:
            raise LuxguardError("--executor celery needs --broker URL (e.g. redis://127.0.0.1:6379/0)")
        executor = CeleryExecutor(org.broker, org.result_backend, per_account=org.per_account)
    else:
        executor = LocalExecutor(run_unit_with_backoff, workers=options.workers, per_account=org.per_account)
    result = scan_accounts(accounts, regions, executor, progress, options.profile, org.session_name, org.retry_policy())
    failures = sorted([*failures, *result.failures], key=lambda f: f.key)
    for failure in failures:
        warn(f"could not list {failure.describe()}")
    report = evaluate(engine, settings, result.resources, "aws", failures=failures)
    report.notes.append(f"organisation scan: {len(accounts)} account(s), {result.units} unit(s) on the "
                        f"{org.executor} executor, {sum(result.api_calls.values())} API calls")
    return report, f"{options.endpoint_url or 'aws'}#org:{label}"
