"""Transit gateway peering attachments: collected live once (a cross-region attachment is listed
in both regions), the regions they connect and another company's gateway they route into, the
same verdicts from `check` and `scan`, an approved processor's gateway waived, a hand-made peering
found by drift, and a refused listing never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import (deploy, drift_failures, named, scan_live, scan_refusing, scan_with_approvals, verdicts_of)
from tests.moto_cloud import ACCOUNT, EU, LU, client

PEERING = "AWS::EC2::TransitGatewayPeeringAttachment"
PARTNER, PROCESSOR = "999999999999", "222233334444"

PROGRAM = f"""
t.gateway_peering('lux-hub')
t.gateway_peering('to-ireland', peer_region='eu-west-1')
t.gateway_peering('partner', peer_account='{PARTNER}')
t.gateway_peering('processor', peer_account='{PROCESSOR}')
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-TRANSIT
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{name_patterns: [processor]}}
    document: LC-DPA-2026-081
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_once_with_the_regions_and_accounts_they_connect(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    peerings = named(result.resources, PEERING)
    assert sorted(peerings) == ["lux-hub", "partner", "processor", "to-ireland"]   # Ireland's listing: not twice
    assert peerings["lux-hub"].properties["network_regions"] == [LU]
    assert peerings["to-ireland"].properties["network_regions"] == [EU, LU]
    assert peerings["to-ireland"].region == LU and peerings["to-ireland"].id.startswith("tgw-attach-")
    assert peerings["lux-hub"].properties["sharing"] == {"grants": []}
    assert [g["principals"] for g in peerings["partner"].properties["sharing"]["grants"]] == [[PARTNER]]
    assert result.api_calls["ec2.DescribeTransitGatewayPeeringAttachments"] == 2


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_of(check_capture(capture, settings), PEERING)
    live = verdicts_of(evaluate(settings.engine(), settings,
                                list(named(scan_live(endpoint).resources, PEERING).values()), "aws"), PEERING)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-RES-011", "to-ireland"), ("LUX-ACC-019", "partner"), ("LUX-ACC-019", "processor")}


def test_an_approved_processor_is_waived_and_an_unknown_account_fails(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = {f["resource"]["name"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
                if f["rule_id"] == "LUX-ACC-019" and f["resource"]["type"] == PEERING}
    assert {name: f["status"] for name, f in findings.items()} == {
        "lux-hub": "pass", "partner": "fail", "processor": "waived", "to-ireland": "pass"}
    assert "APR-2026-TRANSIT" in json.dumps(findings["processor"])
    assert PARTNER in findings["partner"]["message"]


def test_drift_finds_a_peering_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, PEERING) == set()
    lu, eu = client(endpoint, "ec2", LU), client(endpoint, "ec2", EU)
    mine = lu.create_transit_gateway(Description="by hand")["TransitGateway"]["TransitGatewayId"]
    theirs = eu.create_transit_gateway(Description="by hand")["TransitGateway"]["TransitGatewayId"]
    lu.create_transit_gateway_peering_attachment(TransitGatewayId=mine, PeerTransitGatewayId=theirs, PeerRegion=EU,
                                                 PeerAccountId=ACCOUNT)
    assert drift_failures(capsys, state, endpoint, PEERING) == {("DRIFT-UNMANAGED", "unmanaged")}


def test_a_refused_listing_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "ec2", "DescribeTransitGatewayPeeringAttachments")
                if f["resource"]["type"] == PEERING]
    assert {f["rule_id"] for f in findings} == {"LUX-RES-011", "LUX-ACC-019"}
    assert {f["status"] for f in findings} == {"error"}
