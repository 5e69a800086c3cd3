"""AMIs: collected live from the local cloud (region, the encryption of their snapshots, who may
launch them), the same verdicts from `check` and `scan`, an approved processor's launch
permission waived and a stranger's failing, drift when an image is changed by hand, and a refused
DescribeImageAttribute or DescribeSnapshots never a pass.

The local cloud backs every image with one unencrypted snapshot of its own (RegisterImage,
CopyImage and CreateImage ignore the block devices and encryption asked for), so live images are
unencrypted whatever the program declares: the encryption verdicts of images declared encrypted
are the only expected difference between `check` and `scan`, named exactly below, and the
collector's reading of an encrypted image is tested on the answer shape EC2 documents."""

from __future__ import annotations

import json

import boto3
import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from luxguard.sandbox.provision import provision_capture
from luxguard.sources.pulumi_capture import capture_program
from scanners import collect
from scanners.clients import ClientFactory
from scanners.ec2_images import image
from scanners.keys import KeyResolver
from tests.helpers import run_cli, scan_refusing, scan_with_approvals, write_program
from tests.moto_cloud import EU, LU, client

IMAGE = "AWS::EC2::Image"
PROCESSOR = "222233334444"
STRANGER = "999999999999"

PROGRAM = f"""
t.image(name='ami-ok')
t.image(name='ami-plain', encrypted=False)
t.image(name='ami-public', public=True)
t.image(name='ami-stranger', shared_with='{STRANGER}')
t.image(name='ami-processor', shared_with='{PROCESSOR}')
t.image(name='ami-copied', copy_to='{EU}')
"""
DECLARED_ENCRYPTED = {"ami-ok", "ami-public", "ami-stranger", "ami-processor", "ami-copied", "ami-copied-eu-west-1"}


@pytest.fixture
def estate(fresh_cloud, tmp_path):
    capture = capture_program(write_program(tmp_path / "p", PROGRAM), "test")
    provisioned = provision_capture(capture, fresh_cloud)
    names = {res.id: res.name for res in provisioned.capture.resources if res.type.startswith("aws:ec2/ami")}
    return provisioned, names, fresh_cloud


def scan(endpoint: str):
    return collect(boto3.Session(region_name=LU), [LU, EU], endpoint)


def verdicts(report, names: dict[str, str]) -> dict[tuple[str, str], str]:
    return {(f.rule_id, names[f.resource.id]): f.status.value for f in report.findings
            if f.resource.type == IMAGE and f.resource.id in names}


def test_collected_properties_and_calls(estate):
    _, names, endpoint = estate
    result = scan(endpoint)
    assert result.failures == []
    images = {names[r.id]: r for r in result.resources if r.type == IMAGE}
    assert sorted(images) == ["ami-copied", "ami-copied-eu-west-1", "ami-ok", "ami-plain", "ami-processor",
                              "ami-public", "ami-stranger"]
    ok = images["ami-ok"].properties
    assert ok["public"] is False and ok["sharing"] == {"grants": []} and ok["classification"] == ["billing"]
    assert ok["encrypted"] is False and images["ami-ok"].collection_errors == {}   # the local cloud's own snapshot
    assert images["ami-ok"].arn == f"arn:aws:ec2:{LU}::image/{images['ami-ok'].id}"
    assert images["ami-public"].properties["public"] is True
    assert STRANGER in json.dumps(images["ami-stranger"].properties["sharing"])
    assert images["ami-copied-eu-west-1"].region == EU and images["ami-copied"].region == LU
    calls = result.api_calls
    # one listing per region; one snapshot read per region for every image's devices together
    assert calls["ec2.DescribeImages"] == 2 and calls["ec2.DescribeImageAttribute"] == len(images)


def test_check_and_scan_agree_rule_for_rule_but_for_the_local_clouds_unencrypted_images(estate):
    provisioned, names, endpoint = estate
    settings = Settings()
    planned = verdicts(check_capture(provisioned.capture, settings), names)
    live_resources = [r for r in scan(endpoint).resources if r.type == IMAGE]
    live = verdicts(evaluate(settings.engine(), settings, live_resources, "aws"), names)
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-007", "ami-plain"), ("LUX-ACC-008", "ami-public"), ("LUX-ACC-012", "ami-public"),
        ("LUX-ACC-012", "ami-stranger"), ("LUX-ACC-012", "ami-processor"),
        ("LUX-RES-001", "ami-copied-eu-west-1"), ("LUX-RES-004", "ami-copied-eu-west-1")}
    differ = {k: (planned.get(k), live.get(k)) for k in planned.keys() | live.keys() if planned.get(k) != live.get(k)}
    assert differ == {
        **{("LUX-ENC-007", name): ("pass", "fail") for name in DECLARED_ENCRYPTED},
        # an unencrypted image has no key: the key's region is not judged
        **{("LUX-RES-004", name): ("pass", None) for name in DECLARED_ENCRYPTED - {"ami-copied-eu-west-1"}},
        ("LUX-RES-004", "ami-copied-eu-west-1"): ("fail", None),
    }


