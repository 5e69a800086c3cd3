"""EKS clusters: collected live from the local cloud (ListClusters, DescribeCluster each), their
secrets key and API endpoint with EKS's defaults, the same verdicts from `check` and `scan`, a
hand-made cluster found by drift, and refused reads never a pass."""

from __future__ import annotations

import pytest

from luxguard.pipeline import Settings, check_capture
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import (check_and_scan, deploy, drift_failures, named, scan_live, scan_refusing, verdicts_of,
                           write_program)
from tests.moto_cloud import ACCOUNT, LU, client

EKS = "AWS::EKS::Cluster"

PROGRAM = """
t.kubernetes('lux-k8s')
t.kubernetes('office-k8s', public_cidrs=['198.51.100.0/24'])
t.kubernetes('open-k8s', public_cidrs=None)
t.kubernetes('plain-k8s', secrets_encrypted=False)
t.kubernetes('dublin-k8s', region='eu-west-1')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_with_their_secrets_key_and_endpoint(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    clusters = named(result.resources, EKS)
    assert sorted(clusters) == ["dublin-k8s", "lux-k8s", "office-k8s", "open-k8s", "plain-k8s"]
    assert clusters["lux-k8s"].properties["customer_managed_key"] is True
    assert clusters["lux-k8s"].properties["endpoint_public"] is False
    assert clusters["office-k8s"].properties["public_access_cidrs"] == ["198.51.100.0/24"]
    assert clusters["open-k8s"].properties["public_access_cidrs"] == ["0.0.0.0/0"]   # EKS's default
    assert clusters["plain-k8s"].properties["encrypted"] is False
    assert clusters["lux-k8s"].arn == f"arn:aws:eks:{LU}:{ACCOUNT}:cluster/lux-k8s"
    assert clusters["lux-k8s"].properties["tags"] == {"Team": "platform"}
    assert result.api_calls["eks.ListClusters"] == 2 and result.api_calls["eks.DescribeCluster"] == 5


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, EKS)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ACC-020", "open-k8s"), ("LUX-ENC-026", "plain-k8s"), ("LUX-RES-001", "dublin-k8s")}


def test_drift_finds_a_cluster_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, EKS) == set()
    client(endpoint, "eks").create_cluster(name="by-hand", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
                                           resourcesVpcConfig={"subnetIds": []})
    assert drift_failures(capsys, state, endpoint, EKS) == {("DRIFT-UNMANAGED", "unmanaged")}


@pytest.mark.parametrize("operation", ["ListClusters", "DescribeCluster"])
def test_a_refused_read_is_an_error(capsys, deployed, operation):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "eks", operation) if f["resource"]["type"] == EKS]
    judged = {"LUX-ENC-026", "LUX-ACC-020"}
    assert {f["rule_id"] for f in findings} >= judged
    assert {f["status"] for f in findings if f["rule_id"] in judged} == {"error"}


def test_an_endpoint_only_a_deployment_knows_is_undecided_and_unknown_subnets_are_not(tmp_path):
    program = """
import pulumi
import pulumi_aws as aws
network = pulumi.StackReference('acme/network/prod')
vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{'name': 'vpc-id', 'values': [vpc.id]}])
aws.eks.Cluster('defaults', role_arn='arn:aws:iam::123456789012:role/eks', vpc_config={'subnet_ids': subnets.ids},
                opts=t.opts())
aws.eks.Cluster('vpc-only', role_arn='arn:aws:iam::123456789012:role/eks', opts=t.opts(),
                vpc_config={'subnet_ids': subnets.ids, 'endpoint_public_access': True,
                            'public_access_cidrs': [network.get_output('officeCidr')]})
"""
    report = check_capture(capture_program(write_program(tmp_path / "p", program), "test"), Settings())
    verdicts = verdicts_of(report, EKS)
    assert verdicts[("LUX-ACC-020", "defaults")] == "fail"       # EKS's default: open to the internet
    assert verdicts[("LUX-ACC-020", "vpc-only")] == "error"
