"""RDS DB clusters, their copies and cluster snapshots: collected live from the local cloud
(encryption, the regions a cross-region replica, a global cluster's secondary or an instance's
read replica copy the database to, who may restore a cluster snapshot), the same verdicts from
`check` and `scan`, an approved copy abroad and processor waived, drift when a replica or share
is made by hand, and a refused read never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import (deploy, drift_changes, run_cli, scan_live, scan_refusing, scan_with_approvals,
                           verdicts_by_id)
from tests.moto_cloud import EU, LU, client

CLUSTER, SNAPSHOT, INSTANCE = "AWS::RDS::DBCluster", "AWS::RDS::DBClusterSnapshot", "AWS::RDS::DBInstance"
RDS_TYPES = (CLUSTER, SNAPSHOT, INSTANCE)
PROCESSOR = "222233334444"

PROGRAM = f"""
t.db_cluster('crm')
t.db_cluster('crm-plain', encrypted=False)
t.db_cluster('crm-world', global_regions=['eu-west-1'])
t.db_cluster('crm-dr', replica_region='eu-west-1')
t.db_cluster('crm-approved-dr', replica_region='eu-west-1')
t.database('orders-db', replica_region='eu-west-1')
t.database('billing-db')
t.cluster_snapshot('crm-nightly')
t.cluster_snapshot('crm-public', public=True)
t.cluster_snapshot('crm-stranger', shared_with='999999999999')
t.cluster_snapshot('crm-processor', shared_with='{PROCESSOR}')
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-CRM-DR
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{countries: [IE]}}
    scope: {{resource_ids: [crm-approved-dr]}}
    document: LC-DPA-2026-050
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
  - id: APR-2026-CRM-RESTORE
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [crm-processor]}}
    document: LC-DPA-2026-051
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
    assert sorted(clusters) == ["crm", "crm-approved-dr", "crm-approved-dr-replica", "crm-dr", "crm-dr-replica",
                                "crm-nightly-db", "crm-plain", "crm-processor-db", "crm-public-db",
                                "crm-stranger-db", "crm-world", "crm-world-eu-west-1"]
    crm = clusters["crm"].properties
    assert crm["storage_encrypted"] is True and crm["customer_managed_key"] is True and crm["kms_key_region"] == LU
    assert crm["replica_regions"] == [] and crm["classification"] == ["contact"]
    assert clusters["crm-plain"].properties["storage_encrypted"] is False
    assert clusters["crm-world"].properties["replica_regions"] == [EU]           # the global cluster's secondary
    assert clusters["crm-world-eu-west-1"].properties["replica_regions"] == [LU]  # ... and its primary
    assert clusters["crm-world-eu-west-1"].region == EU
    assert clusters["crm-dr"].properties["replica_regions"] == [EU]              # a cross-region read replica
    instances = {r.id: r for r in result.resources if r.type == INSTANCE}
    assert instances["orders-db"].properties["replica_regions"] == [EU]
    assert instances["orders-db-replica"].region == EU and instances["billing-db"].properties["replica_regions"] == []
    snapshots = {r.id: r for r in result.resources if r.type == SNAPSHOT and r.id.startswith("crm-")}
    assert sorted(snapshots) == ["crm-nightly", "crm-processor", "crm-public", "crm-stranger"]
    nightly = snapshots["crm-nightly"].properties
    assert nightly["encrypted"] is True and nightly["customer_managed_key"] is True and nightly["public"] is False
    assert snapshots["crm-public"].properties["public"] is True
    [grant] = snapshots["crm-stranger"].properties["sharing"]["grants"]
    assert grant["principals"] == ["999999999999"] and grant["actions"] == ["rds:RestoreDBClusterFromSnapshot"]
    calls = result.api_calls
    manual = [r for r in result.resources if r.type == SNAPSHOT and r.id in snapshots]
    # one listing of each per region; the global clusters once, in the region that has a member
    assert calls["rds.DescribeDBClusters"] == 2 and calls["rds.DescribeDBClusterSnapshots"] == 2
    assert calls["rds.DescribeGlobalClusters"] == 2
    assert calls["rds.DescribeDBClusterSnapshotAttributes"] == len(manual)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    report = check_capture(capture, settings)
    ids = {f.resource.id for f in report.findings}
    planned = verdicts_by_id(report, *RDS_TYPES)
    live_report = evaluate(settings.engine(), settings, [r for r in scan_live(endpoint).resources if r.id in ids],
                           "aws")
    live = {k: status for k, status in verdicts_by_id(live_report, *RDS_TYPES).items() if k[1] in ids}
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-008", "crm-plain"),
        ("LUX-RES-010", "crm-world"), ("LUX-RES-010", "crm-dr"), ("LUX-RES-010", "crm-approved-dr"),
        ("LUX-RES-010", "orders-db"),
        ("LUX-RES-001", "crm-world-eu-west-1"), ("LUX-RES-004", "crm-world-eu-west-1"),
        ("LUX-RES-001", "crm-dr-replica"), ("LUX-RES-004", "crm-dr-replica"),
        ("LUX-RES-001", "crm-approved-dr-replica"), ("LUX-RES-004", "crm-approved-dr-replica"),
        ("LUX-RES-001", "orders-db-replica"), ("LUX-RES-004", "orders-db-replica"),
        ("LUX-ACC-008", "crm-public"), ("LUX-ACC-012", "crm-public"),
        ("LUX-ACC-012", "crm-stranger"), ("LUX-ACC-012", "crm-processor")}


