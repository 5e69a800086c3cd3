"""Terraform directories, Terraform plans and CloudFormation templates read into the model:
what is unknown is undecided (error), never a pass; what the user passes makes it known."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import run_cli

LU = 'provider "aws" {\n  region = "lu-central-1"\n}\n'
BUCKET = 'resource "aws_s3_bucket" "data" {\n  bucket = "customer-data"\n  tags = { "data-classification" = "contact" }\n}\n'


def check(capsys, target: Path, *args: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "check", target, "--format", "json", "--without-checkov", *args)
    assert code in (0, 1), err
    return code, json.loads(out), err


def statuses(report: dict, rule_id: str) -> dict[str, str]:
    return {f["resource"]["address"]: f["status"] for f in report["findings"] if f["rule_id"] == rule_id}


def finding(report: dict, rule_id: str, address: str) -> dict:
    return next(f for f in report["findings"] if f["rule_id"] == rule_id and f["resource"]["address"] == address)


def terraform(tmp_path: Path, text: str, name: str = "tf") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "main.tf").write_text(text)
    return folder


def test_region_from_a_variable_without_default_is_undecided_until_passed(tmp_path, capsys):
    folder = terraform(tmp_path, 'variable "region" {}\nprovider "aws" {\n  region = var.region\n}\n' + BUCKET)
    _, report, _ = check(capsys, folder)
    residency = finding(report, "LUX-RES-001", "aws_s3_bucket.data")
    assert residency["status"] == "error" and "--var region=" in residency["message"]
    assert report["summary"]["errors"] >= 1 and residency["resource"]["region"] is None
    # rules that do not read the region still decide
    assert finding(report, "LUX-ENC-001", "aws_s3_bucket.data")["status"] == "fail"
    _, passed, _ = check(capsys, folder, "--var", "region=lu-central-1")
    assert statuses(passed, "LUX-RES-001") == {"aws_s3_bucket.data": "pass"}
    (folder / "prod.tfvars").write_text('region = "eu-west-1"\n')
    _, failed, _ = check(capsys, folder, "--var-file", str(folder / "prod.tfvars"))
    assert statuses(failed, "LUX-RES-001") == {"aws_s3_bucket.data": "fail"}
    assert finding(failed, "LUX-RES-001", "aws_s3_bucket.data")["resource"]["country"] == "IE"


def test_no_provider_block_is_undecided_not_passed(tmp_path, capsys):
    folder = terraform(tmp_path, BUCKET + 'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n')
    code, report, _ = check(capsys, folder, "--fail-on", "critical")
    assert code == 1                      # undecided residency fails the gate
    assert check(capsys, folder, "--fail-on", "critical", "--allow-errors")[0] == 0
    assert statuses(report, "LUX-RES-001") == {"aws_s3_bucket.data": "error", "aws_kms_key.k": "error"}
    assert 'provider "aws"' in finding(report, "LUX-RES-001", "aws_kms_key.k")["message"]
    assert statuses(report, "LUX-ENC-005") == {"aws_kms_key.k": "pass"}


def test_null_default_kms_variable_is_not_a_customer_managed_key(tmp_path, capsys):
    folder = terraform(tmp_path, LU + 'variable "kms_key_id" {\n  default = null\n}\n'
                       'resource "aws_db_instance" "db" {\n  identifier = "orders"\n  engine = "postgres"\n'
                       '  storage_encrypted = true\n  kms_key_id = var.kms_key_id\n}\n')
    _, report, _ = check(capsys, folder)
    assert statuses(report, "LUX-ENC-008") == {"aws_db_instance.db": "fail"}
    arn = "arn:aws:kms:lu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    _, given, _ = check(capsys, folder, "--var", f"kms_key_id={arn}")
    assert statuses(given, "LUX-ENC-008") == {"aws_db_instance.db": "pass"}


def test_a_value_known_only_at_apply_is_undecided(tmp_path, capsys):
    folder = terraform(tmp_path, LU + 'data "aws_iam_policy_document" "p" {}\n' + BUCKET +
                       'resource "aws_s3_bucket_policy" "p" {\n  bucket = aws_s3_bucket.data.id\n'
                       '  policy = data.aws_iam_policy_document.p.json\n}\n')
    _, report, _ = check(capsys, folder)
    tls = finding(report, "LUX-ENC-003", "aws_s3_bucket.data")
    assert tls["status"] == "error" and "data source" in tls["message"]


def plan_of_a_module() -> dict:
    """`terraform show -json` of a root module calling module "db" (a provider region from a variable)."""
    key = "module.db.aws_kms_key.db"
    return {
        "format_version": "1.2", "terraform_version": "1.9.8",
        "variables": {"region": {"value": "lu-central-1"}},
        "planned_values": {"root_module": {"child_modules": [{"address": "module.db", "resources": [
            {"address": key, "mode": "managed", "type": "aws_kms_key", "name": "db",
             "values": {"enable_key_rotation": False}},
            {"address": "module.db.aws_db_instance.main[0]", "mode": "managed", "type": "aws_db_instance",
             "name": "main", "index": 0,
             "values": {"identifier": "orders", "engine": "postgres", "storage_encrypted": True,
                        "publicly_accessible": True, "tags": {"data-classification": "contact"}}},
        ]}]}},
        "resource_changes": [
            {"address": key, "change": {"actions": ["create"], "after_unknown": {"arn": True, "key_id": True}}},
            {"address": "module.db.aws_db_instance.main[0]",
             "change": {"actions": ["create"], "after_unknown": {"kms_key_id": True, "endpoint": True}}},
        ],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}}},
            "root_module": {"module_calls": {"db": {"source": "./db", "module": {"resources": [
                {"address": "aws_kms_key.db", "type": "aws_kms_key", "name": "db", "provider_config_key": "aws"},
                {"address": "aws_db_instance.main", "type": "aws_db_instance", "name": "main",
                 "provider_config_key": "aws",
                 "expressions": {"kms_key_id": {"references": ["aws_kms_key.db.arn", "aws_kms_key.db"]}}},
            ]}}}},
        },
    }


def test_plan_json_of_a_module_keeps_full_addresses_and_resolves_references(tmp_path, capsys):
    plan = tmp_path / "tfplan.json"
    plan.write_text(json.dumps(plan_of_a_module(), indent=1))
    code, report, _ = check(capsys, plan)
    assert code == 1 and report["source"] == "terraform"
    db = finding(report, "LUX-ACC-007", "module.db.aws_db_instance.main[0]")
    assert db["status"] == "fail" and db["resource"]["type"] == "AWS::RDS::DBInstance"
    assert db["resource"]["id"] == "orders" and db["resource"]["region"] == "lu-central-1"
    assert db["resource"]["source"]["file"] == str(plan) and db["resource"]["source"]["line"] > 1
    # kms_key_id is unknown in the plan but refers to the module's key: a customer-managed key in LU
    assert statuses(report, "LUX-ENC-008") == {"module.db.aws_db_instance.main[0]": "pass"}
    assert statuses(report, "LUX-ENC-005") == {"module.db.aws_kms_key.db": "fail"}


HARDENED = """AWSTemplateFormatVersion: "2010-09-09"
Description: customer data in Luxembourg, hardened
Metadata:
  luxguard:
    region: lu-central-1
