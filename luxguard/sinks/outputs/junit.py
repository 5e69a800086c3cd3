"""JUnit XML: one testcase per rule and resource, so CI systems show the gate like tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from luxguard.core.model import Finding, Status
from luxguard.sinks.outputs import Report, renderer


def _testcase(finding: Finding) -> ET.Element:
    resource = finding.resource
    case = ET.Element("testcase", {
        "classname": f"{finding.rule_id}",
        "name": f"{resource.type} {resource.id}",
        "file": resource.source.file if resource.source else "",
        "time": "0",
    })
    if finding.status == Status.FAIL:
        failure = ET.SubElement(case, "failure", {"message": finding.message, "type": finding.severity})
        failure.text = f"{finding.message}\nClause: {finding.clause}\nRemediation: {finding.remediation}"
    elif finding.status == Status.ERROR:
        ET.SubElement(case, "error", {"message": finding.message, "type": "collection"})
    elif finding.status == Status.WAIVED:
        waiver = finding.waiver or {}
        ET.SubElement(case, "skipped", {"message": f"waived by {waiver.get('id', 'waiver')}: {finding.message}"})
    return case


@renderer("junit")
def render_junit(report: Report, color: bool = False) -> str:
    by_category: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_category[finding.category].append(finding)
    suites = ET.Element("testsuites", {"name": f"luxguard {report.source}"})
    for category in sorted(by_category):
        findings = by_category[category]
        suite = ET.SubElement(suites, "testsuite", {
            "name": f"luxguard.{category}",
            "tests": str(len(findings)),
            "failures": str(sum(f.status == Status.FAIL for f in findings)),
            "errors": str(sum(f.status == Status.ERROR for f in findings)),
            "skipped": str(sum(f.status == Status.WAIVED for f in findings)),
            "timestamp": report.started_at,
        })
        for finding in findings:
            suite.append(_testcase(finding))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
