"""EC2 launch templates: collected live from the local cloud (whether the default version requests
every EBS volume encrypted, under which key), the same verdicts from `check` and `scan`, a new
default version made by hand found by drift, and a refused version read never a pass."""

from __future__ import annotations

import pytest

from tests.helpers import check_and_scan, deploy, drift_changes, named, scan_live, scan_refusing
from tests.moto_cloud import LU, client

TEMPLATE = "AWS::EC2::LaunchTemplate"

PROGRAM = """
t.launch_template('web')
t.launch_template('web-plain', encrypted=False)
t.launch_template('web-aws-key', cmk=False)
t.launch_template('web-ireland', region='eu-west-1')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_properties_and_calls(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    templates = named(result.resources, TEMPLATE)
    assert sorted(templates) == ["web", "web-aws-key", "web-ireland", "web-plain"]
    web = templates["web"]
    assert web.id.startswith("lt-") and web.properties["encrypted"] is True
    assert web.properties["customer_managed_key"] is True and web.properties["kms_key_region"] == LU
    assert web.properties["classification"] == ["contact"]
    assert templates["web-plain"].properties["encrypted"] is False
    assert templates["web-aws-key"].properties["kms_key_id"] == "alias/aws/ebs"
    calls = result.api_calls
    assert calls["ec2.DescribeLaunchTemplates"] == 2 and calls["ec2.DescribeLaunchTemplateVersions"] == len(templates)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, TEMPLATE)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-024", "web-plain"), ("LUX-ENC-024", "web-aws-key"), ("LUX-RES-001", "web-ireland"),
        ("LUX-RES-004", "web-ireland")}


def test_drift_when_a_new_default_version_is_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")

    def drifted() -> set[tuple]:   # (rule id, drifted property or kind), whatever the template's id
        return {(rule, what) for rule, _, what in drift_changes(capsys, state, endpoint, TEMPLATE)}

    assert drifted() == set()
    ec2 = client(endpoint, "ec2", LU)
    web = ec2.describe_launch_templates(LaunchTemplateNames=["web"])["LaunchTemplates"][0]["LaunchTemplateId"]
    version = ec2.create_launch_template_version(LaunchTemplateId=web, LaunchTemplateData={"BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "Encrypted": False}}]})["LaunchTemplateVersion"]
    ec2.modify_launch_template(LaunchTemplateId=web, DefaultVersion=str(version["VersionNumber"]))
    assert ("DRIFT-LAUNCH-TEMPLATE-ENCRYPTION", "encrypted") in drifted()


def test_a_refused_version_read_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "ec2", "DescribeLaunchTemplateVersions")
                if f["resource"]["type"] == TEMPLATE]
    assert {f["status"] for f in findings if f["rule_id"] == "LUX-ENC-024"} == {"error"}
    assert {f["status"] for f in findings if f["rule_id"] == "LUX-CLS-001"} == {"pass"}