Parameters:
  AllowedCidr:
    Type: String
    Default: 10.20.0.0/16
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Account
            Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: "kms:*"
            Resource: "*"
  AccessLogs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "access-logs-${AWS::AccountId}"
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        IgnorePublicAcls: true
        BlockPublicPolicy: true
        RestrictPublicBuckets: true
      VersioningConfiguration: {Status: Enabled}
      OwnershipControls: {Rules: [{ObjectOwnership: BucketOwnerEnforced}]}
      LifecycleConfiguration:
        Rules: [{Id: noncurrent, Status: Enabled, NoncurrentVersionExpiration: {NoncurrentDays: 90}}]
      Tags:
        - {Key: data-classification, Value: technical}
        - {Key: "luxguard:role", Value: access-logs}
  AccessLogsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref AccessLogs
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyInsecureTransport
            Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [!GetAtt AccessLogs.Arn, !Sub "${AccessLogs.Arn}/*"]
            Condition: {Bool: {"aws:SecureTransport": "false"}}
          - Sid: AllowS3ServerAccessLogs
            Effect: Allow
            Principal: {Service: logging.s3.amazonaws.com}
            Action: "s3:PutObject"
            Resource: !Sub "${AccessLogs.Arn}/*"
            Condition: {StringEquals: {"aws:SourceAccount": !Ref "AWS::AccountId"}}
  CustomerData:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "customer-data-${AWS::AccountId}"
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: !GetAtt DataKey.Arn}
            BucketKeyEnabled: true
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        IgnorePublicAcls: true
        BlockPublicPolicy: true
        RestrictPublicBuckets: true
      VersioningConfiguration: {Status: Enabled}
      LoggingConfiguration: {DestinationBucketName: !Ref AccessLogs, LogFilePrefix: customer-data/}
      OwnershipControls: {Rules: [{ObjectOwnership: BucketOwnerEnforced}]}
      LifecycleConfiguration:
        Rules:
          - {Id: expire, Status: Enabled, ExpirationInDays: 365}
          - {Id: noncurrent, Status: Enabled, NoncurrentVersionExpiration: {NoncurrentDays: 90}}
      Tags: [{Key: data-classification, Value: contact}]
  CustomerDataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref CustomerData
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyInsecureTransport
            Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [!GetAtt CustomerData.Arn, !Sub "${CustomerData.Arn}/*"]
            Condition: {Bool: {"aws:SecureTransport": "false"}}
          - Sid: DenyUnencryptedUploads
            Effect: Deny
            Principal: "*"
            Action: "s3:PutObject"
            Resource: !Sub "${CustomerData.Arn}/*"
            Condition: {StringNotEquals: {"s3:x-amz-server-side-encryption": "aws:kms"}}
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceIdentifier: orders
      Engine: postgres
      DBInstanceClass: db.t3.micro
      AllocatedStorage: "20"
      StorageEncrypted: true
      KmsKeyId: !Ref DataKey
      PubliclyAccessible: false
      Tags: [{Key: data-classification, Value: contact}]
  DatabaseFirewall:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: database clients
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: !Ref AllowedCidr}
      SecurityGroupEgress: []
  Volume:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: lu-central-1a
      Size: 10
      Encrypted: true
      KmsKeyId: !GetAtt DataKey.Arn
      Tags: [{Key: data-classification, Value: billing}]
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !GetAtt DataKey.Arn}
      Tags: [{Key: data-classification, Value: billing}]
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: audit
      S3BucketName: !Ref AccessLogs
      IsLogging: true
      IsMultiRegionTrail: true
      EnableLogFileValidation: true
