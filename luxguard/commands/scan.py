"""`luxguard scan` and `luxguard watch`: the live account against the same rules."""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path
from typing import Any, Callable, Optional

import click

from luxguard.core.errors import LuxguardError
from luxguard.sinks.history import HistoryStore
from luxguard.sources.live import OrganizationOptions, ScanOptions, interactive, progress_reporter, record, scan_organization
from luxguard.sources.live import scan as run_scan
from luxguard.commands.common import (EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Gate, cloud_options, common_options,
                                      db_option, emit, make_settings, warn)


def scan_options(fn: Callable) -> Callable:
    return cloud_options(db_option()(
        click.option("--no-history", is_flag=True, help="Do not store this run.")(fn)))


def _key_value(_ctx: Any, _param: Any, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: give KEY=VALUE")
        pairs.append((key, val))
    return tuple(sorted(pairs))


def organization_options(fn: Callable) -> Callable:
    """Many accounts: which ones, how to get in, and where the work runs."""
    options = [
        click.option("--organization", is_flag=True, help="Scan every account of the AWS Organization."),
        click.option("--accounts", "accounts_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Scan the accounts listed in FILE (YAML/JSON: id, role_arn, endpoint_url, regions)."),
        click.option("--role-name", default="OrganizationAccountAccessRole", show_default=True,
                     help="Role assumed in each member account."),
        click.option("--external-id", help="External id for AssumeRole."),
        click.option("--session-name", default="luxguard-scan", show_default=True, help="AssumeRole session name."),
        click.option("--ou", "ous", multiple=True, help="Only accounts under this OU id (repeatable)."),
        click.option("--account-tag", "account_tags", multiple=True, callback=_key_value,
                     help="Only accounts with this tag, KEY=VALUE (repeatable)."),
        click.option("--executor", type=click.Choice(["local", "celery"]), default="local", show_default=True,
                     help="Run the scan's units in this process or on Celery workers (`luxguard worker`)."),
        click.option("--broker", envvar="LUXGUARD_BROKER", help="Celery broker URL for --executor celery."),
        click.option("--result-backend", envvar="LUXGUARD_RESULT_BACKEND", help="Celery result backend (default: the broker)."),
        click.option("--per-account", type=click.IntRange(1, 64), default=4, show_default=True,
                     help="Units of one account in flight at once (API limits are per account)."),
        click.option("--throttle-retries", type=click.IntRange(0, 20), envvar="LUXGUARD_THROTTLE_RETRIES",
                     help="Runs again of a unit throttled past botocore's retries [default: 3 in-process, 5 on Celery]."),
        click.option("--throttle-backoff", type=click.FloatRange(0, 600), envvar="LUXGUARD_THROTTLE_BACKOFF",
                     metavar="SECONDS", help="Longest wait between those runs (1, 2, 4... s) [default: 10 in-process, 30 on Celery]."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.command()
@organization_options
@scan_options
@common_options
def scan(endpoint_url: Optional[str], profile: Optional[str], regions: str, workers: int, db: Optional[str],
         no_history: bool, fmt: str, output: Optional[Path], fail_on: Gate, organization: bool,
         accounts_file: Optional[Path], role_name: str, external_id: Optional[str], session_name: str,
         ous: tuple[str, ...], account_tags: tuple[tuple[str, str], ...], executor: str, broker: Optional[str],
         result_backend: Optional[str], per_account: int, throttle_retries: Optional[int],
         throttle_backoff: Optional[float], **shared: Any) -> int:
    """Read live resources in every region and evaluate the rules; store the run in the history."""
    from scanners.clients import call_retries

    call_retries()   # a bad AWS_MAX_ATTEMPTS is one line here, not an error in every listing
    settings = make_settings(**shared)
    store = None if no_history else HistoryStore(db)
    options = ScanOptions(endpoint_url=endpoint_url, profile=profile, regions=regions, workers=workers)
    org = OrganizationOptions(organization=organization, accounts_file=accounts_file, role_name=role_name,
                              external_id=external_id, session_name=session_name, ous=ous,
                              account_tags=account_tags, executor=executor, broker=broker,
                              result_backend=result_backend, per_account=per_account,
                              throttle_retries=throttle_retries, throttle_backoff=throttle_backoff)
    if organization and accounts_file is not None:
        raise LuxguardError("give --organization or --accounts FILE, not both")
    if not org.enabled and (ous or account_tags or executor != "local" or org.retry_policy()):
        raise LuxguardError("--ou, --account-tag, --executor and --throttle-* apply to --organization/--accounts scans")
    with progress_reporter(interactive()) as progress:
        if org.enabled:
            report, target = scan_organization(options, org, settings, warn, progress)
        else:
            report, target = run_scan(options, settings, warn, progress)
    if store is not None:
        record(store, report, target)
    _hint_unknown_region(report, endpoint_url)
    return emit(report, fmt, output, fail_on)


def _hint_unknown_region(report: Any, endpoint_url: Optional[str]) -> None:
    """A region whose every listing failed with 5xx: say what probably happened (scanners.access)."""
    from luxguard.core.listing import is_listing_finding
    from scanners.access import unknown_region_hint

    hint = unknown_region_hint([f.extra["listing"] for f in report.findings if is_listing_finding(f)], endpoint_url)
    if hint:
        warn(hint)


def parse_interval(text: str) -> float:
    """'90', '90s', '5m', '1h' -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise LuxguardError(f"--interval {text!r}: give a positive number of seconds, or e.g. 30s, 5m, 1h")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@click.command()
@click.option("--interval", default="5m", show_default=True, help="Time between scans (30s, 5m, 1h).")
@click.option("--max-runs", type=click.IntRange(1), help="Stop after this many scans (default: run until stopped).")
@click.option("--state", "state_files", multiple=True, type=click.Path(path_type=Path),
              help="Also run `drift` against this `pulumi stack export` file after each scan (repeatable).")
@scan_options
@common_options
def watch(interval: str, max_runs: Optional[int], state_files: tuple[Path, ...], endpoint_url: Optional[str], profile: Optional[str], regions: str,
          workers: int, db: Optional[str], no_history: bool, fmt: str, output: Optional[Path], fail_on: Gate,
          **shared: Any) -> int:
    """Scan on a schedule and keep the history; a failed scan is reported and the next one still runs.

    Exits like its last scan would have: 0 gate passed, 1 gate failed, 2 that scan could not run."""
    seconds = parse_interval(interval)
    settings = make_settings(**shared)
    store = None if no_history else HistoryStore(db)
    options = ScanOptions(endpoint_url=endpoint_url, profile=profile, regions=regions, workers=workers)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    runs, last = 0, EXIT_OK
    try:
        while not stop.is_set():
            runs += 1
            try:
                report, target = run_scan(options, settings, warn)
                if store is not None:
                    record(store, report, target)
                s = report.summary()
                last = EXIT_FINDINGS if fail_on.blocking(report) else EXIT_OK
                verdict = "gate fails" if last else "gate passes"
                click.echo(f"scan {runs}: {s['resources']} resources, {s['failed']} failed, {s['waived']} waived, "
                           f"{s['errors']} errors; {verdict}", err=True)
                if output is not None:
                    emit(report, fmt, output, fail_on)
                if state_files and _watch_drift(runs, state_files, endpoint_url, profile, settings, store, workers,
                                                fail_on):
                    last = EXIT_FINDINGS
            except LuxguardError as exc:
                last = EXIT_USAGE
                warn(f"scan {runs} failed: {exc}; next scan in {interval}")
            if max_runs is not None and runs >= max_runs:
                break
            stop.wait(seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcome = {EXIT_OK: "the last scan passed the gate", EXIT_FINDINGS: "the last scan failed the gate",
               EXIT_USAGE: "the last scan could not run"}[last]
    click.echo(f"watch stopped after {runs} scan(s); {outcome}", err=True)
    return last


def _watch_drift(run: int, state_files: tuple[Path, ...], endpoint_url: Optional[str], profile: Optional[str],
                 settings: Any, store: Optional[HistoryStore], workers: int, fail_on: Gate) -> bool:
    """watch --state: drift after the scan, recorded in the history like a `luxguard drift` run;
    whether its findings fail the gate."""
    from luxguard.sources.live import drift
    from luxguard.sources.state import load_states

    states = load_states(state_files, endpoint_url=endpoint_url, profile=profile)
    report, target = drift(states, ScanOptions(endpoint_url=endpoint_url, profile=profile, workers=workers), settings)
    if store is not None:
        record(store, report, target)
    click.echo(f"drift {run}: {report.summary()['failed']} drifted, missing or unmanaged", err=True)
    return bool(fail_on.blocking(report))


COMMANDS = [scan, watch]
