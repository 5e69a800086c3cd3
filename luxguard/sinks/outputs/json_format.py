"""Findings JSON, exactly as ../shared/design/interface.md describes it."""

from __future__ import annotations

import json
from typing import Any

from luxguard import __version__
from luxguard.core.model import Finding
from luxguard.sinks.outputs import Report, renderer


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    resource = finding.resource
    resource_dict: dict[str, Any] = {
        "type": resource.type,
        "id": resource.id,
        "arn": resource.arn,
        "region": resource.region,
        "country": resource.properties.get("country"),
    }
    if resource.account:
        resource_dict["account"] = resource.account
    if resource.properties.get("name"):
        resource_dict["name"] = resource.properties["name"]
    if resource.urn:
        resource_dict["urn"] = resource.urn
    if resource.address:
        resource_dict["address"] = resource.address
    if resource.source:
        resource_dict["source"] = {"file": resource.source.file, "line": resource.source.line}
    data: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "title": finding.title,
        "category": finding.category,
        "severity": finding.severity,
        "status": finding.status.value,
        "resource": resource_dict,
        "message": finding.message,
        "clause": finding.clause,
        "remediation": finding.remediation,
    }
    if finding.waiver:
        data["waiver"] = finding.waiver
    if finding.drift:
        data["drift"] = finding.drift
    if finding.extra:
        data.update(finding.extra)
    return data


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "tool": {"name": "luxguard", "version": __version__},
        "source": report.source,
        "started_at": report.started_at,
        "summary": report.summary(),
        "notes": report.notes,
        "findings": [finding_to_dict(f) for f in report.findings],
    }


@renderer("json")
def render_json(report: Report, color: bool = False) -> str:
    return json.dumps(report_to_dict(report), indent=2, default=str) + "\n"