def test_approvals_waive_an_approved_replica_abroad_and_a_processor(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
    copies = {f["resource"]["id"]: f for f in findings if f["rule_id"] == "LUX-RES-010"}
    assert copies["crm-approved-dr"]["status"] == "waived" and "APR-2026-CRM-DR" in json.dumps(copies["crm-approved-dr"])
    assert copies["crm-dr"]["status"] == "fail" and "eu-west-1" in copies["crm-dr"]["message"]
    shares = {f["resource"]["id"]: f["status"] for f in findings
              if f["rule_id"] == "LUX-ACC-012" and f["resource"]["type"] == SNAPSHOT}
    assert shares["crm-processor"] == "waived" and shares["crm-stranger"] == "fail" and shares["crm-nightly"] == "pass"


def test_drift_when_a_replica_or_a_share_is_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")

    def drifted() -> set[tuple]:   # the "rds:..." ids left out
        return {d for d in drift_changes(capsys, state, endpoint, *RDS_TYPES) if not d[1].startswith("rds:")}

    assert drifted() == set()
    lu, eu = client(endpoint, "rds", LU), client(endpoint, "rds", EU)
    crm = lu.describe_db_clusters(DBClusterIdentifier="crm")["DBClusters"][0]["DBClusterArn"]
    eu.create_db_cluster(DBClusterIdentifier="crm-copy", Engine="aurora-postgresql", ReplicationSourceIdentifier=crm,
                         MasterUsername="app", MasterUserPassword="by-hand-password-1")
    billing = lu.describe_db_instances(DBInstanceIdentifier="billing-db")["DBInstances"][0]["DBInstanceArn"]
    eu.create_db_instance_read_replica(DBInstanceIdentifier="billing-copy", SourceDBInstanceIdentifier=billing)
    lu.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="crm-nightly", AttributeName="restore",
                                            ValuesToAdd=["999999999999"])
    assert drifted() == {("DRIFT-RDS-REPLICATION", "crm", "replica_regions"),
                         ("DRIFT-RDS-REPLICATION", "billing-db", "replica_regions"),
                         ("DRIFT-EBS-SNAPSHOT-PUBLIC", "crm-nightly", "sharing.grants"),
                         ("DRIFT-UNMANAGED", "crm-copy", "unmanaged"),
                         ("DRIFT-UNMANAGED", "billing-copy", "unmanaged")}


def test_a_refused_global_cluster_read_leaves_only_the_members_copies_undecided(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "rds", "DescribeGlobalClusters")
                if f["resource"]["type"] == CLUSTER and f["resource"]["region"] == LU]
    copies = {f["resource"]["id"]: f for f in findings if f["rule_id"] == "LUX-RES-010"}
    assert copies["crm-world"]["status"] == "error" and "AccessDenied" in copies["crm-world"]["message"]
    assert copies["crm-dr"]["status"] == "fail"
    assert {f["status"] for f in findings if f["resource"]["id"] == "crm-world" and f["rule_id"] != "LUX-RES-010"} == {
        "pass"}


def test_a_refused_cluster_listing_or_attribute_read_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    clusters = [f for f in scan_refusing(capsys, endpoint, LU, "rds", "DescribeDBClusters")
                if f["resource"]["type"] == CLUSTER]
    assert {f["rule_id"] for f in clusters} >= {"LUX-ENC-008", "LUX-RES-001", "LUX-RES-010", "LUX-CLS-001"}
    assert {f["status"] for f in clusters if f["resource"]["region"] == LU} == {"error"}
    shares = [f for f in scan_refusing(capsys, endpoint, LU, "rds", "DescribeDBClusterSnapshotAttributes")
              if f["resource"]["type"] == SNAPSHOT and f["resource"]["id"].startswith("crm-")]
    assert {f["status"] for f in shares if f["rule_id"] in ("LUX-ACC-008", "LUX-ACC-012")} == {"error"}
    assert ("LUX-ENC-007", "crm-nightly", "pass") in {(f["rule_id"], f["resource"]["id"], f["status"]) for f in shares}


def _restorers(endpoint: str, snapshot: str) -> list[str]:
    answer = client(endpoint, "rds", LU).describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=snapshot)
    return sorted(v for a in answer["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
                  if a["AttributeName"] == "restore" for v in a["AttributeValues"])


def test_enforce_takes_the_public_share_off_a_cluster_snapshot_and_keeps_the_rest(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    rds = client(endpoint, "rds", LU)
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="crm-public", AttributeName="restore",
                                             ValuesToAdd=[PROCESSOR])

    def enforce(*args: str) -> dict:
        code, out, err = run_cli(capsys, "enforce", "--endpoint-url", endpoint, "--regions", LU, "--format", "json",
                                 "--rule", "LUX-ACC-008", "--audit-log", str(tmp_path / "audit.jsonl"),
                                 "--db", str(tmp_path / "h.db"), "--actor", "tester@ci", *args)
        assert code in (0, 1), err
        return {c["resource"]["id"]: c for c in json.loads(out)["plan"] if c["resource"]["type"] == SNAPSHOT}

    planned = enforce()
    assert [c["operation"] for c in planned["crm-public"]["calls"]] == ["ModifyDBClusterSnapshotAttribute"]
    assert "- restore attribute group all (public)" in planned["crm-public"]["diff"]
    assert _restorers(endpoint, "crm-public") == sorted(["all", PROCESSOR])      # dry-run: nothing changed
    enforce("--apply", "--yes")
    assert _restorers(endpoint, "crm-public") == [PROCESSOR]
    assert _restorers(endpoint, "crm-stranger") == ["999999999999"]               # not public: not this rule's
    assert enforce() == {}                                                         # a second run plans nothing
