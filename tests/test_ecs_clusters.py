"""ECS clusters: collected live from the local cloud in one batch per region (configuration and
tags in DescribeClusters' answer), the same verdicts from `check` and `scan`, a hand-made cluster
found by drift, and a refused read never a pass."""

from __future__ import annotations

import pytest

from tests.helpers import check_and_scan, deploy, drift_failures, named, scan_live, scan_refusing
from tests.moto_cloud import EU, LU, client

ECS = "AWS::ECS::Cluster"

PROGRAM = """
t.container_cluster('apps')
t.container_cluster('batch', cmk=False)
t.container_cluster('apps-dr', region='eu-west-1', key_region='eu-west-1')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_in_one_batch_per_region(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    clusters = named(result.resources, ECS)
    assert sorted(clusters) == ["apps", "apps-dr", "batch"]
    assert clusters["apps"].properties["customer_managed_key"] is True
    assert clusters["apps"].properties["kms_key_region"] == LU and clusters["apps"].properties["tags"] == {
        "Team": "platform"}
    assert clusters["batch"].properties["customer_managed_key"] is False
    assert clusters["apps-dr"].region == EU
    assert result.api_calls["ecs.ListClusters"] == 2 and result.api_calls["ecs.DescribeClusters"] == 2


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, ECS)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-028", "batch"), ("LUX-RES-001", "apps-dr"), ("LUX-RES-004", "apps-dr")}


def test_drift_finds_a_cluster_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, ECS) == set()
    client(endpoint, "ecs", EU).create_cluster(clusterName="by-hand")
    assert drift_failures(capsys, state, endpoint, ECS) == {("DRIFT-UNMANAGED", "unmanaged")}


@pytest.mark.parametrize("operation", ["ListClusters", "DescribeClusters"])
def test_a_refused_read_is_an_error(capsys, deployed, operation):
    _, _, endpoint = deployed
    findings = {(f["rule_id"], f["resource"]["id"]): f["status"]
                for f in scan_refusing(capsys, endpoint, LU, "ecs", operation) if f["resource"]["type"] == ECS}
    assert findings and set(findings.values()) <= {"error", "pass"}
    assert findings.get(("LUX-ENC-028", "apps" if operation == "DescribeClusters" else "*")) == "error"
