"""External access end to end: grants declared in Pulumi and read from the local cloud give the
same verdicts; the trusted zone and approved processors decide what is external."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_program
from tests.moto_cloud import ACCOUNT, LU, client

PARTNER, STRANGER = "333333333333", "999999999999"


def partner_policy(bucket: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Own", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*",
         "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def approvals_file(tmp_path: Path) -> Path:
    path = tmp_path / "approvals.yaml"
    path.write_text(f"""approvals:
  - id: APR-PARTNER-1
    customer: ACME S.A.
    data_categories: [billing]
    destinations: {{accounts: ["{PARTNER}"]}}
    scope: {{name_patterns: ["shared-*"]}}
    document: LC-DPA-2026-031
    approved_by: J. Doe, ACME DPO
    granted: "2026-01-01"
    expires: "2027-01-01"
""")
    return path


def acc011(report: dict) -> dict[str, tuple[str, str]]:
    return {f["resource"]["id"]: (f["status"], f["message"]) for f in report["findings"] if f["rule_id"] == "LUX-ACC-011"
            and f["resource"]["type"] == "AWS::S3::Bucket"}


@pytest.fixture
def estate(fresh_cloud: str) -> str:
    s3 = client(fresh_cloud, "s3", LU)
    for name, account in (("shared-approved", PARTNER), ("shared-stranger", STRANGER), ("own-only", ACCOUNT)):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": LU})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "billing"}]})
        s3.put_bucket_policy(Bucket=name, Policy=partner_policy(name, account))
    ec2 = client(fresh_cloud, "ec2", LU)
    volume = ec2.create_volume(AvailabilityZone=f"{LU}a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                  UserIds=[STRANGER])
    return snapshot


def test_scan_waives_the_approved_processor_and_fails_the_stranger(fresh_cloud, estate, tmp_path, capsys):
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                             "--no-history", "--approvals", approvals_file(tmp_path), "--as-of", "2026-06-01")
    report = json.loads(out)
    verdicts = acc011(report)
    assert verdicts["own-only"][0] == "pass"
    assert verdicts["shared-approved"][0] == "waived"
    assert verdicts["shared-stranger"][0] == "fail" and STRANGER in verdicts["shared-stranger"][1]
    approved = [f for f in report["findings"] if f["rule_id"] == "LUX-ACC-011" and f["resource"]["id"] == "shared-approved"]
    assert approved[0]["waiver"]["id"] == "APR-PARTNER-1"
    shared = [f for f in report["findings"] if f["rule_id"] == "LUX-ACC-012"]
    assert [(f["resource"]["id"], f["status"]) for f in shared] == [(estate, "fail")]


def test_a_trusted_account_is_inside_the_zone(fresh_cloud, estate, tmp_path, capsys):
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                             "--no-history", "--trusted-account", STRANGER)
    verdicts = acc011(json.loads(out))
    assert verdicts["shared-stranger"][0] == "pass" and verdicts["shared-approved"][0] == "fail"


def test_an_expired_approval_no_longer_waives(fresh_cloud, estate, tmp_path, capsys):
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                             "--no-history", "--approvals", approvals_file(tmp_path), "--as-of", "2027-02-01")
    status, message = acc011(json.loads(out))["shared-approved"]
    assert status == "fail" and "APR-PARTNER-1 expired" in message


def test_check_and_scan_agree_on_declared_grants(fresh_cloud, estate, tmp_path, capsys):
    body = "\n".join(
        f"import pulumi_aws as aws\n"
        f"b_{i} = aws.s3.Bucket('{name}', bucket='{name}', tags={{'data-classification': 'billing'}}, opts=t.opts())\n"
        f"aws.s3.BucketPolicy('{name}-policy', bucket=b_{i}.id, policy={partner_policy(name, account)!r}, opts=t.opts())"
        for i, (name, account) in enumerate((("shared-approved", PARTNER), ("shared-stranger", STRANGER),
                                             ("own-only", ACCOUNT))))
    program = write_program(tmp_path / "prog", body, config={"luxguard:accountId": ACCOUNT})
    _, out, _ = run_cli(capsys, "check", program, "--stack", "test", "--format", "json")
    declared = {k: v[0] for k, v in acc011(json.loads(out)).items()}
    _, out, _ = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json", "--no-history")
    deployed = {k: v[0] for k, v in acc011(json.loads(out)).items()}
    assert declared == deployed == {"own-only": "pass", "shared-approved": "fail", "shared-stranger": "fail"}
