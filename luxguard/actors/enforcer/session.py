"""One enforcement run, from the request to verified results: what `luxguard enforce` and the demo
drive. The command only parses arguments and asks for confirmation; everything else is here.

    request -> prepare (validate, findings from a scan or a file, designated key, plan)
            -> apply_and_verify (audited calls, re-scan of the touched regions, verification)
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from luxguard.actors.enforcer.base import EnforceContext
from luxguard.actors.enforcer.output import render_json, render_text
from luxguard.actors.enforcer.runner import (
    AuditLog,
    Plan,
    Result,
    apply,
    check_key,
    key_region,
    plan,
    select,
    verify,
)
from luxguard.core.errors import LuxguardError
from luxguard.core.model import Finding, Resource, Status
from luxguard.pipeline import Settings

@dataclass
class EnforceRequest:
    """What to repair and where: the enforce options, parsed."""

    audit_log: Path                    # JSON-lines audit log, appended
    rule_ids: tuple[str, ...] = ()
    resource_pattern: str | None = None
    category: str | None = None
    kms_key: str | None = None
    quarantine: bool = False
    remove_external_grants: bool = False
    findings_file: Path | None = None
    actor: str | None = None
    db: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    regions: str = "all"
    workers: int = 8


@dataclass
class EnforceSession:
    """A prepared run: its target, the plan, and the clients and context the plan was made with."""

    request: EnforceRequest
    settings: Settings
    target: str
    plan: Plan
    ctx: EnforceContext
    clients: Any                       # scanners.clients.ClientFactory
    results: list[Result] | None = field(default=None)

    def render(self, fmt: str) -> str:
        """The plan, and the results once applied, as text or JSON."""
        applied = self.results is not None
        if fmt == "json":
            return render_json(self.target, self.plan, self.results, applied, dict(sorted(self.clients.api_calls.items())))
        return render_text(self.target, self.plan, self.results, applied, self.request.audit_log)

    @property
    def succeeded(self) -> bool:
        return all(r.ok for r in self.results or [])


def default_actor() -> str:
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database entry (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def load_findings(path: Path) -> tuple[list[Finding], str]:
    """Findings from a saved findings JSON (validated by the report loader, which reads the same
    format); returns them and the started_at date."""
    from luxguard.sinks.reports.load import load_findings_file

    data = load_findings_file(path)
    findings = []
    for item in data.findings:
        res = item["resource"]
        resource = Resource(type=res["type"], id=res["id"], region=res.get("region"), arn=res.get("arn"),
                            urn=res.get("urn"))
        findings.append(Finding(rule_id=item["rule_id"], category=item["category"], severity=item["severity"],
                                status=Status(item["status"]), resource=resource, message=item.get("message", ""),
                                title=item.get("title", ""), waiver=item.get("waiver"), drift=item.get("drift")))
    return findings, data.started_at[:10]


def _scan_options(request: EnforceRequest, regions: str) -> Any:
    from luxguard.sources.live import ScanOptions

    return ScanOptions(endpoint_url=request.endpoint_url, profile=request.profile, regions=regions,
                       workers=request.workers)


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """No progress shown."""


def prepare(request: EnforceRequest, settings: Settings, warn: Callable[[str], None],
            progress: Progress = _quiet) -> EnforceSession:
    """Validate the request, get the findings (a scan, or a findings file and an access check), and
    plan their repair; read-only. `progress` hears of each listing scanned and resource planned."""
    from scanners import open_session
    from scanners.access import check_access
    from scanners.clients import ClientFactory

    from luxguard.actors.enforcer.base import validate_rule_actions
    from luxguard.core.external_access import TrustedZone
    from luxguard.sources.organization import organization_zone
    from luxguard.sources.live import scan as run_scan

    rules = settings.rules()
    validate_rule_actions(rules)
    known = {rule.id for rule in rules}
    unknown = [r for r in request.rule_ids if r not in known]
    if unknown:
        raise LuxguardError(f"--rule: unknown rule id {', '.join(unknown)} (see `luxguard rules list`)")
    if request.kms_key:
        key_region(request.kms_key)
    locations = settings.locations()
    pinned = settings.pinned()
    home = settings.home()
    session = open_session(request.profile, home)
    clients = ClientFactory(session, request.endpoint_url, request.workers)

    exceptions = settings.exceptions(rules)
    if request.findings_file is not None:
        if request.remove_external_grants:
            raise LuxguardError("--remove-external-grants needs a scan, not --findings: a findings file does not "
                                "carry the tags approvals are matched on, so approved grants could not be told apart")
        findings, day = load_findings(request.findings_file)
        exceptions.apply(findings, rules, locations, pinned)
        account = check_access(clients, home)
        target = f"{request.findings_file} -> {request.endpoint_url or 'aws'}"
    else:
        report, target = run_scan(_scan_options(request, request.regions), settings, warn, progress)
        findings, day = report.findings, report.started_at[:10]
        account = check_access(clients, home)
    organizations, members = organization_zone(session, request.endpoint_url)
    try:
        today = date.fromisoformat(day)
    except ValueError:
        today = datetime.now().date()

    ctx = EnforceContext(
        clients=clients, locations=locations, pinned=pinned, quarantine=request.quarantine, today=today,
        kms_key=check_key(request.kms_key, clients, locations, pinned) if request.kms_key else None,
        key_checker=lambda arn: check_key(arn, clients, locations, pinned),
        trusted_zone=TrustedZone(frozenset({account, *members}), frozenset(organizations)),
        approved_accounts=exceptions.approved_accounts, remove_external_grants=request.remove_external_grants)
    selected = select(findings, request.rule_ids, request.resource_pattern, request.category)
    return EnforceSession(request, settings, target, plan(selected, rules, ctx, progress), ctx, clients)


def apply_and_verify(session: EnforceSession, warn: Callable[[str], None], step: Progress = _quiet,
                     progress: Progress = _quiet) -> list[Result]:
    """Make the planned changes (audited), re-scan the regions they touched, and verify each.

    `step` hears one line per action and one for the re-scan (the command prints them: this is
    the slow part, seconds per call against a real cloud); `progress` each re-scanned listing."""
    from luxguard.sinks.history import HistoryStore
    from luxguard.sources.live import scan as run_scan

    request = session.request
    audit = AuditLog(request.audit_log, HistoryStore(request.db), request.actor or default_actor())
    results = apply(session.plan, session.ctx, audit, step)
    touched = sorted({r.change.resource.region for r in results
                      if r.succeeded and r.change.resource.region})
    rescanned = None
    if touched:
        step(f"re-scanning {', '.join(touched)} to verify the changes")
        try:
            options = _scan_options(request, ",".join(touched))
            rescanned = run_scan(options, session.settings, warn, progress)[0].findings
        except LuxguardError as exc:
            warn(f"re-scan after applying failed, results not verified: {exc}")
    verify(results, session.plan, session.ctx, rescanned)
    session.results = results
    return results
