"""Terraform resource types read as their pulumi-aws twins.

pulumi-aws is generated from terraform-provider-aws: the arguments are the same, spelled
camelCase, and a block that may appear once is an object where Terraform writes a one-element
list of blocks. So each type needs only its pulumi type, the blocks that repeat (kept as lists,
under pulumi's plural name) and the argument naming the physical resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from luxguard.sources.iac_common import Unknown

# Terraform meta-arguments: never resource inputs.
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection",
                  "timeouts", "tags_all"}


@dataclass(frozen=True)
class TerraformType:
    terraform_type: str
    pulumi_type: str
    physical_name: Optional[str] = None                          # argument naming the cloud resource
    repeated_blocks: dict[str, str] = field(default_factory=dict)   # Terraform block -> pulumi list input

    def arn(self, physical_id: str) -> str:
        """What `<address>.arn` stands for: the normaliser finds resources by id, buckets by ARN."""
        return f"arn:aws:s3:::{physical_id}" if self.terraform_type == "aws_s3_bucket" else physical_id


def _types(*entries: TerraformType) -> dict[str, TerraformType]:
    return {t.terraform_type: t for t in entries}


_S3 = "aws:s3/"
TERRAFORM_TYPES: dict[str, TerraformType] = _types(
    TerraformType("aws_s3_bucket", f"{_S3}bucket:Bucket", "bucket"),
    TerraformType("aws_s3_bucket_server_side_encryption_configuration",
                  f"{_S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  repeated_blocks={"rule": "rules"}),
    TerraformType("aws_s3_bucket_public_access_block", f"{_S3}bucketPublicAccessBlock:BucketPublicAccessBlock"),
    TerraformType("aws_s3_bucket_policy", f"{_S3}bucketPolicy:BucketPolicy"),
    TerraformType("aws_s3_bucket_versioning", f"{_S3}bucketVersioning:BucketVersioning"),
    TerraformType("aws_s3_bucket_logging", f"{_S3}bucketLogging:BucketLogging"),
    TerraformType("aws_s3_bucket_lifecycle_configuration",
                  f"{_S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                  repeated_blocks={"rule": "rules", "transition": "transitions",
                                   "noncurrent_version_transition": "noncurrentVersionTransitions"}),
    TerraformType("aws_s3_bucket_object_lock_configuration",
                  f"{_S3}bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
    TerraformType("aws_s3_bucket_replication_configuration", f"{_S3}bucketReplicationConfig:BucketReplicationConfig",
                  repeated_blocks={"rule": "rules"}),
    TerraformType("aws_s3_bucket_ownership_controls", f"{_S3}bucketOwnershipControls:BucketOwnershipControls"),
    TerraformType("aws_s3_bucket_acl", f"{_S3}bucketAcl:BucketAcl", repeated_blocks={"grant": "grants"}),
    TerraformType("aws_s3_account_public_access_block", f"{_S3}accountPublicAccessBlock:AccountPublicAccessBlock"),
    TerraformType("aws_kms_key", "aws:kms/key:Key"),
    TerraformType("aws_kms_alias", "aws:kms/alias:Alias"),
    TerraformType("aws_security_group", "aws:ec2/securityGroup:SecurityGroup", "name",
                  repeated_blocks={"ingress": "ingress", "egress": "egress"}),
    TerraformType("aws_default_security_group", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                  repeated_blocks={"ingress": "ingress", "egress": "egress"}),
    TerraformType("aws_vpc_security_group_ingress_rule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
    TerraformType("aws_vpc_security_group_egress_rule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
    TerraformType("aws_security_group_rule", "aws:ec2/securityGroupRule:SecurityGroupRule"),
    TerraformType("aws_ebs_volume", "aws:ebs/volume:Volume"),
    TerraformType("aws_ebs_snapshot", "aws:ebs/snapshot:Snapshot"),
    TerraformType("aws_ebs_snapshot_copy", "aws:ebs/snapshotCopy:SnapshotCopy"),
    TerraformType("aws_ebs_encryption_by_default", "aws:ebs/encryptionByDefault:EncryptionByDefault"),
    TerraformType("aws_snapshot_create_volume_permission",
                  "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"),
    TerraformType("aws_db_instance", "aws:rds/instance:Instance", "identifier"),
    TerraformType("aws_dynamodb_table", "aws:dynamodb/table:Table", "name",
                  repeated_blocks={"replica": "replicas", "attribute": "attributes",
                                   "global_secondary_index": "globalSecondaryIndexes"}),
    TerraformType("aws_cloudtrail", "aws:cloudtrail/trail:Trail", "name",
                  repeated_blocks={"event_selector": "eventSelectors"}),
)


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _is_blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def to_inputs(values: dict[str, Any], kind: TerraformType) -> dict[str, Any]:
    """Terraform arguments and blocks -> pulumi-aws inputs."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in META_ARGUMENTS:
            continue
        if key in kind.repeated_blocks and isinstance(value, list):
            out[kind.repeated_blocks[key]] = [_block(v, kind) if isinstance(v, dict) else v for v in value]
        elif _is_blocks(value):
            out[camel_case(key)] = _block(value[0], kind)
        else:
            out[camel_case(key)] = value
    return out


def _block(values: dict[str, Any], kind: TerraformType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Unknown):
            out[camel_case(key)] = value
        elif key in kind.repeated_blocks and isinstance(value, list):
            out[kind.repeated_blocks[key]] = [_block(v, kind) if isinstance(v, dict) else v for v in value]
        elif _is_blocks(value):
            out[camel_case(key)] = _block(value[0], kind)
        else:
            out[camel_case(key)] = value
    return out