def test_an_encrypted_image_reads_its_key_from_its_snapshot(fresh_cloud):
    """EC2 reports an image device's `Encrypted` but not its key: the snapshot's key decides."""
    ec2, kms = client(fresh_cloud, "ec2", LU), client(fresh_cloud, "kms", LU)
    key_arn = kms.create_key(Description="images")["KeyMetadata"]["Arn"]
    image_id = ec2.register_image(Name="encrypted", RootDeviceName="/dev/xvda")["ImageId"]
    answer = {"ImageId": image_id, "OwnerId": "123456789012", "Name": "encrypted", "BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0aaa", "Encrypted": True, "VolumeSize": 8}},
        {"DeviceName": "/dev/xvdb", "Ebs": {"SnapshotId": "snap-0bbb", "Encrypted": True, "VolumeSize": 8}}]}
    clients = ClientFactory(boto3.Session(region_name=LU), fresh_cloud)
    keys = KeyResolver(clients)
    snapshots = {"snap-0aaa": {"SnapshotId": "snap-0aaa", "Encrypted": True, "KmsKeyId": key_arn},
                 "snap-0bbb": {"SnapshotId": "snap-0bbb", "Encrypted": True, "KmsKeyId": key_arn}}
    read = image(clients.client("ec2", LU), answer, LU, keys, snapshots, None)
    assert read.collection_errors == {}
    assert [read.get(p) for p in ("encrypted", "kms_key_id", "kms_key_region", "customer_managed_key")] == [
        True, key_arn, LU, True]
    # one device under EBS's AWS-managed key makes the image's key AWS-managed
    snapshots["snap-0bbb"]["KmsKeyId"] = f"arn:aws:kms:{LU}:123456789012:alias/aws/ebs"
    weak = image(clients.client("ec2", LU), answer, LU, KeyResolver(clients), snapshots, None)
    assert weak.get("encrypted") is True and weak.get("customer_managed_key") is False
    # a device whose snapshot was not read leaves the encryption undecided, never unencrypted-and-passing
    del answer["BlockDeviceMappings"][1]["Ebs"]["Encrypted"]
    unread = image(clients.client("ec2", LU), answer, LU, keys, {}, "AccessDenied")
    assert {"encrypted", "customer_managed_key"} <= set(unread.collection_errors)
    assert "AccessDenied" in unread.collection_errors["encrypted"]


