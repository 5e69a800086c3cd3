"""Where a report's data comes from: the history store (a run, the trend, the timeline) or a findings JSON file.

Everything here is validated before rendering, so bad input is one `LuxguardError` line (exit 2) and never
a half-rendered page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from sqlalchemy.exc import SQLAlchemyError

from luxguard.core.datafiles import parse_json, read_text
from luxguard.core.errors import LuxguardError
from luxguard.sinks.history import DEFAULT_DB, HistoryStore, Scope, redacted
from luxguard.core.model import SEVERITIES, Status

STATUSES = tuple(s.value for s in Status)
# The kind of run each findings `source` comes from: a trend only compares runs of one kind
# (a drift run's count says nothing about the scan before it).
RUN_KINDS = {"aws": "scan", "drift": "drift", "pulumi": "check", "terraform": "check", "cloudformation": "check"}


def run_kind(source: str) -> str:
    """scan | drift | check for the sources luxguard writes; any other source is its own kind."""
    return RUN_KINDS.get(source, source or "unknown")


@dataclass
class TrendPoint:
    """One stored run, for the trend chart."""

    run_id: int
    source: str
    kind: str
    target: str
    started_at: str
    failed: int
    waived: int
    resources: int


@dataclass
class ReportData:
    """One run's findings, plus (from the history store) the trend and the timeline."""

    origin: str                      # "history" | "file"
    location: str                    # db URL or findings file path, for the header
    source: str                      # pulumi | aws | drift
    started_at: str
    resources: int
    findings: list[dict[str, Any]]
    run_id: Optional[int] = None
    target: str = ""                 # what the run checked, as the history recorded it ("" when not recorded)
    finished_at: str = ""
    trend: list[TrendPoint] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def timestamp(value: Any) -> str:
    """A stored datetime (naive from SQLite, which keeps UTC) or an ISO string, as 'YYYY-MM-DD HH:MM:SSZ'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return str(value)


# --- findings validation -------------------------------------------------------------------------------

def _require_str(value: Any, where: str, source: str, allowed: tuple[str, ...] = ()) -> str:
    if not isinstance(value, str) or not value:
        raise LuxguardError(f"{source}: field {where}: expected a non-empty string, got {json.dumps(value)[:60]}")
    if allowed and value not in allowed:
        raise LuxguardError(f"{source}: field {where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def validate_findings(findings: Any, source: str) -> list[dict[str, Any]]:
    """Check the fields the report reads (interface.md's findings JSON); name the first bad one."""
    if not isinstance(findings, list):
        raise LuxguardError(f"{source}: field findings: expected a list")
    for i, finding in enumerate(findings):
        where = f"findings.{i}"
        if not isinstance(finding, dict):
            raise LuxguardError(f"{source}: field {where}: expected an object")
        _require_str(finding.get("rule_id"), f"{where}.rule_id", source)
        _require_str(finding.get("category"), f"{where}.category", source)
        _require_str(finding.get("severity"), f"{where}.severity", source, SEVERITIES)
        _require_str(finding.get("status"), f"{where}.status", source, STATUSES)
        if not isinstance(finding.get("message", ""), str):
            raise LuxguardError(f"{source}: field {where}.message: expected a string")
        resource = finding.get("resource")
        if not isinstance(resource, dict):
            raise LuxguardError(f"{source}: field {where}.resource: expected an object")
        _require_str(resource.get("type"), f"{where}.resource.type", source)
        _require_str(resource.get("id"), f"{where}.resource.id", source)
        for key in ("region", "country", "arn"):
            if resource.get(key) is not None and not isinstance(resource.get(key), str):
                raise LuxguardError(f"{source}: field {where}.resource.{key}: expected a string or null")
        if finding.get("waiver") is not None and not isinstance(finding.get("waiver"), dict):
            raise LuxguardError(f"{source}: field {where}.waiver: expected an object")
    return findings


def scope_note(scope: Scope) -> list[str]:
    return [f"filtered to {scope.describe()}: findings, trend and timeline count only those"] if scope else []


def load_findings_file(path: Path, scope: Scope = Scope()) -> ReportData:
    """A findings JSON file (`luxguard scan|check --format json`): one run, no trend."""
    source = str(path)
    document = parse_json(read_text(path, "findings file"), source)
    if not isinstance(document, dict) or "findings" not in document:
        raise LuxguardError(f"{source}: not a findings JSON file (expected an object with a 'findings' list)")
    findings = validate_findings(document["findings"], source)
    summary = document.get("summary") if isinstance(document.get("summary"), dict) else {}
    resources = summary.get("resources")
    if not isinstance(resources, int) or isinstance(resources, bool):
        resources = len({(f["resource"]["type"], f["resource"]["id"]) for f in findings})
    notes = [n for n in document.get("notes") or [] if isinstance(n, str)]
    if scope:
        findings = [f for f in findings if scope.admits(f["resource"])]
        resources = len({(f["resource"]["type"], f["resource"]["id"]) for f in findings})
        notes = scope_note(scope) + notes
    return ReportData(origin="file", location=source, source=str(document.get("source") or "unknown"),
                      started_at=timestamp(document.get("started_at")), resources=resources,
                      findings=findings, notes=notes)


# --- history store -------------------------------------------------------------------------------------

def _sqlite_path(location: Optional[str]) -> Optional[Path]:
    """The file a SQLite location names (None for other databases and in-memory SQLite)."""
    if not location:
        return DEFAULT_DB
    if "://" not in location:
        return Path(location)
    if location.startswith("sqlite:///") and location not in ("sqlite:///", "sqlite:///:memory:"):
        return Path(location[len("sqlite:///"):].split("?", 1)[0])
    return None


def load_history(location: Optional[str], run_id: Optional[int] = None, scope: Scope = Scope()) -> ReportData:
    """A stored run (default: the latest), the failed count of every stored run, and the timeline."""
    path = _sqlite_path(location)
    if path is not None and not path.is_file():
        raise LuxguardError(f"{path}: no history store here (run `luxguard scan` first, or pass --findings FILE)")
    try:
        store = HistoryStore(location)
    except LuxguardError as exc:                  # its message names the URL: never show a password
        message = str(exc)
        if location and "://" in location:
            message = message.replace(location, redacted(location))
        raise LuxguardError(message) from None
    try:
        runs = store.runs()
        if not runs:
            raise LuxguardError(f"history store {redacted(store.url)}: no runs recorded yet (run `luxguard scan` first)")
        if run_id is None:
            run = runs[-1]
        else:
            matching = [r for r in runs if r.id == run_id]
            if not matching:
                raise LuxguardError(f"history store {redacted(store.url)}: no run {run_id} "
                                    f"(stored runs: {runs[0].id}..{runs[-1].id})")
            run = matching[0]
        findings = validate_findings(store.findings(run.id, scope), f"history store {redacted(store.url)} run {run.id}")
        timeline = store.timeline(scope)
        scoped = store.run_counts(scope) if scope else {}
    except SQLAlchemyError as exc:
        raise LuxguardError(f"history store {redacted(store.url)}: cannot read ({str(exc).splitlines()[0]})") from None
    trend = []
    for r in runs:
        summary = r.summary if isinstance(r.summary, dict) else {}
        if scope:
            summary = scoped.get(r.id, {"failed": 0, "waived": 0, "resources": 0})
            r = replace(r, resources=summary["resources"])
        trend.append(TrendPoint(run_id=r.id, source=r.source, kind=run_kind(r.source), target=r.target, started_at=timestamp(r.started_at),
                                failed=int(summary.get("failed") or 0), waived=int(summary.get("waived") or 0),
                                resources=int(r.resources or 0)))
    return ReportData(origin="history", location=redacted(store.url), source=run.source, started_at=timestamp(run.started_at),
                      resources=(scoped.get(run.id, {}).get("resources", 0) if scope else int(run.resources or 0)),
                      findings=findings, run_id=run.id, target=run.target,
                      finished_at=timestamp(run.finished_at), trend=trend, timeline=timeline, notes=scope_note(scope))
