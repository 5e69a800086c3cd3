"""SARIF 2.1.0 as GitHub code scanning accepts it: one run, rules in the driver, one result per failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from luxguard import __version__
from luxguard.core.model import Finding, Status
from luxguard.sinks.outputs import Report, renderer

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _artifact_uri(finding: Finding, base: Optional[Path]) -> Optional[str]:
    source = finding.resource.source
    if source is None:
        return None
    path = Path(source.file)
    if base is not None:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _location(finding: Finding, base: Optional[Path]) -> dict[str, Any]:
    resource = finding.resource
    logical = {"name": resource.id, "fullyQualifiedName": resource.urn or resource.address or resource.arn or resource.id,
               "kind": "resource"}
    location: dict[str, Any] = {"logicalLocations": [logical]}
    uri = _artifact_uri(finding, base)
    if uri:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": uri, **({"uriBaseId": "%SRCROOT%"} if not uri.startswith("/") else {})},
            "region": {"startLine": max(1, resource.source.line)},
        }
    return location


def _rule_descriptor(rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.id.replace("-", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title}. Policy: \"{rule.clause_quote}\" ({rule.clause_section})"},
        "help": {"text": rule.remediation, "markdown": f"**Remediation:** {rule.remediation}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["security", rule.category, *rule.gdpr],
                       "security-severity": SECURITY_SEVERITY[rule.severity]},
    }


@renderer("sarif")
def render_sarif(report: Report, color: bool = False) -> str:
    rules = sorted(report.rules, key=lambda r: r.id)
    rule_index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for finding in report.findings:
        if finding.status == Status.PASS:
            continue
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            # `error`: SARIF's "open" (could not tell pass from fail), whose level must be "none"
            **({"kind": "open", "level": "none"} if finding.status == Status.ERROR
               else {"level": LEVELS[finding.severity]}),
            "message": {"text": finding.message},
            "locations": [_location(finding, report.base_dir)],
            "partialFingerprints": {"luxguard/v1": f"{finding.rule_id}:{finding.resource.type}:{finding.resource.id}"},
            "properties": {"category": finding.category, "severity": finding.severity, "clause": finding.clause},
        }
        if finding.rule_id in rule_index:
            result["ruleIndex"] = rule_index[finding.rule_id]
        if finding.status == Status.WAIVED:
            waiver = finding.waiver or {}
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f"{waiver.get('id', 'waiver')}: {waiver.get('reason', '')}".strip()}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "luxguard", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://luxcloud.lu/luxguard", "rules": [_rule_descriptor(r) for r in rules]}},
            "automationDetails": {"id": f"luxguard/{report.source}/"},
            "results": results,
            # what could not be read or decided, and what was not evaluated (notes), where code
            # scanning shows a tool's own problems
            "invocations": [{"executionSuccessful": not any(f.status == Status.ERROR for f in report.findings),
                             "toolExecutionNotifications": [
                                 {"level": "error", "message": {"text": f.message},
                                  "associatedRule": {"id": f.rule_id}}
                                 for f in report.findings if f.status == Status.ERROR] + [
                                 {"level": "warning", "message": {"text": note}} for note in report.notes]}],
            **({"originalUriBaseIds": {"%SRCROOT%": {"uri": report.base_dir.resolve().as_uri() + "/"}}}
               if report.base_dir else {}),
        }],
    }
    return json.dumps(document, indent=2) + "\n"
