"""checkov as a second gate (issue 8): real checkov subprocess runs, batched to keep starts few."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Status
from luxguard.pipeline import Settings
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import write_program

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "checkov"

pytestmark = pytest.mark.skipif(
    not (os.environ.get("LUXGUARD_CHECKOV") or (ROOT / ".venv-checkov" / "bin" / "checkov").exists()),
    reason="checkov venv missing: run make install")

# One program, every mapped type, each misconfigured in a known way (camelCase inputs throughout).
MISCONFIGURED = """
import pulumi_aws as aws
t.bucket('plain', sse=None, pab=False, logging=False, versioning=False)
t.key('norotate', rotation=False)
t.security_group('ssh', ingress=[{'protocol': 'tcp', 'from_port': 22, 'to_port': 22, 'cidr_blocks': ['0.0.0.0/0']}])
t.volume('clear', encrypted=False)
t.database('opendb', encrypted=False, public=True)
t.table('awskey', cmk=False)
t.trail('partial', multi_region=False, validation=False)
rdp = aws.ec2.SecurityGroup('rdp', name='rdp', opts=t.opts())
aws.vpc.SecurityGroupIngressRule('rdp-in', security_group_id=rdp.id, ip_protocol='tcp', from_port=3389, to_port=3389,
                                 cidr_ipv4='0.0.0.0/0', opts=t.opts())
legacy = aws.ec2.SecurityGroup('legacy', name='legacy', opts=t.opts())
aws.ec2.SecurityGroupRule('legacy-ssh', type='ingress', security_group_id=legacy.id, protocol='tcp', from_port=22,
                          to_port=22, cidr_blocks=['0.0.0.0/0'], opts=t.opts())
