"""What a report covers, for its header: kind of run, what was checked, account(s), regions, when.

Only what the history run or the findings carry is shown; a field neither records is `None`, which
the templates show as "not recorded" (a reader must never mistake a guess for the scope of a run).
"""

from __future__ import annotations

from typing import Any, Optional

from luxguard.sinks.reports.load import ReportData, run_kind

NOT_RECORDED = "not recorded"
KIND_LABELS = {"scan": "scan (live cloud)", "drift": "drift (stack state against the live cloud)",
               "check": "check (infrastructure code before deploy)"}
LISTED = 6            # names shown before "and N more"


def split_target(source: str, target: str) -> dict[str, Optional[str]]:
    """A history target as luxguard records it: `ENDPOINT#ACCOUNT` (scan, `#org:LABEL` for an
    organisation) or `STACKS@ENDPOINT#ACCOUNT` (drift); anything else is kept whole."""
    parts: dict[str, Optional[str]] = {"stacks": None, "endpoint": None, "account": None}
    if "#" not in target or run_kind(source) not in ("scan", "drift"):
        return parts
    rest, account = target.rsplit("#", 1)
    if run_kind(source) == "drift":
        if "@" not in rest:
            return parts
        parts["stacks"], rest = rest.split("@", 1)
    parts["endpoint"] = rest or None
    parts["account"] = None if account in ("", "unknown") else account
    return parts


def _listed(values: set[str]) -> Optional[str]:
    if not values:
        return None
    ordered = sorted(values)
    shown = ", ".join(ordered[:LISTED])
    return shown if len(ordered) <= LISTED else f"{shown} and {len(ordered) - LISTED} more"


def _stack_of(urn: Any) -> Optional[str]:
    """`urn:pulumi:STACK::PROJECT::...` -> PROJECT/STACK."""
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:") or urn.count("::") < 2:
        return None
    stack, project = urn[len("urn:pulumi:"):].split("::")[:2]
    return f"{project}/{stack}" if stack and project else None


def _checked(data: ReportData, parts: dict[str, Optional[str]]) -> Optional[str]:
    """What the run looked at: the endpoint and stacks from the history, else files or stacks named by the findings."""
    endpoint = parts["endpoint"]
    where = None if endpoint is None else ("AWS" if endpoint == "aws" else endpoint)
    if parts["stacks"] and where:
        return f"stack {parts['stacks']} against the cloud at {where}"
    if where:
        return f"the cloud at {where}"
    if data.target:
        return data.target
    files = {str(f["resource"]["source"].get("file")) for f in data.findings
             if isinstance(f["resource"].get("source"), dict) and f["resource"]["source"].get("file")}
    stacks = {s for s in (_stack_of(f["resource"].get("urn")) for f in data.findings) if s}
    if files:
        return f"files {_listed(files)}"
    if stacks:
        return f"stack {_listed(stacks)}"
    return None


def run_scope(data: ReportData) -> dict[str, Any]:
    """The header's facts; each value is a string or None (not recorded)."""
    parts = split_target(data.source, data.target)
    accounts = {str(f["resource"]["account"]) for f in data.findings if f["resource"].get("account")}
    if not accounts and parts["account"]:
        account = parts["account"]
        accounts = {f"organisation {account[4:]}" if account.startswith("org:") else account}
    regions = {f["resource"]["region"] for f in data.findings
               if f["resource"].get("region") and f["resource"]["region"] != "unknown"}
    kind = run_kind(data.source)
    return {
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, kind),
        "source": data.source,
        "checked": _checked(data, parts),
        "accounts": _listed(accounts),
        "account_count": len(accounts),
        "regions": _listed(regions),
        "region_count": len(regions),
        "started_at": data.started_at or None,
        "finished_at": data.finished_at or None,
    }
