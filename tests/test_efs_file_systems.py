"""EFS file systems (16, 17): collected live from the local cloud (region, encryption key, the
file-system policy), the same verdicts from `check` and `scan`, an approved processor's mount
grant waived and a stranger's failing, drift when the policy is changed by hand, and a refused
DescribeFileSystemPolicy never a pass."""

from __future__ import annotations

import json

import boto3
import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from luxguard.sandbox.provision import provision_capture
from luxguard.sources.pulumi_capture import capture_program
from scanners import collect
from tests.helpers import run_cli, scan_refusing, scan_with_approvals, write_program
from tests.moto_cloud import EU, LU, client

FILE_SYSTEM = "AWS::EFS::FileSystem"
PROCESSOR, STRANGER = "222233334444", "999999999999"

PROGRAM = f"""
t.file_system(name='fs-ok', policy='own_account')
t.file_system(name='fs-aws-key', cmk=False)
t.file_system(name='fs-plain', encrypted=False)
t.file_system(name='fs-ireland', region='eu-west-1', key_region='eu-west-1')
t.file_system(name='fs-stranger', policy='foreign_account')
t.file_system(name='fs-processor', policy='{PROCESSOR}')
t.file_system(name='fs-unclassified', classification=None)
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    capture = capture_program(write_program(tmp_path / "p", PROGRAM), "test")
    provisioned = provision_capture(capture, fresh_cloud)
    ids = {r.name: r.id for r in provisioned.capture.resources if r.type == "aws:efs/fileSystem:FileSystem"}
    return capture, provisioned, fresh_cloud, ids


def scan(endpoint: str):
    return collect(boto3.Session(region_name=LU), [LU, EU], endpoint)


def by_name(ids: dict[str, str]) -> dict[str, str]:
    return {fs_id: name for name, fs_id in ids.items()}


def test_collected_properties_and_calls(deployed):
    _, _, endpoint, ids = deployed
    result = scan(endpoint)
    assert result.failures == []
    found = {by_name(ids)[r.id]: r for r in result.resources if r.type == FILE_SYSTEM}
    assert sorted(found) == sorted(ids)
    ok = found["fs-ok"]
    assert ok.arn == f"arn:aws:elasticfilesystem:{LU}:123456789012:file-system/{ids['fs-ok']}"
    assert ok.properties["encrypted"] is True and ok.properties["customer_managed_key"] is True
    assert ok.properties["kms_key_region"] == LU and ok.properties["classification"] == ["contact"]
    [grant] = found["fs-stranger"].properties["policy"]["grants"]
    assert grant["principals"] == [STRANGER] and "elasticfilesystem:ClientWrite" in grant["actions"]
    assert found["fs-aws-key"].properties["kms_key_id"] == "alias/aws/elasticfilesystem"
    assert found["fs-aws-key"].properties["customer_managed_key"] is False
    assert found["fs-plain"].properties["encrypted"] is False and found["fs-plain"].properties["policy"] == {"grants": []}
    assert found["fs-ireland"].region == EU and found["fs-unclassified"].properties["classification"] == []
    # one listing per region (encryption and tags in its answer), one policy read per file system
    assert result.api_calls["efs.DescribeFileSystems"] == 2
    assert result.api_calls["efs.DescribeFileSystemPolicy"] == len(found)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint, ids = deployed
    settings = Settings()
    names = by_name(ids)
    planned = {(f.rule_id, f.resource.properties["name"]): f.status.value for f in check_capture(capture, settings).findings
               if f.resource.type == FILE_SYSTEM}
    live_resources = [r for r in scan(endpoint).resources if r.type == FILE_SYSTEM]
    live = {(f.rule_id, names[f.resource.id]): f.status.value
            for f in evaluate(settings.engine(), settings, live_resources, "aws").findings}
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-018", "fs-aws-key"), ("LUX-ENC-018", "fs-plain"), ("LUX-RES-001", "fs-ireland"),
        ("LUX-RES-004", "fs-ireland"), ("LUX-ACC-011", "fs-stranger"), ("LUX-ACC-011", "fs-processor"),
        ("LUX-CLS-001", "fs-unclassified")}


def test_an_approved_processor_is_waived_and_a_stranger_fails(capsys, deployed, tmp_path):
    _, _, endpoint, ids = deployed
    approvals = f"""
approvals:
  - id: APR-2026-EXPORTS
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: ['{ids["fs-processor"]}']}}
    document: LC-DPA-2026-051
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""
    access = {f["resource"]["id"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", approvals, tmp_path)
              if f["rule_id"] == "LUX-ACC-011" and f["resource"]["type"] == FILE_SYSTEM}
    assert access[ids["fs-processor"]]["status"] == "waived"
    assert "APR-2026-EXPORTS" in json.dumps(access[ids["fs-processor"]])
    assert access[ids["fs-stranger"]]["status"] == "fail" and STRANGER in access[ids["fs-stranger"]]["message"]
    assert access[ids["fs-ok"]]["status"] == "pass"


def test_drift_when_a_policy_or_a_file_system_changes_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint, ids = deployed
    state = provisioned.write_state(tmp_path / "state.json")

    def drifted() -> set[tuple]:
        code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                                 "--no-history")
        assert code in (0, 1), err
        return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"))
                for f in json.loads(out)["findings"] if f["status"] == "fail" and f["resource"]["type"] == FILE_SYSTEM}

    assert drifted() == set()
    efs = client(endpoint, "efs", LU)
    efs.put_file_system_policy(FileSystemId=ids["fs-ok"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}))
    efs.delete_file_system(FileSystemId=ids["fs-plain"])
    hand_made = efs.create_file_system(CreationToken="hand-made", Encrypted=False)["FileSystemId"]
    assert drifted() == {("DRIFT-RESOURCE-POLICY", ids["fs-ok"], "policy.grants"),
                         ("DRIFT-MISSING", ids["fs-plain"], "missing"), ("DRIFT-UNMANAGED", hand_made, "unmanaged")}


def test_a_refused_policy_read_is_an_error_for_the_access_rule_only(capsys, deployed):
    _, _, endpoint, ids = deployed
    found = [f for f in scan_refusing(capsys, endpoint, LU, "elasticfilesystem", "DescribeFileSystemPolicy")
             if f["resource"]["type"] == FILE_SYSTEM]
    access = [f for f in found if f["rule_id"] == "LUX-ACC-011"]
    assert access and {f["status"] for f in access} == {"error"}
    assert all("AccessDenied" in f["message"] for f in access)
    assert {(f["resource"]["id"], f["status"]) for f in found if f["rule_id"] == "LUX-ENC-018"} >= {
        (ids["fs-plain"], "fail"), (ids["fs-ok"], "pass")}


def test_a_refused_listing_is_an_error_for_every_file_system_rule(capsys, deployed):
    _, _, endpoint, _ = deployed
    found = [f for f in scan_refusing(capsys, endpoint, LU, "elasticfilesystem", "DescribeFileSystems")
             if f["resource"]["type"] == FILE_SYSTEM]
    assert {f["rule_id"] for f in found} == {"LUX-ACC-011", "LUX-CLS-001", "LUX-ENC-018", "LUX-RES-001", "LUX-RES-004"}
    assert {f["status"] for f in found} == {"error"}