def test_an_approved_processor_is_waived_and_a_stranger_fails(capsys, estate, tmp_path):
    _, names, endpoint = estate
    processor = next(i for i, name in names.items() if name == "ami-processor")
    approvals = f"""
approvals:
  - id: APR-2026-IMAGES
    customer: ACME S.A.
    data_categories: [billing]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [{processor}]}}
    document: LC-DPA-2026-041
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""
    shares = {names[f["resource"]["id"]]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", approvals,
                                                                          tmp_path)
              if f["rule_id"] == "LUX-ACC-012" and f["resource"]["type"] == IMAGE}
    assert shares["ami-processor"]["status"] == "waived" and "APR-2026-IMAGES" in json.dumps(shares["ami-processor"])
    assert shares["ami-stranger"]["status"] == "fail" and STRANGER in shares["ami-stranger"]["message"]
    assert shares["ami-public"]["status"] == "fail" and shares["ami-ok"]["status"] == "pass"


def test_drift_when_images_are_changed_by_hand(capsys, estate, tmp_path):
    provisioned, names, endpoint = estate
    state = provisioned.write_state(tmp_path / "state.json")
    ids = {name: image_id for image_id, name in names.items()}

    def drifted() -> set[tuple]:
        code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                                 "--no-history")
        assert code in (0, 1), err
        return {(f["rule_id"], names.get(f["resource"]["id"], "hand-made"),
                 f["drift"].get("property") or f["drift"].get("kind"))
                for f in json.loads(out)["findings"] if f["status"] == "fail" and f["resource"]["type"] == IMAGE}

    # the local cloud's images are unencrypted (see the module docstring): that is drift already
    moto_unencrypted = {("DRIFT-EBS-ENCRYPTION", name, prop) for name in DECLARED_ENCRYPTED
                        for prop in ("encrypted", "kms_key_id")}
    assert drifted() - moto_unencrypted == set()
    ec2 = client(endpoint, "ec2", LU)
    ec2.modify_image_attribute(ImageId=ids["ami-ok"], LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.delete_tags(Resources=[ids["ami-stranger"]], Tags=[{"Key": "data-classification"}])
    ec2.deregister_image(ImageId=ids["ami-plain"])
    ec2.register_image(Name="hand-made", RootDeviceName="/dev/xvda")
    assert drifted() - moto_unencrypted == {
        ("DRIFT-EBS-SNAPSHOT-PUBLIC", "ami-ok", "public"), ("DRIFT-EBS-SNAPSHOT-PUBLIC", "ami-ok", "sharing.grants"),
        ("DRIFT-CLASSIFICATION", "ami-stranger", "classification"),
        ("DRIFT-MISSING", "ami-plain", "missing"), ("DRIFT-UNMANAGED", "hand-made", "unmanaged")}


def test_a_refused_attribute_read_is_an_error_for_the_sharing_rules(capsys, estate):
    _, names, endpoint = estate
    images = [f for f in scan_refusing(capsys, endpoint, LU, "ec2", "DescribeImageAttribute")
              if f["resource"]["type"] == IMAGE]
    sharing = [f for f in images if f["rule_id"] in ("LUX-ACC-008", "LUX-ACC-012")]
    assert sharing and {f["status"] for f in sharing} == {"error"}
    assert all("UnauthorizedOperation" in f["message"] for f in sharing)
    assert {f["status"] for f in images if f["rule_id"] == "LUX-CLS-001"} == {"pass"}


def test_a_refused_snapshot_read_leaves_the_encryption_undecided(capsys, estate):
    _, names, endpoint = estate
    images = [f for f in scan_refusing(capsys, endpoint, LU, "ec2", "DescribeSnapshots")
              if f["resource"]["type"] == IMAGE]
    encryption = [f for f in images if f["rule_id"] == "LUX-ENC-007"]
    assert encryption and {f["status"] for f in encryption} == {"error"}
    assert {f["status"] for f in images if f["rule_id"] == "LUX-ACC-008"} == {"pass", "fail"}


def test_an_image_of_an_instance_is_encrypted_as_its_volumes(tmp_path):
    program = """
import pulumi_aws as aws
key = t.key('app-key')
for name, encrypted in (('ok', True), ('plain', False)):
    server = aws.ec2.Instance(f'{name}-server', ami='ami-12345678', instance_type='t3.micro',
                              root_block_device={'encrypted': encrypted, 'kms_key_id': key.arn if encrypted else None},
                              opts=t.opts())
    aws.ec2.AmiFromInstance(f'{name}-image', name=f'{name}-image', source_instance_id=server.id,
                            tags={'data-classification': 'billing'}, opts=t.opts())
"""
    report = check_capture(capture_program(write_program(tmp_path / "p", program), "test"), Settings())
    found = {(f.rule_id, f.resource.properties["name"]): f.status.value for f in report.findings
             if f.resource.type == IMAGE}
    assert {k: v for k, v in found.items() if k[0] in ("LUX-ENC-007", "LUX-RES-004")} == {
        ("LUX-ENC-007", "ok-image"): "pass", ("LUX-RES-004", "ok-image"): "pass",
        ("LUX-ENC-007", "plain-image"): "fail"}


def test_a_copy_abroad_in_pulumi_and_terraform(tmp_path):
    """The same verdicts for an AmiCopy to Ireland whether Pulumi or Terraform declares it."""
    from collections import Counter

    from luxguard.pipeline import check_infrastructure_code
    from luxguard.sources.infrastructure_code import IacOptions
    from tests.programs import iac_forms

    capture = capture_program(write_program(tmp_path / "p", f"t.image(copy_to='{EU}', public=True)"), "test")
    pulumi = check_capture(capture, Settings())
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(iac_forms.terraform(capture))
    assert 'resource "aws_ami_copy"' in (tmp_path / "tf" / "main.tf").read_text()
    terraform = check_infrastructure_code(tmp_path / "tf", Settings(), IacOptions(), with_checkov=False)

    def verdicts_of(report) -> Counter:
        return Counter((f.rule_id, f.resource.type, f.status.value) for f in report.findings)

    assert verdicts_of(pulumi) == verdicts_of(terraform)
    failing = {(f.rule_id, f.resource.properties["name"]) for f in terraform.findings if f.status.value == "fail"}
    assert failing == {("LUX-ACC-008", "app-image"), ("LUX-ACC-012", "app-image"),
                       ("LUX-RES-001", "app-image-eu-west-1"), ("LUX-RES-004", "app-image-eu-west-1"),
                       ("LUX-RES-001", f"app-image-{EU}-key")}
