"""Copy-pasteable fix commands for the Markdown summary, where one command obviously fixes the finding.

Every value taken from a finding (resource id, region) is shell-quoted: resource names are untrusted,
and a reviewer pasting a fix must never run something a bucket's name smuggled in.
Placeholders the reader must fill in are written <LIKE-THIS> (and quoted, so a paste fails safely).
"""

from __future__ import annotations

import shlex
from typing import Any

_KEY = "'<LU-CMK-ARN>'"          # the designated Luxembourg customer-managed key

# rule id -> (resource type the command is for, command templates); {id} and {region} are shell-quoted.
COMMANDS: dict[str, tuple[str, list[str]]] = {
    "LUX-ACC-001": ("AWS::S3::Bucket", [
        "aws s3api put-public-access-block --bucket {id}{region} --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"]),
    "LUX-ACC-003": ("AWS::S3::Bucket", [
        "aws s3api put-bucket-acl --bucket {id}{region} --acl private",
        "aws s3api put-bucket-ownership-controls --bucket {id}{region} "
        "--ownership-controls 'Rules=[{{ObjectOwnership=BucketOwnerEnforced}}]'"]),
    "LUX-ACC-007": ("AWS::RDS::DBInstance", [
        "aws rds modify-db-instance --db-instance-identifier {id}{region} --no-publicly-accessible --apply-immediately"]),
    "LUX-ACC-008": ("AWS::EC2::Snapshot", [
        "aws ec2 modify-snapshot-attribute --snapshot-id {id}{region} --attribute createVolumePermission "
        "--operation-type remove --group-names all"]),
    "LUX-ACC-010": ("AWS::S3::Bucket", [
        "aws s3api put-bucket-ownership-controls --bucket {id}{region} "
        "--ownership-controls 'Rules=[{{ObjectOwnership=BucketOwnerEnforced}}]'"]),
    "LUX-ENC-001": ("AWS::S3::Bucket", [
        "aws s3api put-bucket-encryption --bucket {id}{region} --server-side-encryption-configuration "
        "'{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"aws:kms\","
        "\"KMSMasterKeyID\":\"<LU-CMK-ARN>\"}},\"BucketKeyEnabled\":true}}]}}'"]),
    "LUX-ENC-002": ("AWS::S3::Bucket", [
        "aws s3api put-bucket-encryption --bucket {id}{region} --server-side-encryption-configuration "
        "'{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'"]),
    "LUX-ENC-005": ("AWS::KMS::Key", ["aws kms enable-key-rotation --key-id {id}{region}"]),
    "LUX-ENC-009": ("AWS::DynamoDB::Table", [
        "aws dynamodb update-table --table-name {id}{region} "
        "--sse-specification Enabled=true,SSEType=KMS,KMSMasterKeyId=" + _KEY]),
    "LUX-ENC-010": ("AWS::EC2::EBSEncryptionByDefault", [
        "aws ec2 enable-ebs-encryption-by-default{region}",
        "aws ec2 modify-ebs-default-kms-key-id --kms-key-id " + _KEY + "{region}"]),
    "LUX-LOG-002": ("AWS::CloudTrail::Trail", [
        "aws cloudtrail update-trail --name {id}{region} --is-multi-region-trail --enable-log-file-validation",
        "aws cloudtrail start-logging --name {id}{region}"]),
    "LUX-RET-001": ("AWS::S3::Bucket", [
        "aws s3api put-bucket-versioning --bucket {id}{region} --versioning-configuration Status=Enabled"]),
}

# rule id -> a line for the Pulumi program (comment-style, so a paste into a shell does nothing).
PULUMI: dict[str, str] = {
    "LUX-CLS-001": 'tags={**tags, "data-classification": "<categories joined by +, e.g. billing+contact>"}',
    "LUX-ACC-007": "publicly_accessible=False",
    "LUX-ENC-008": "storage_encrypted=True, kms_key_id=<LU-CMK-ARN>  # replace the instance from an encrypted snapshot",
    "LUX-ENC-006": "encrypted=True, kms_key_id=<LU-CMK-ARN>  # on a new volume, then migrate",
    "LUX-RES-001": 'provider=aws.Provider("lu", region="lu-central-1")  # recreate there and migrate',
}


def resource_commands(finding: dict[str, Any]) -> list[str]:
    """Shell commands fixing one failing finding on its resource (empty when none obviously does)."""
    command = COMMANDS.get(finding["rule_id"])
    if not command or command[0] != finding["resource_type"]:
        return []
    region = finding.get("region")
    region_flag = f" --region {shlex.quote(region)}" if region and region != "unknown" else ""
    values = {"id": shlex.quote(finding["resource_id"]), "region": region_flag}
    return [template.format(**values) for template in command[1]]


def rule_lines(rule_id: str, has_action: bool) -> list[str]:
    """Rule-wide hints: the Pulumi change, and luxguard's own repair where the rule has one."""
    lines = []
    if rule_id in PULUMI:
        lines.append(f"# Pulumi: {PULUMI[rule_id]}")
    if has_action:
        lines.append(f"luxguard enforce --rule {shlex.quote(rule_id)}   # dry run shows the plan; add --apply to repair")
    return lines


def fixes_by_rule(failing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One fix block per failing rule: its remediation, then a command per failing resource, then rule hints."""
    groups: dict[str, dict[str, Any]] = {}
    for finding in failing:
        group = groups.setdefault(finding["rule_id"], {
            "rule_id": finding["rule_id"], "title": finding["title"], "severity": finding["severity"],
            "remediation": finding["remediation"], "findings": [], "lines": []})
        group["findings"].append(finding)
        for line in resource_commands(finding):
            if line not in group["lines"]:
                group["lines"].append(line)
    for group in groups.values():
        group["lines"] += rule_lines(group["rule_id"], any(f["has_action"] for f in group["findings"]))
    return list(groups.values())
