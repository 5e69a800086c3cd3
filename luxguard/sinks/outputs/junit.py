"""JUnit XML: one testcase per rule and resource, so CI systems show the gate like tests.

Valid against the Jenkins xunit plugin's junit-10.xsd (tests/schemas/): testcase has no `file`
attribute there, so a planned resource's source location goes in its system-out. Every string
passes through `xml_text`, so a control character in a tag cannot make the document ill-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Optional

from luxguard.core.model import Finding, Status
from luxguard.sinks.outputs import Report, renderer
from luxguard.sinks.outputs.escape import xml_text


def _element(tag: str, attributes: dict[str, str], text: Optional[str] = None) -> ET.Element:
    element = ET.Element(tag, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _testcase(finding: Finding) -> ET.Element:
    resource = finding.resource
    name = f"{resource.type} {resource.id}" + (f" ({resource.address})" if resource.address else "")
    case = _element("testcase", {"classname": finding.rule_id, "name": name, "time": "0"})
    if finding.status == Status.FAIL:
        where = f"\nDeclared: {resource.source.file}:{resource.source.line}" if resource.source else ""
        case.append(_element("failure", {"message": finding.message, "type": finding.severity},
                             f"{finding.message}\nClause: {finding.clause}\nRemediation: {finding.remediation}{where}"))
    elif finding.status == Status.ERROR:
        case.append(_element("error", {"message": finding.message, "type": "collection"}))
    elif finding.status == Status.WAIVED:
        waiver = finding.waiver or {}
        case.append(_element("skipped", {"message": f"waived by {waiver.get('id', 'waiver')}: {finding.message}"}))
    if resource.source:
        case.append(_element("system-out", {}, f"source: {resource.source.file}:{resource.source.line}"))
    return case


@renderer("junit")
def render_junit(report: Report, color: bool = False) -> str:
    by_category: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_category[finding.category].append(finding)
    suites = _element("testsuites", {"name": f"luxguard {report.source}"})
    for category in sorted(by_category):
        findings = by_category[category]
        suite = _element("testsuite", {
            "name": f"luxguard.{category}",
            "tests": str(len(findings)),
            "failures": str(sum(f.status == Status.FAIL for f in findings)),
            "errors": str(sum(f.status == Status.ERROR for f in findings)),
            "skipped": str(sum(f.status == Status.WAIVED for f in findings)),
            "timestamp": report.started_at,
        })
        suites.append(suite)
        for finding in findings:
            suite.append(_testcase(finding))
    if report.notes:   # what was not evaluated: a suite of its own, so every CI shows it
        notes = ET.SubElement(suites, "testsuite", {"name": "luxguard.notes", "tests": "0", "failures": "0",
                                                    "errors": "0", "skipped": "0", "timestamp": report.started_at})
        properties = ET.SubElement(notes, "properties")
        for note in report.notes:
            ET.SubElement(properties, "property", {"name": "note", "value": note})
        ET.SubElement(notes, "system-out").text = "\n".join(report.notes)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