"""


@pytest.fixture
def hardened(tmp_path: Path) -> Path:
    path = tmp_path / "hardened.yaml"
    path.write_text(HARDENED)
    return path


def test_hardened_luxembourg_template_passes_every_rule(hardened, capsys):
    code, report, _ = check(capsys, hardened)
    failing = [(f["rule_id"], f["resource"]["address"], f["message"]) for f in report["findings"] if f["status"] != "pass"]
    assert code == 0 and failing == []
    rules = {f["rule_id"] for f in report["findings"]}
    assert len(rules) >= 25 and {"LUX-RES-001", "LUX-ACC-005", "LUX-ENC-001", "LUX-ENC-003", "LUX-LOG-001"} <= rules
    assert report["summary"]["resources"] == 8 and report["source"] == "cloudformation"
    data = finding(report, "LUX-RES-001", "CustomerData")
    assert data["resource"]["type"] == "AWS::S3::Bucket" and data["resource"]["id"] == "customer-data-123456789012"
    assert data["resource"]["source"] == {"file": str(hardened), "line": 61}


def test_template_without_region_is_undecided_and_region_flag_decides(tmp_path, capsys):
    path = tmp_path / "noregion.yaml"
    path.write_text(HARDENED.replace("Metadata:\n  luxguard:\n    region: lu-central-1\n", ""))
    _, report, _ = check(capsys, path)
    residency = finding(report, "LUX-RES-001", "CustomerData")
    assert residency["status"] == "error" and "--region" in residency["message"]
    _, passed, _ = check(capsys, path, "--region", "lu-central-1")
    assert all(f["status"] == "pass" for f in passed["findings"])
    _, abroad, _ = check(capsys, path, "--region", "eu-west-1")
    assert statuses(abroad, "LUX-RES-001")["Orders"] == "fail"


def test_parameter_overriding_the_cidr_with_the_world_fails_database_ports(hardened, capsys):
    code, report, _ = check(capsys, hardened, "--parameter", "AllowedCidr=0.0.0.0/0")
    assert code == 1
    failing = {(f["rule_id"], f["resource"]["address"]) for f in report["findings"] if f["status"] == "fail"}
    assert failing == {("LUX-ACC-005", "DatabaseFirewall")}


def test_a_parameter_without_default_is_undecided(hardened, capsys, tmp_path):
    path = tmp_path / "nodefault.yaml"
    path.write_text(HARDENED.replace("    Default: 10.20.0.0/16\n", ""))
    _, report, _ = check(capsys, path)
    ports = finding(report, "LUX-ACC-005", "DatabaseFirewall")
    assert ports["status"] == "error" and "--parameter AllowedCidr=" in ports["message"]


def test_every_format_names_address_and_source_line(tmp_path, capsys):
    folder = terraform(tmp_path, LU + 'resource "aws_security_group" "db" {\n  name = "db"\n  ingress {\n'
                       '    protocol = "tcp"\n    from_port = 5432\n    to_port = 5432\n    cidr_blocks = ["0.0.0.0/0"]\n'
                       '  }\n}\n')
    code, text, _ = run_cli(capsys, "check", folder, "--without-checkov")
    assert code == 1 and "aws_security_group.db" in text and "main.tf:4" in text and "lu-central-1 (LU)" in text
    _, sarif, _ = run_cli(capsys, "check", folder, "--without-checkov", "--format", "sarif")
    result = json.loads(sarif)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "main.tf"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_security_group.db"
    _, junit, _ = run_cli(capsys, "check", folder, "--without-checkov", "--format", "junit")
    case = next(c for c in ET.fromstring(junit).iter("testcase") if c.find("failure") is not None)
    assert "aws_security_group.db" in case.get("name") and "main.tf:4" in case.find("failure").text
    _, report, _ = check(capsys, folder)
    ports = finding(report, "LUX-ACC-005", "aws_security_group.db")
    assert ports["resource"]["type"] == "AWS::EC2::SecurityGroup" and ports["resource"]["name"] == "db"


def test_local_modules_are_evaluated_with_their_variables(tmp_path, capsys):
    root = terraform(tmp_path, LU + 'module "store" {\n  source = "./store"\n  name = "orders-lu"\n}\n')
    (root / "store").mkdir()
    (root / "store" / "main.tf").write_text('variable "name" {}\nvariable "encrypted" {\n  default = false\n}\n'
                                            'resource "aws_ebs_volume" "v" {\n  availability_zone = "lu-central-1a"\n'
                                            '  size = 1\n  encrypted = var.encrypted\n  tags = { Name = var.name }\n}\n')
    _, report, _ = check(capsys, root)
    assert statuses(report, "LUX-ENC-006") == {"module.store.aws_ebs_volume.v": "fail"}
    assert statuses(report, "LUX-RES-001") == {"module.store.aws_ebs_volume.v": "pass"}


def test_unparseable_terraform_is_one_line_and_exit_2(tmp_path, capsys):
    folder = terraform(tmp_path, 'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n')
    code, _, err = run_cli(capsys, "check", folder)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "main.tf" in err and "not valid HCL" in err


def test_not_modelled_types_are_listed_in_notes(tmp_path, capsys):
    folder = terraform(tmp_path, LU + BUCKET + 'resource "aws_route53_zone" "q" {}\nresource "aws_route53_zone" "r" {}\n')
    _, report, _ = check(capsys, folder)
    assert "not modelled: aws_route53_zone (2)" in report["notes"]


def test_bombs_are_refused_with_one_line(tmp_path, capsys):
    folder = terraform(tmp_path, LU + 'resource "aws_s3_bucket" "b" {\n  count = 100000000\n}\n')
    code, _, err = run_cli(capsys, "check", folder, "--without-checkov")
    assert code == 2 and "count must be a number from 0 to 10000" in err and len(err.strip().splitlines()) == 1
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources: {}", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
              f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]"
              for n in range(8)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli(capsys, "check", bomb, "--without-checkov")
    assert code == 2 and "aliases are expanded" in err and len(err.strip().splitlines()) == 1
