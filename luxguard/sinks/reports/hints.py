"""Copy-pasteable fixes for the Markdown summary, from the `fix:` of each rule file.

Every value taken from a finding (resource id, region) is shell-quoted: resource names are untrusted,
and a reviewer pasting a fix must never run something a bucket's name smuggled in. The templates'
placeholders are filled in one pass, so a quoted value is never scanned for placeholders again.
Placeholders the reader must fill in are written <LIKE-THIS> (and quoted, so a paste fails safely).
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Optional

from luxguard.core.rules import FIX_PLACEHOLDERS, Rule

_PLACEHOLDER = re.compile(r"\{(" + "|".join(FIX_PLACEHOLDERS) + r")\}")


def resource_commands(finding: dict[str, Any], rule: Optional[Rule]) -> list[str]:
    """Shell commands fixing one failing finding on its resource (empty when none obviously does)."""
    templates = rule.fix.cli.get(finding["resource_type"], ()) if rule and rule.fix else ()
    region = finding.get("region")
    region_flag = f" --region {shlex.quote(region)}" if region and region != "unknown" else ""
    values = {"id": shlex.quote(finding["resource_id"]), "region": region_flag}
    return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], template) for template in templates]


def rule_lines(rule_id: str, rule: Optional[Rule], has_action: bool) -> list[str]:
    """Rule-wide hints: the Pulumi change, and luxguard's own repair where the rule has one."""
    lines = []
    if rule and rule.fix and rule.fix.pulumi:
        lines.append(f"# Pulumi: {rule.fix.pulumi}")
    if has_action:
        lines.append(f"luxguard enforce --rule {shlex.quote(rule_id)}   # dry run shows the plan; add --apply to repair")
    return lines


def fixes_by_rule(failing: list[dict[str, Any]], rules: list[Rule]) -> list[dict[str, Any]]:
    """One fix block per failing rule: its remediation, then a command per failing resource, then rule hints."""
    by_id = {rule.id: rule for rule in rules}
    groups: dict[str, dict[str, Any]] = {}
    for finding in failing:
        group = groups.setdefault(finding["rule_id"], {
            "rule_id": finding["rule_id"], "title": finding["title"], "severity": finding["severity"],
            "remediation": finding["remediation"], "findings": [], "lines": []})
        group["findings"].append(finding)
        for line in resource_commands(finding, by_id.get(finding["rule_id"])):
            if line not in group["lines"]:
                group["lines"].append(line)
    for group in groups.values():
        group["lines"] += rule_lines(group["rule_id"], by_id.get(group["rule_id"]),
                                     any(f["has_action"] for f in group["findings"]))
    return list(groups.values())
