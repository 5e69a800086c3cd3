"""Log subscription filters: where a log group streams its events (IP addresses: personal data),
collected live from the local cloud, the same verdicts from `check` and `scan`, an approved
central log account waived, a filter added by hand found by drift, and a refused read never a
pass."""

from __future__ import annotations

import json

import pytest

from luxguard.core.model import Resource
from luxguard.resources.logs_log_group import subscriptions
from tests.helpers import (check_and_scan, deploy, drift_changes, named, scan_live, scan_refusing, scan_with_approvals)
from tests.moto_cloud import EU, LU, client

GROUP = "AWS::Logs::LogGroup"

# A real team's way: app logs shipped to the central logging account's destination, audit logs
# kept local, a legacy service still shipping to the old Irish destination
PROGRAM = """
t.log_group('app-logs', ship_to='lu-central-1')
t.log_group('audit-logs')
t.log_group('legacy-logs', ship_to='eu-west-1')
t.log_group('partner-logs', ship_to='eu-west-1', classification='marketing')
"""

APPROVALS = """
approvals:
  - id: APR-2026-SIEM
    customer: ACME S.A.
    data_categories: [marketing]
    destinations: {countries: [IE]}
    scope: {name_patterns: [partner-logs]}
    document: LC-DPA-2026-120
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


def test_a_destination_without_a_region_is_undecided():
    group = Resource(type=GROUP, id="g")
    assert subscriptions(["arn:aws:kinesis:lu-central-1:123456789012:stream/s", "central"], group) == {
        "subscription_destinations": ["arn:aws:kinesis:lu-central-1:123456789012:stream/s", "central"],
        "subscription_regions": [LU]}
    assert "central" in group.collection_errors["subscription_regions"]


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_with_where_they_stream(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    groups = named(result.resources, GROUP)
    assert groups["app-logs"].properties["subscription_regions"] == [LU]
    assert groups["legacy-logs"].properties["subscription_destinations"] == [
        f"arn:aws:logs:{EU}:222222222222:destination:central-logs"]
    assert groups["audit-logs"].properties["subscription_destinations"] == []
    assert not any(g.collection_errors for g in groups.values())
    assert result.api_calls["cloudwatch-logs.DescribeSubscriptionFilters"] == len(groups)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, GROUP, names={"app-logs", "audit-logs", "legacy-logs", "partner-logs"})
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-RES-014", "legacy-logs"), ("LUX-RES-014", "partner-logs")}


def test_an_approved_destination_is_waived(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = {f["resource"]["name"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
                if f["rule_id"] == "LUX-RES-014"}
    assert findings["partner-logs"]["status"] == "waived" and "APR-2026-SIEM" in json.dumps(findings["partner-logs"])
    assert findings["legacy-logs"]["status"] == "fail" and findings["app-logs"]["status"] == "pass"


def test_drift_finds_a_filter_added_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    client(endpoint, "logs", LU).put_subscription_filter(   # to the legacy destination (its stand-in exists)
        logGroupName="audit-logs", filterName="to-legacy", filterPattern="",
        destinationArn=f"arn:aws:logs:{EU}:222222222222:destination:central-logs")
    assert drift_changes(capsys, state, endpoint, GROUP) == {
        ("DRIFT-LOG-SUBSCRIPTIONS", "audit-logs", "subscription_destinations"),
        ("DRIFT-LOG-SUBSCRIPTIONS", "audit-logs", "subscription_regions")}


def test_a_refused_read_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = {(f["rule_id"], f["resource"]["name"]): f["status"]
                for f in scan_refusing(capsys, endpoint, LU, "logs", "DescribeSubscriptionFilters")
                if f["resource"]["type"] == GROUP}
    assert findings[("LUX-RES-014", "app-logs")] == "error" and findings[("LUX-RES-014", "audit-logs")] == "error"
    assert findings[("LUX-RET-006", "app-logs")] == "pass"   # what was read is still judged
