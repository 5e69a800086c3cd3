"""EC2 instances: collected live with their volumes' encryption (one DescribeInstances and one
DescribeVolumes per region, shared with the volume collector), the same verdicts from `check` and
`scan`, their launch volumes never reported as unmanaged, a hand-run instance found by drift, and
refused reads never a pass. (The local cloud runs instances only where it has availability
zones, which Luxembourg's region has not: the live cases are Irish; Luxembourg's are judged in
`check` and in the rule catalogue's examples.)"""

from __future__ import annotations

import pytest

from luxguard.pipeline import Settings, check_capture
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import (check_and_scan, deploy, drift_failures, named, scan_live, scan_refusing, verdicts_of,
                           write_program)
from tests.moto_cloud import EU, client

INSTANCE, VOLUME = "AWS::EC2::Instance", "AWS::EC2::Volume"

PROGRAM = """
t.instance('app-ie', region='eu-west-1')
t.instance('app-ie-plain', region='eu-west-1', encrypted=False)
t.instance('app-ie-aws-key', region='eu-west-1', cmk=False, data_volume=False)
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_with_their_volumes_encryption(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint, (EU,))
    assert result.failures == []
    instances = named(result.resources, INSTANCE)
    assert sorted(instances) == ["app-ie", "app-ie-aws-key", "app-ie-plain"]
    assert instances["app-ie"].properties["encrypted"] is True
    assert instances["app-ie"].properties["customer_managed_key"] is True
    assert instances["app-ie-plain"].properties["encrypted"] is False
    assert instances["app-ie-aws-key"].properties["customer_managed_key"] is False
    assert instances["app-ie"].region == EU and instances["app-ie"].id.startswith("i-")
    volumes = [r for r in result.resources if r.type == VOLUME]
    assert sorted(v.properties["launched_with"] for v in volumes) == sorted(
        [instances["app-ie"].id] * 2 + [instances["app-ie-plain"].id] * 2 + [instances["app-ie-aws-key"].id])
    assert result.api_calls["ec2.DescribeInstances"] == 1 and result.api_calls["ec2.DescribeVolumes"] == 1


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, INSTANCE, (EU,))
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-RES-001", "app-ie"), ("LUX-RES-001", "app-ie-plain"), ("LUX-RES-001", "app-ie-aws-key"),
        ("LUX-ENC-024", "app-ie-plain"), ("LUX-ENC-024", "app-ie-aws-key")}


def test_launch_volumes_are_the_instance_s_and_a_hand_run_instance_is_drift(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, INSTANCE) == set()
    assert drift_failures(capsys, state, endpoint, VOLUME) == set()   # the instances' root and data volumes
    ec2 = client(endpoint, "ec2", EU)
    image = ec2.register_image(Name="by-hand-image", RootDeviceName="/dev/xvda")["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    assert drift_failures(capsys, state, endpoint, INSTANCE) == {("DRIFT-UNMANAGED", "unmanaged")}
    assert drift_failures(capsys, state, endpoint, VOLUME) == set()
    ec2.create_volume(AvailabilityZone=f"{EU}a", Size=10)                 # a volume on its own is drift
    assert drift_failures(capsys, state, endpoint, VOLUME) == {("DRIFT-UNMANAGED", "unmanaged")}


def test_a_refused_instance_listing_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = scan_refusing(capsys, endpoint, EU, "ec2", "DescribeInstances")
    assert {f["status"] for f in findings if f["resource"]["type"] == INSTANCE} == {"error"}
    assert {f["rule_id"] for f in findings if f["resource"]["type"] == INSTANCE} == {"LUX-RES-001", "LUX-ENC-024"}
    assert {f["status"] for f in findings if f["resource"]["type"] == VOLUME and f["rule_id"] == "LUX-ENC-006"} \
        == {"pass", "fail"}                                               # volumes are still judged


def test_refused_volumes_leave_the_instances_encryption_undecided(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, EU, "ec2", "DescribeVolumes")
                if f["resource"]["type"] == INSTANCE]
    assert {f["status"] for f in findings if f["rule_id"] == "LUX-ENC-024"} == {"error"}
    assert len({f["resource"]["id"] for f in findings if f["rule_id"] == "LUX-ENC-024"}) == 3
    assert {f["status"] for f in findings if f["rule_id"] == "LUX-RES-001"} == {"fail"}


def test_an_instance_takes_its_declared_launch_template_s_devices(tmp_path):
    program = """
import pulumi_aws as aws
template = t.launch_template('web', encrypted=False)
aws.ec2.Instance('from-template', launch_template={'id': template.id, 'version': '$Default'}, opts=t.opts())
aws.ec2.Instance('from-elsewhere', launch_template={'name': 'made-by-another-team'}, opts=t.opts())
"""
    report = check_capture(capture_program(write_program(tmp_path / "p", program), "test"), Settings())
    verdicts = verdicts_of(report, INSTANCE)
    assert verdicts[("LUX-ENC-024", "from-template")] == "fail"
    assert verdicts[("LUX-ENC-024", "from-elsewhere")] == "error"
    assert verdicts[("LUX-RES-001", "from-elsewhere")] == "pass"
