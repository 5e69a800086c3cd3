"""`luxguard enforce`: plan the repair of failing findings (dry-run), or apply it with --apply."""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from luxguard.core.errors import LuxguardError
from luxguard.core.model import CATEGORIES, Finding, Resource, Status
from luxguard.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    cloud_options,
    make_settings,
    private_option,
    settings_options,
    warn,
    write_output,
)

DEFAULT_AUDIT_LOG = Path(".luxguard") / "audit.jsonl"


def default_actor() -> str:
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database entry (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def enforce_options(fn: Callable) -> Callable:
    options = [
        click.option("--apply", "do_apply", is_flag=True, help="Make the changes (default: print the plan only)."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."),
        click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Only this rule (repeatable)."),
        click.option("--resource", "resource_pattern", metavar="PATTERN",
                     help="Only resources whose id, ARN or name matches this glob."),
        click.option("--category", type=click.Choice(CATEGORIES), help="Only rules of this category."),
        click.option("--kms-key", envvar="LUXGUARD_KMS_KEY",
                     help="ARN of the designated Luxembourg KMS key for S3 default encryption "
                          "(env LUXGUARD_KMS_KEY). Never guessed: without it that repair is not made."),
        click.option("--quarantine", is_flag=True,
                     help="Residency: also deny new writes (s3:PutObject, s3:ReplicateObject) to buckets outside "
                          "the pinned country. Nothing is ever deleted."),
        click.option("--findings", "findings_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Plan from a saved findings JSON (scan or drift --format json) instead of scanning."),
        click.option("--actor", help="Who is acting, for the audit log (default $USER@host)."),
        click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path), default=str(DEFAULT_AUDIT_LOG),
                     show_default=True, help="JSON-lines audit log (appended)."),
        click.option("--db", help="History store for the audit log (default .luxguard/history.db)."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="Output format of the plan and results."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the plan/results to FILE instead of stdout."),
        private_option,
        cloud_options,
        settings_options,
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


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


def _confirm_possible(do_apply: bool, yes: bool) -> None:
    if do_apply and not yes and not sys.stdin.isatty():
        raise LuxguardError("--apply without --yes needs a terminal to confirm on (none here, e.g. CI); "
                            "review the dry-run plan, then pass --yes")


def _render_text(target: str, plan_: Any, results: list | None, applied: bool, audit_path: Path) -> str:
    lines = []
    blocked = [c for c in plan_.changes if c.blocked]
    kinds = {k: sum(1 for s in plan_.skipped if s.kind == k) for k in ("waived", "manual", "up-to-date")}
    lines.append(f"luxguard enforce on {target}: {len(plan_.changes) - len(blocked)} change(s) planned, "
                 f"{len(blocked)} will not run, {kinds['waived']} waived (never acted on), {kinds['manual']} manual, "
                 f"{kinds['up-to-date']} already up to date")
    for n, change in enumerate(plan_.changes, 1):
        r = change.resource
        lines.append(f"  [{n}] {change.finding.rule_id}{' (drift)' if change.finding.drift else ''}  "
                     f"{r.type} {r.id} ({r.region})")
        lines.append(f"      action: {change.action}")
        if change.blocked:
            lines.append(f"      WILL NOT RUN: {change.blocked}")
        for call in change.calls:
            lines.append(f"      call: {call.describe()}")
        lines += [f"      {d}" for d in change.diff]
    for kind, title in (("waived", "waived, never acted on"), ("manual", "manual (no automatic repair)"),
                        ("up-to-date", "nothing to change")):
        entries = [s for s in plan_.skipped if s.kind == kind]
        if entries:
            lines.append(f"{title}:")
            lines += [f"  {s.finding.rule_id}  {s.finding.resource.type} {s.finding.resource.id}: {s.reason}"
                      for s in entries]
    if not applied:
        lines.append("dry-run: nothing was changed" + ("; run with --apply to make these changes"
                                                      if plan_.runnable() else ""))
    else:
        lines.append("results:")
        for n, result in enumerate(results or [], 1):
            r = result.change.resource
            verdict = f", {result.verification}" if result.verification else ""
            lines.append(f"  {result.outcome}{verdict}: {result.change.finding.rule_id} {result.change.action} "
                         f"{r.type} {r.id}")
            if not result.ok or not result.succeeded:
                lines.append(f"      {result.detail}")
        ok = sum(1 for r in results or [] if r.ok)
        lines.append(f"{ok} of {len(results or [])} action(s) succeeded; audit log: {audit_path}")
    return "\n".join(lines) + "\n"


def _render_json(target: str, plan_: Any, results: list | None, applied: bool, api_calls: dict) -> str:
    return json.dumps({
        "schema_version": 1, "target": target, "mode": "apply" if applied else "dry-run",
        "plan": [c.to_dict() for c in plan_.changes], "skipped": [s.to_dict() for s in plan_.skipped],
        "results": [r.to_dict() for r in results or []], "enforcer_api_calls": api_calls,
    }, indent=2, default=str) + "\n"


@click.command()
@enforce_options
def enforce(do_apply: bool, yes: bool, rule_ids: tuple[str, ...], resource_pattern: str | None,
            category: str | None, kms_key: str | None, quarantine: bool, findings_file: Path | None,
            actor: str | None, audit_log: Path, endpoint_url: str | None, profile: str | None, regions: str,
            workers: int, db: str | None, fmt: str, output: Path | None, **shared: Any) -> int:
    """Repair failing findings: print the plan (dry-run), or make it with --apply, re-scan and audit."""
    from scanners import open_session
    from scanners.access import check_access
    from scanners.clients import ClientFactory

    from luxguard.actors import enforcer
    from luxguard.sinks.history import HistoryStore
    from luxguard.sources.live import ScanOptions
    from luxguard.sources.live import scan as run_scan
    from luxguard.core.locations import DEFAULT_PINNED_COUNTRY

    _confirm_possible(do_apply, yes)
    settings = make_settings(**shared)
    rules = settings.rules()
    enforcer.validate_rule_actions(rules)
    known = {rule.id for rule in rules}
    unknown = [r for r in rule_ids if r not in known]
    if unknown:
        raise LuxguardError(f"--rule: unknown rule id {', '.join(unknown)} (see `luxguard rules list`)")
    if kms_key:
        enforcer.key_region(kms_key)
    locations = settings.locations()
    pinned = settings.pinned_country or DEFAULT_PINNED_COUNTRY
    home = os.environ.get("AWS_DEFAULT_REGION") or "lu-central-1"
    session = open_session(profile, home)
    clients = ClientFactory(session, endpoint_url, workers)
    scan_options = ScanOptions(endpoint_url=endpoint_url, profile=profile, regions=regions, workers=workers)

    if findings_file is not None:
        findings, day = load_findings(findings_file)
        exceptions = settings.exceptions(rules)
        exceptions.apply(findings, rules, locations, pinned)
        check_access(clients, home)
        target = f"{findings_file} -> {endpoint_url or 'aws'}"
    else:
        report, target = run_scan(scan_options, settings, warn)
        findings, day = report.findings, report.started_at[:10]
    try:
        today = date.fromisoformat(day)
    except ValueError:
        today = datetime.now().date()

    ctx = enforcer.EnforceContext(
        clients=clients, locations=locations, pinned=pinned, quarantine=quarantine, today=today,
        kms_key=enforcer.check_key(kms_key, clients, locations, pinned) if kms_key else None,
        key_checker=lambda arn: enforcer.check_key(arn, clients, locations, pinned))
    selected = enforcer.select(findings, rule_ids, resource_pattern, category)
    plan_ = enforcer.plan(selected, rules, ctx)

    def render(results: list | None, applied: bool) -> str:
        if fmt == "json":
            return _render_json(target, plan_, results, applied, dict(sorted(clients.api_calls.items())))
        return _render_text(target, plan_, results, applied, audit_log)

    def show(content: str) -> None:
        if output is not None:
            write_output(output, content)
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(content, nl=False)

    if not do_apply or not plan_.changes:
        show(render([] if do_apply else None, do_apply))
        return EXIT_OK
    if not yes:
        click.echo(render(None, False), nl=False, err=True)
        click.confirm(f"Apply {len(plan_.runnable())} change(s) to {target}?", abort=True, err=True)

    audit = enforcer.AuditLog(audit_log, HistoryStore(db), actor or default_actor())
    results = enforcer.apply(plan_, ctx, audit)
    touched = sorted({r.change.resource.region for r in results if r.succeeded and r.change.resource.region})
    rescanned = None
    if touched:
        try:
            rescan_options = ScanOptions(endpoint_url=endpoint_url, profile=profile, regions=",".join(touched),
                                         workers=workers)
            rescanned = run_scan(rescan_options, settings, warn)[0].findings
        except LuxguardError as exc:
            warn(f"re-scan after applying failed, results not verified: {exc}")
    enforcer.verify(results, plan_, ctx, rescanned)
    show(render(results, True))
    return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS


COMMANDS = [enforce]
