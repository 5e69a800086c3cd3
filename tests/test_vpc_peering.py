"""VPC peering connections: collected live from the local cloud once (a cross-region peering is
listed in both regions), the regions they connect, the same verdicts from `check` and `scan`, an
approved peering abroad waived, a hand-made peering found by drift, and a refused listing never a
pass. (The local cloud cannot peer with another account's VPC: that case is judged in `check`.)"""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import (deploy, drift_failures, named, scan_live, scan_refusing, scan_with_approvals, verdicts_of,
                           write_program)
from tests.moto_cloud import EU, LU, client

PEERING = "AWS::EC2::VPCPeeringConnection"

PROGRAM = """
t.peering('lux-mesh')
t.peering('to-ireland', peer_region='eu-west-1')
t.peering('approved-dr', peer_region='eu-west-1')
"""

APPROVALS = """
approvals:
  - id: APR-2026-DR-NET
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {countries: [IE]}
    scope: {name_patterns: [approved-dr]}
    document: LC-DPA-2026-080
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_once_with_the_regions_they_connect(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    peerings = named(result.resources, PEERING)
    assert sorted(peerings) == ["approved-dr", "lux-mesh", "to-ireland"]      # the Irish side's listing: not twice
    assert peerings["lux-mesh"].properties["network_regions"] == [LU]
    assert peerings["to-ireland"].properties["network_regions"] == [EU, LU]
    assert peerings["to-ireland"].region == LU and peerings["to-ireland"].id.startswith("pcx-")
    assert peerings["lux-mesh"].properties["sharing"] == {"grants": []}
    assert result.api_calls["ec2.DescribeVpcPeeringConnections"] == 2


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_of(check_capture(capture, settings), PEERING)
    live = verdicts_of(evaluate(settings.engine(), settings,
                                list(named(scan_live(endpoint).resources, PEERING).values()), "aws"), PEERING)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-RES-011", "to-ireland"), ("LUX-RES-011", "approved-dr")}


def test_a_foreign_account_peering_fails_in_check(tmp_path):
    capture = capture_program(write_program(tmp_path / "p", "t.peering('partner', peer_account='999999999999')"), "test")
    findings = {f.rule_id: f for f in check_capture(capture, Settings()).findings if f.resource.type == PEERING}
    assert findings["LUX-ACC-019"].status.value == "fail" and "999999999999" in findings["LUX-ACC-019"].message
    assert findings["LUX-RES-011"].status.value == "pass"


def test_an_approved_peering_abroad_is_waived(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = [f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
                if f["rule_id"] == "LUX-RES-011"]
    assert sorted(f["status"] for f in findings) == ["fail", "pass", "waived"]
    waived = next(f for f in findings if f["status"] == "waived")
    assert "APR-2026-DR-NET" in json.dumps(waived) and waived["resource"]["id"].startswith("pcx-")


def test_drift_finds_a_peering_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, PEERING) == set()
    lu, eu = client(endpoint, "ec2", LU), client(endpoint, "ec2", EU)
    mine = lu.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    theirs = eu.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    lu.create_vpc_peering_connection(VpcId=mine, PeerVpcId=theirs, PeerRegion=EU)
    assert drift_failures(capsys, state, endpoint, PEERING) == {("DRIFT-UNMANAGED", "unmanaged")}


def test_a_refused_listing_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "ec2", "DescribeVpcPeeringConnections")
                if f["resource"]["type"] == PEERING]
    assert {f["rule_id"] for f in findings} == {"LUX-RES-011", "LUX-ACC-019"}
    assert {f["status"] for f in findings} == {"error"}
