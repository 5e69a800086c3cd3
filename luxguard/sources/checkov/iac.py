"""checkov's built-in checks on a Terraform directory, plan JSON or CloudFormation template,
merged into luxguard's report on the same resources.

luxguard's own rules are evaluated on the model (luxguard/sources/infrastructure_code.py), not
through checkov. checkov adds its other checks; a check a rule file names as saying the same
thing (`checkov: {same_as: [...]}`) is dropped in favour of the rule's verdict on that resource,
and skipped checks (skips.yaml) are counted in one note, not listed one line each.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from luxguard.core.model import Finding, Resource, SourceLocation
from luxguard.core.rules import Rule
from luxguard.sources.checkov.runner import results_to_findings, run_checkov, skipped_note
from luxguard.sources.iac_common import DeclaredModel
from luxguard.sources.infrastructure_code import IacSource


def _arguments(source: IacSource) -> list[str]:
    if source.kind == "terraform_plan":
        return ["-f", str(source.path), "--framework", "terraform_plan"]
    framework = "terraform" if source.kind == "terraform" else "cloudformation"
    if source.path.is_dir():
        return ["-d", str(source.path), "--framework", framework]
    return ["-f", str(source.path), "--framework", framework]


def _address(source: IacSource, result: dict) -> str:
    """checkov's resource name -> luxguard's address (CloudFormation: Type.LogicalId -> LogicalId)."""
    name = str(result.get("resource_address") or result.get("resource") or "")
    if source.kind != "cloudformation":
        return name
    logical = name.rpartition(".")[2]
    if len(source.templates) > 1:
        return f"{Path(str(result.get('file_path', ''))).name}:{logical}"
    return logical


def checkov_findings(source: IacSource, model: DeclaredModel, rules: list[Rule], findings: list[Finding]
                     ) -> tuple[list[Finding], list[str]]:
    """checkov's findings not already judged by a luxguard rule, and one summary note."""
    same_as = {check: rule.id for rule in rules for check in rule.checkov_same_as}
    judged = {(f.rule_id, id(f.resource)) for f in findings}
    base = source.path if source.path.is_dir() else source.path.parent

    def resource_for(result: dict) -> Resource:
        address = _address(source, result)
        if address in model.by_address:
            return model.by_address[address]
        lines = result.get("file_line_range") or [1, 1]
        file = str(base / str(result.get("file_path", "")).lstrip("/")) if source.path.is_dir() else str(source.path)
        return Resource(type=address.split(".")[0] if source.kind != "cloudformation" else str(result.get("resource", "")).rpartition(".")[0],
                        id=address, address=address, source=SourceLocation(file, int(lines[0] or 1)))

    def tags_for(result: dict) -> dict[str, Any]:
        tags = result.get("entity_tags") or {}
        return tags if isinstance(tags, dict) else {}

    run = results_to_findings(run_checkov(_arguments(source)), resource_for, tags_for)
    kept, merged = [], Counter()
    for finding in run.findings:
        rule_id = same_as.get(finding.rule_id)
        if rule_id is not None and (rule_id, id(finding.resource)) in judged:
            merged[f"{finding.rule_id}={rule_id}"] += 1
            continue
        kept.append(finding)
    notes = []
    if merged:
        notes.append(f"checkov: {sum(merged.values())} results of checks that luxguard rules already judge were "
                     f"merged into them ({', '.join(sorted(merged))})")
    if run.skipped:
        notes.append(skipped_note(run.skipped))
    return kept, notes
