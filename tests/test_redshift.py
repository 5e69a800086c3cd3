"""Redshift clusters: collected live from the local cloud (encryption and its key, public
accessibility, the region snapshots are copied to), the same verdicts from `check` and `scan`, an
approved copy abroad waived, drift when a cluster is changed by hand, the enforcer closing public
access, and a refused listing never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import (deploy, drift_changes, run_cli, scan_live, scan_refusing, scan_with_approvals,
                           verdicts_by_id)
from tests.moto_cloud import EU, LU, client

CLUSTER = "AWS::Redshift::Cluster"

PROGRAM = """
t.warehouse('dw')
t.warehouse('dw-plain', encrypted=False)
t.warehouse('dw-aws-key', cmk=False)
t.warehouse('dw-public', public=True)
t.warehouse('dw-copy', copy_region='eu-west-1')
t.warehouse('dw-approved-copy', copy_region='eu-west-1')
t.warehouse('dw-ireland', region='eu-west-1')
"""

APPROVALS = """
approvals:
  - id: APR-2026-DW-DR
    customer: ACME S.A.
    data_categories: [billing]
    destinations: {countries: [IE]}
    scope: {resource_ids: [dw-approved-copy]}
    document: LC-DPA-2026-060
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_properties_and_calls(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    clusters = {r.id: r for r in result.resources if r.type == CLUSTER}
    assert sorted(clusters) == ["dw", "dw-approved-copy", "dw-aws-key", "dw-copy", "dw-ireland", "dw-plain",
                                "dw-public"]
    dw = clusters["dw"]
    assert dw.arn == f"arn:aws:redshift:{LU}:123456789012:cluster:dw"
    assert dw.properties["storage_encrypted"] is True and dw.properties["customer_managed_key"] is True
    assert dw.properties["kms_key_region"] == LU and dw.properties["classification"] == ["billing"]
    assert dw.properties["publicly_accessible"] is False and dw.properties["replica_regions"] == []
    assert clusters["dw-plain"].properties["storage_encrypted"] is False
    assert clusters["dw-public"].properties["publicly_accessible"] is True
    assert clusters["dw-copy"].properties["replica_regions"] == [EU]
    assert clusters["dw-ireland"].region == EU
    assert result.api_calls["redshift.DescribeClusters"] == 2       # one listing per region, tags in it


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_by_id(check_capture(capture, settings), CLUSTER)
    live = verdicts_by_id(evaluate(settings.engine(), settings, [r for r in scan_live(endpoint).resources
                                                                 if r.type == CLUSTER], "aws"), CLUSTER)
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-008", "dw-plain"), ("LUX-ENC-008", "dw-aws-key"), ("LUX-ACC-007", "dw-public"),
        ("LUX-RES-010", "dw-copy"), ("LUX-RES-010", "dw-approved-copy"), ("LUX-RES-001", "dw-ireland"),
        ("LUX-RES-004", "dw-ireland")}


def test_an_approved_copy_abroad_is_waived(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    copies = {f["resource"]["id"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
              if f["rule_id"] == "LUX-RES-010" and f["resource"]["type"] == CLUSTER}
    assert copies["dw-approved-copy"]["status"] == "waived"
    assert "APR-2026-DW-DR" in json.dumps(copies["dw-approved-copy"])
    assert copies["dw-copy"]["status"] == "fail" and "eu-west-1" in copies["dw-copy"]["message"]


def test_drift_when_a_cluster_is_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_changes(capsys, state, endpoint, CLUSTER) == set()
    redshift = client(endpoint, "redshift", LU)
    redshift.enable_snapshot_copy(ClusterIdentifier="dw", DestinationRegion="us-east-1", RetentionPeriod=7,
                                  SnapshotCopyGrantName="by-hand")
    redshift.modify_cluster(ClusterIdentifier="dw-plain", PubliclyAccessible=True)
    assert drift_changes(capsys, state, endpoint, CLUSTER) == {
        ("DRIFT-RDS-REPLICATION", "dw", "replica_regions"), ("DRIFT-RDS-ACCESS", "dw-plain", "publicly_accessible")}


def test_enforce_closes_public_access_once(capsys, deployed, tmp_path):
    _, _, endpoint = deployed

    def enforce(*args: str) -> dict:
        code, out, err = run_cli(capsys, "enforce", "--endpoint-url", endpoint, "--regions", LU, "--format", "json",
                                 "--rule", "LUX-ACC-007", "--audit-log", str(tmp_path / "audit.jsonl"),
                                 "--db", str(tmp_path / "h.db"), "--actor", "tester@ci", *args)
        assert code in (0, 1), err
        return {c["resource"]["id"]: c for c in json.loads(out)["plan"] if c["resource"]["type"] == CLUSTER}

    planned = enforce()
    assert sorted(planned) == ["dw-public"]
    assert [c["operation"] for c in planned["dw-public"]["calls"]] == ["ModifyCluster"]
    redshift = client(endpoint, "redshift", LU)
    assert redshift.describe_clusters(ClusterIdentifier="dw-public")["Clusters"][0]["PubliclyAccessible"] is True
    enforce("--apply", "--yes")
    assert redshift.describe_clusters(ClusterIdentifier="dw-public")["Clusters"][0]["PubliclyAccessible"] is False
    assert enforce() == {}


def test_a_refused_listing_is_an_error_for_every_cluster_rule(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "redshift", "DescribeClusters")
                if f["resource"]["type"] == CLUSTER]
    assert {f["rule_id"] for f in findings} >= {"LUX-ENC-008", "LUX-ACC-007", "LUX-RES-001", "LUX-RES-010", "LUX-CLS-001"}
    assert {f["status"] for f in findings} == {"error"} and all("AccessDenied" in f["message"] for f in findings)
    assert {f["resource"]["id"] for f in findings} == {"*"}      # one error per rule, for the listing
