"""The enforcer's plan and results for people (text) and machines (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from luxguard.actors.enforcer.runner import Plan, Result, SkipKind, finding_label

SKIP_TITLES = {SkipKind.WAIVED: "waived, never acted on", SkipKind.MANUAL: "manual (no automatic repair)",
               SkipKind.UP_TO_DATE: "nothing to change",
               SkipKind.KEPT: "external grants kept (reported; --remove-external-grants removes them)"}


def render_text(target: str, plan_: Plan, results: list[Result] | None, applied: bool, audit_path: Path) -> str:
    lines = []
    blocked = [c for c in plan_.changes if c.blocked]
    kinds = {k: sum(1 for s in plan_.skipped if s.kind == k) for k in SKIP_TITLES}
    lines.append(f"luxguard enforce on {target}: {len(plan_.changes) - len(blocked)} change(s) planned, "
                 f"{len(blocked)} will not run, {kinds[SkipKind.WAIVED]} waived (never acted on), {kinds[SkipKind.MANUAL]} manual, "
                 f"{kinds[SkipKind.UP_TO_DATE]} already up to date"
                 + (f", {kinds[SkipKind.KEPT]} with external grants kept (reported)" if kinds[SkipKind.KEPT] else ""))
    for n, change in enumerate(plan_.changes, 1):
        r = change.resource
        lines.append(f"  [{n}] {finding_label(change.finding)}  "
                     f"{r.type} {r.id} ({r.region})")
        lines.append(f"      action: {change.action}")
        if change.blocked:
            lines.append(f"      WILL NOT RUN: {change.blocked}")
        for call in change.calls:
            lines.append(f"      call: {call.describe()}")
        lines += [f"      {d}" for d in change.diff]
    for kind, title in SKIP_TITLES.items():
        entries = [s for s in plan_.skipped if s.kind == kind]
        if entries:
            lines.append(f"{title}:")
            lines += [f"  {finding_label(s.finding)}  {s.finding.resource.type} {s.finding.resource.id}: {s.reason}"
                      for s in entries]
    if not applied:
        lines.append("dry-run: nothing was changed" + ("; run with --apply to make these changes"
                                                      if plan_.runnable() else ""))
    else:
        lines.append("results:")
        for result in results or []:
            r = result.change.resource
            verdict = f", {result.verification}" if result.verification else ""
            lines.append(f"  {result.outcome}{verdict}: {result.change.finding.rule_id} {result.change.action} "
                         f"{r.type} {r.id}")
            if not result.ok or not result.succeeded:
                lines.append(f"      {result.detail}")
        ok = sum(1 for r in results or [] if r.ok)
        lines.append(f"{ok} of {len(results or [])} action(s) succeeded; audit log: {audit_path}")
    return "\n".join(lines) + "\n"


def render_json(target: str, plan_: Plan, results: list[Result] | None, applied: bool, api_calls: dict) -> str:
    return json.dumps({
        "schema_version": 1, "target": target, "mode": "apply" if applied else "dry-run",
        "plan": [c.to_dict() for c in plan_.changes], "skipped": [s.to_dict() for s in plan_.skipped],
        "results": [r.to_dict() for r in results or []], "enforcer_api_calls": api_calls,
    }, indent=2, default=str) + "\n"