"""
# check id -> the address it must fail on (exactly), one or more per mapped type
EXPECTED = {
    ("CKV_AWS_145", "aws_s3_bucket.plain"),          # no KMS default encryption
    ("CKV2_AWS_6", "aws_s3_bucket.plain"),           # no public access block
    ("CKV_AWS_18", "aws_s3_bucket.plain"),           # no access logging
    ("CKV_AWS_21", "aws_s3_bucket.plain"),           # no versioning
    ("CKV_AWS_7", "aws_kms_key.norotate"),           # rotation off
    ("CKV_AWS_24", "aws_security_group.ssh"),        # inline ingress fromPort/toPort/cidrBlocks
    ("CKV_AWS_25", "aws_vpc_security_group_ingress_rule.rdp-in"),
    ("CKV_AWS_24", "aws_security_group_rule.legacy-ssh"),
    ("CKV_AWS_3", "aws_ebs_volume.clear"),
    ("CKV_AWS_189", "aws_ebs_volume.clear"),
    ("CKV_AWS_16", "aws_db_instance.opendb"),
    ("CKV_AWS_17", "aws_db_instance.opendb"),
    ("CKV_AWS_119", "aws_dynamodb_table.awskey"),
    ("CKV_AWS_36", "aws_cloudtrail.partial"),
    ("CKV_AWS_67", "aws_cloudtrail.partial"),
}


@pytest.fixture(scope="module")
def misconfigured(tmp_path_factory):
    from luxguard.sources.checkov.runner import check_capture_with_checkov

    capture = capture_program(write_program(tmp_path_factory.mktemp("bad"), MISCONFIGURED), "test")
    return capture, check_capture_with_checkov(capture)


def _failed(run) -> set[tuple[str, str]]:
    return {(f.rule_id, f.extra["checkov"]["resource_address"]) for f in run.findings if f.status == Status.FAIL}


def test_misconfigured_program_fails_the_expected_checks_on_the_expected_resources(misconfigured):
    _, run = misconfigured
    failed = _failed(run)
    assert EXPECTED <= failed, EXPECTED - failed
    # the compliant neighbours (log buckets, keys of other resources) are not blamed for these
    for check in ("CKV_AWS_145", "CKV2_AWS_6", "CKV_AWS_7", "CKV_AWS_24", "CKV_AWS_3"):
        assert {a for c, a in failed if c == check} == {a for c, a in EXPECTED if c == check}, check


def test_findings_point_at_the_pulumi_resource_and_its_source_line(misconfigured):
    _, run = misconfigured
    ssh = next(f for f in run.findings if f.rule_id == "CKV_AWS_24" and f.resource.id == "ssh")
    assert ssh.resource.type == "AWS::EC2::SecurityGroup" and ssh.severity == "critical" and ssh.category == "access"
    assert ssh.resource.urn.endswith("aws:ec2/securityGroup:SecurityGroup::ssh")
    assert ssh.resource.source and ssh.resource.source.file.endswith("toolkit.py")
    sse = next(f for f in run.findings if f.rule_id == "CKV_AWS_145" and f.status == Status.FAIL)
    assert (sse.category, sse.severity) == ("encryption", "high")
    assert sse.extra["checkov"]["check_name"].startswith("Ensure")
    rule = next(f for f in run.findings if f.extra["checkov"]["resource_address"] == "aws_security_group_rule.legacy-ssh")
    assert rule.resource.type == "AWS::EC2::SecurityGroup" and rule.resource.urn.endswith("::legacy-ssh")


def test_every_mapped_type_in_the_program_reached_checkov(misconfigured):
    from luxguard.sources.checkov.terraform_plan import capture_to_plan

    capture, run = misconfigured
    plan = capture_to_plan(capture)
    assert plan.unmapped == []
    seen = {f.extra["checkov"]["resource_address"].split(".")[0] for f in run.findings}
    # (SSE configs, public access blocks ... are read through the bucket: CKV_AWS_145 and CKV2_AWS_6
    # pass on the reference stack only because checkov connected them.)
    for tf_type in ("aws_s3_bucket", "aws_kms_key",
                    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_security_group_rule",
                    "aws_ebs_volume", "aws_db_instance", "aws_dynamodb_table", "aws_cloudtrail"):
        assert tf_type in seen, tf_type


def test_attribute_names_are_terraform_names():
    """Offline: the spellings checkov reads (a wrong one makes a check pass silently)."""
    from luxguard.sources.checkov.terraform_plan import capture_to_plan
    from luxguard.sources.pulumi_capture import Capture, CapturedResource

    def res(type_, name, id_, **inputs):
        return CapturedResource(urn=f"urn:pulumi:s::p::{type_}::{name}", type=type_, name=name, id=id_, inputs=inputs)

    capture = Capture("p", "s", {"aws:region": "lu-central-1"}, [
        res("aws:s3/bucket:Bucket", "b", "b-1", bucket="b-1"),
        res("aws:kms/key:Key", "k", "k-1", enableKeyRotation=True),
        res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", "sse",
            bucket="b-1", rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                  "kmsMasterKeyId": "arn:aws:kms:lu-central-1:123456789012:key/k-1"},
                                  "bucketKeyEnabled": True}]),
        res("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "own", "own", bucket="b-1",
            rule={"objectOwnership": "BucketOwnerEnforced"}),
        res("aws:ec2/securityGroup:SecurityGroup", "sg", "sg-1",
            ingress=[{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}]),
        res("aws:dynamodb/table:Table", "t", "t", attributes=[{"name": "id", "type": "S"}],
            serverSideEncryption={"enabled": True}, tags={"data-classification": "billing"}),
        res("aws:iam/role:Role", "r", "r", inlinePolicies=[{"name": "read", "policy": "{}"}]),
        res("aws:ecr/repository:Repository", "repo", "repo",
            encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": "alias/aws/ecr"}]),
        res("aws:ecr/replicationConfiguration:ReplicationConfiguration", "repl", "repl", replicationConfiguration={
            "rules": [{"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}],
                       "repositoryFilters": [{"filter": "repo", "filterType": "PREFIX_MATCH"}]}]}),
    ])
    plan = capture_to_plan(capture).document
    values = {r["address"]: r["values"] for r in plan["planned_values"]["root_module"]["resources"]}
    sse = values["aws_s3_bucket_server_side_encryption_configuration.sse"]
    assert sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert sse["rule"][0]["bucket_key_enabled"] is True and "rules" not in sse
    assert values["aws_s3_bucket_ownership_controls.own"]["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]
    assert values["aws_security_group.sg"]["ingress"] == [
        {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]
    table = values["aws_dynamodb_table.t"]
    assert table["attribute"] == [{"name": "id", "type": "S"}] and table["server_side_encryption"] == [{"enabled": True}]
    assert table["tags"] == {"data-classification": "billing"} and table["region"] == "lu-central-1"
    assert values["aws_iam_role.r"]["inline_policy"] == [{"name": "read", "policy": "{}"}]
    assert values["aws_ecr_repository.repo"]["encryption_configuration"] == [
        {"encryption_type": "KMS", "kms_key": "alias/aws/ecr"}]
    assert values["aws_ecr_replication_configuration.repl"]["replication_configuration"] == [{"rule": [{
        "destination": [{"region": "eu-west-1", "registry_id": "123456789012"}],
        "repository_filter": [{"filter": "repo", "filter_type": "PREFIX_MATCH"}]}]}]
    assert plan["terraform_version"] and "planned_values" in plan
    config = {r["address"]: r["expressions"] for r in plan["configuration"]["root_module"]["resources"]}
    sse_expr = config["aws_s3_bucket_server_side_encryption_configuration.sse"]
    assert sse_expr["bucket"]["references"] == ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]
    kms = sse_expr["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"]
    assert kms["references"] == ["aws_kms_key.k.arn", "aws_kms_key.k"]


def test_compliant_reference_stack_has_no_checkov_failure_after_skips():
    from luxguard.sources.checkov.runner import check_capture_with_checkov

    run = check_capture_with_checkov(capture_program(ROOT, "local"))
    failed = _failed(run)
    assert failed == set(), failed          # no conversion error shows up as a failure
    assert run.findings and all(f.status == Status.PASS for f in run.findings)
    skipped_checks = {check for check, _, _ in run.skipped}
    assert skipped_checks == {"CKV_AWS_144", "CKV2_AWS_62", "CKV_AWS_300", "CKV2_AWS_5", "CKV_AWS_145",
                              "CKV_AWS_338"}   # the app log group: retention is LUX-RET-006's
    # CKV_AWS_145 is skipped only on the access-log bucket (SSE-S3 by design)
    assert {a for c, a, _ in run.skipped if c == "CKV_AWS_145"} == {"aws_s3_bucket.access-logs"}


@pytest.fixture(scope="module")
def iac_reports():
    from luxguard.pipeline import check_infrastructure_code

    return {name: check_infrastructure_code(FIXTURES / name, Settings(), with_checkov=True)
            for name in ("tf_outside", "tf_compliant", "cfn_outside.yaml")}


def _lux(report, rule_id):
    return {(f.status, f.resource.address) for f in report.findings if f.rule_id == rule_id}


def test_terraform_outside_luxembourg_fails_residency_and_checkov_adds_its_own_checks(iac_reports):
    report = iac_reports["tf_outside"]
    assert report.source == "terraform"
    fails = {a for status, a in _lux(report, "LUX-RES-001") if status == Status.FAIL}
    # the provider's region judges resources without their own `region`; one with its own is judged alone
    assert fails == {"aws_s3_bucket.data", "aws_kms_key.data", "aws_s3_bucket.frankfurt"}
    finding = next(f for f in report.findings if f.rule_id == "LUX-RES-001" and f.resource.address == "aws_s3_bucket.frankfurt")
    assert (finding.resource.type, finding.resource.region, finding.resource.source.line) == ("AWS::S3::Bucket", "eu-central-1", 15)
    checkov = {(f.rule_id, f.resource.address) for f in report.findings if f.rule_id.startswith("CKV")}
    assert ("CKV_AWS_144", "aws_s3_bucket.data") not in checkov            # skipped by policy, counted in a note
    # checks a luxguard rule says the same as are merged into the rule, not reported twice
    assert not {c for c, _ in checkov} & {"CKV_AWS_145", "CKV2_AWS_6", "CKV_AWS_18", "CKV_AWS_7"}
    # LUX-RET-001 asks versioning of accounting buckets only: checkov's CKV_AWS_21 stands on the others
    assert ("CKV_AWS_21", "aws_s3_bucket.data") in checkov
    assert any(n.startswith("checkov: ") and "merged into them" in n and "CKV_AWS_145=LUX-ENC-001" in n for n in report.notes)
    assert sum(n.startswith("checkov:") for n in report.notes) <= 2, report.notes


def test_compliant_terraform_passes_every_rule_it_meets(iac_reports):
    report = iac_reports["tf_compliant"]
    lux = [f for f in report.findings if f.rule_id.startswith("LUX-")]
    assert {f.rule_id for f in lux} >= {"LUX-RES-001", "LUX-ENC-005", "LUX-ENC-006", "LUX-RES-004"}
    volume = [f for f in lux if f.resource.type == "AWS::EC2::Volume" and f.rule_id != "LUX-CLS-001"]
    assert volume and all(f.status == Status.PASS for f in volume), [(f.rule_id, f.message) for f in volume]


def test_cloudformation_region_from_metadata_and_checkov_findings_on_logical_ids(iac_reports):
    report = iac_reports["cfn_outside.yaml"]
    assert report.source == "cloudformation"
    assert _lux(report, "LUX-RES-001") == {(Status.FAIL, "Data"), (Status.FAIL, "DataKey")}
    assert (Status.FAIL, "DataKey") in _lux(report, "LUX-ENC-005")
    assert not any(f.rule_id == "CKV_AWS_7" for f in report.findings)      # the same as LUX-ENC-005
    data = next(f for f in report.findings if f.rule_id == "LUX-RES-001" and f.resource.address == "Data")
    assert data.resource.source.line == 7 and data.resource.region == "eu-west-1"
    assert data.resource.id == "customer-data-123456789012"
    assert any(f.rule_id.startswith("CKV") and f.resource.address == "Data" for f in report.findings)


def test_not_iac_is_one_clear_error(tmp_path):
    from luxguard.pipeline import check_infrastructure_code

    other = tmp_path / "notes.yaml"
    other.write_text("hello: world\n")
    with pytest.raises(LuxguardError, match="not a Terraform directory, Terraform plan JSON or CloudFormation"):
        check_infrastructure_code(other, Settings())


def test_missing_checkov_is_one_clear_error(monkeypatch, tmp_path):
    from luxguard.sources.checkov import runner

    monkeypatch.delenv("LUXGUARD_CHECKOV", raising=False)
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LuxguardError, match="checkov is not installed: pipx install checkov==3.3.30"):
        runner.find_checkov()


def test_check_without_with_checkov_never_starts_checkov(tmp_path):
    """A sentinel checkov that records each start; plain `luxguard check` must not touch it, nor
    import the checkov package."""
    sentinel = tmp_path / "started"
    fake = tmp_path / "checkov"
    fake.write_text(f"#!/bin/sh\necho started >> {sentinel}\nexit 3\n")
    fake.chmod(0o755)
    program = write_program(tmp_path / "prog", "t.bucket()")
    code = ("import sys; from cli import run; rc = run(['check', sys.argv[1], '--stack', 'test', '--format', 'json']);"
            "assert not any(m.startswith('luxguard.sources.checkov') for m in sys.modules), 'checkov package imported';"
            "sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(program)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "LUXGUARD_CHECKOV": str(fake), "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert not sentinel.exists()
    json.loads(done.stdout)
