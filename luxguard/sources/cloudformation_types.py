"""CloudFormation resource types read as their pulumi-aws twins.

CloudFormation declares a bucket's encryption, public access block, versioning, logging,
lifecycle, ownership, replication, object lock and ACL inside `AWS::S3::Bucket`; pulumi-aws and
Terraform declare them as child resources. Each is read here as the child pulumi-aws resource it
is, so the one normaliser folds it exactly as it folds a Pulumi or Terraform child.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

from luxguard.sources.iac_common import DeclaredResource, Unknown, first_unknown

Converter = Callable[["Template", str, dict], list[DeclaredResource]]   # noqa: F821 - cloudformation.Template

CANNED_ACLS = {"Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
               "AuthenticatedRead": "authenticated-read", "LogDeliveryWrite": "log-delivery-write",
               "BucketOwnerRead": "bucket-owner-read", "BucketOwnerFullControl": "bucket-owner-full-control",
               "AwsExecRead": "aws-exec-read"}
ALL_TRAFFIC_EGRESS = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]


@dataclass(frozen=True)
class CloudFormationType:
    cfn_type: str
    physical_name: Optional[str]
    convert: Converter


def tags(properties: dict) -> Any:
    raw = properties.get("Tags")
    if raw is None:
        return {}
    if isinstance(raw, dict):            # AWS::SSM-style map tags
        return raw
    if first_unknown(raw) is not None:
        return first_unknown(raw)
    return {str(t.get("Key")): t.get("Value") for t in raw if isinstance(t, dict)}


def policy_json(document: Any) -> Any:
    if document is None or isinstance(document, (str, Unknown)):
        return document
    unknown = first_unknown(document)
    return unknown if unknown is not None else json.dumps(document, sort_keys=True)


def _entry(template, logical_id: str, pulumi_type: str, inputs: dict, suffix: str = "") -> DeclaredResource:
    resource = template.resources[logical_id]
    return DeclaredResource(address=template.address(logical_id) + suffix, declared_type=str(resource["Type"]),
                            pulumi_type=pulumi_type, name=logical_id,
                            id=template.physical_id(logical_id) if not suffix else template.address(logical_id) + suffix,
                            inputs=inputs, region=template.region)


def _bucket(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    bucket_id = template.physical_id(logical_id)
    out = [_entry(template, logical_id, "aws:s3/bucket:Bucket",
                  {"bucket": p.get("BucketName"), "tags": tags(p), "objectLockEnabled": p.get("ObjectLockEnabled")})]

    def child(pulumi_type: str, suffix: str, inputs: dict) -> None:
        out.append(_entry(template, logical_id, pulumi_type, {"bucket": bucket_id, **inputs}, f"#{suffix}"))

    if "BucketEncryption" in p:
        rules = (p["BucketEncryption"] or {}).get("ServerSideEncryptionConfiguration") or []
        child("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption",
              {"rules": [{"applyServerSideEncryptionByDefault": {
                  "sseAlgorithm": (r.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm"),
                  "kmsMasterKeyId": (r.get("ServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")},
                  "bucketKeyEnabled": r.get("BucketKeyEnabled")} for r in rules]})
    if "PublicAccessBlockConfiguration" in p:
        pab = p["PublicAccessBlockConfiguration"] or {}
        child("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access-block",
              {"blockPublicAcls": pab.get("BlockPublicAcls"), "ignorePublicAcls": pab.get("IgnorePublicAcls"),
               "blockPublicPolicy": pab.get("BlockPublicPolicy"),
               "restrictPublicBuckets": pab.get("RestrictPublicBuckets")})
    if "VersioningConfiguration" in p:
        child("aws:s3/bucketVersioning:BucketVersioning", "versioning",
              {"versioningConfiguration": {"status": (p["VersioningConfiguration"] or {}).get("Status")}})
    if "LoggingConfiguration" in p:
        logging = p["LoggingConfiguration"] or {}
        child("aws:s3/bucketLogging:BucketLogging", "logging",
              {"targetBucket": logging.get("DestinationBucketName", bucket_id)})
    if "LifecycleConfiguration" in p:
        rules = (p["LifecycleConfiguration"] or {}).get("Rules") or []
        child("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle",
              {"rules": [_lifecycle_rule(r) for r in rules]})
    if "OwnershipControls" in p:
        rules = (p["OwnershipControls"] or {}).get("Rules") or [{}]
        child("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership",
              {"rule": {"objectOwnership": rules[0].get("ObjectOwnership")}})
    if "ReplicationConfiguration" in p:
        rules = (p["ReplicationConfiguration"] or {}).get("Rules") or []
        child("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "replication",
              {"rules": [{"status": r.get("Status", "Enabled"),
                          "destination": {"bucket": (r.get("Destination") or {}).get("Bucket")}} for r in rules]})
    if "ObjectLockConfiguration" in p:
        lock = p["ObjectLockConfiguration"] or {}
        retention = ((lock.get("Rule") or {}).get("DefaultRetention") or {})
        child("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock",
              {"objectLockEnabled": lock.get("ObjectLockEnabled", "Enabled"),
               "rule": {"defaultRetention": {"days": retention.get("Days"), "years": retention.get("Years")}}})
    if "AccessControl" in p:
        acl = p["AccessControl"]
        child("aws:s3/bucketAcl:BucketAcl", "acl", {"acl": CANNED_ACLS.get(acl, acl) if isinstance(acl, str) else acl})
    return out


def _lifecycle_rule(rule: dict) -> dict:
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    noncurrent_days = noncurrent.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    return {"status": rule.get("Status"),
            "expiration": {"days": rule.get("ExpirationInDays")} if rule.get("ExpirationInDays") is not None else None,
            "noncurrentVersionExpiration": {"noncurrentDays": noncurrent_days} if noncurrent_days is not None else None}


def _bucket_policy(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    return [_entry(template, logical_id, "aws:s3/bucketPolicy:BucketPolicy",
                   {"bucket": p.get("Bucket"), "policy": policy_json(p.get("PolicyDocument"))})]


def _kms_key(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    return [_entry(template, logical_id, "aws:kms/key:Key",
                   {"enableKeyRotation": p.get("EnableKeyRotation"), "policy": policy_json(p.get("KeyPolicy")),
                    "isEnabled": p.get("Enabled", True), "tags": tags(p)})]


def _kms_alias(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    return [_entry(template, logical_id, "aws:kms/alias:Alias", {"name": p.get("AliasName"),
                                                                  "targetKeyId": p.get("TargetKeyId")})]


def _sg_rule(rule: dict) -> dict:
    def listed(key: str) -> list:
        return [rule[key]] if rule.get(key) is not None else []

    return {"protocol": rule.get("IpProtocol"), "fromPort": rule.get("FromPort"), "toPort": rule.get("ToPort"),
            "cidrBlocks": listed("CidrIp"), "ipv6CidrBlocks": listed("CidrIpv6"),
            "securityGroups": [*listed("SourceSecurityGroupId"), *listed("DestinationSecurityGroupId"),
                               *listed("SourcePrefixListId"), *listed("DestinationPrefixListId")],
            "description": rule.get("Description")}


def _security_group(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    ingress, egress = p.get("SecurityGroupIngress") or [], p.get("SecurityGroupEgress")
    unknown = first_unknown(ingress)
    return [_entry(template, logical_id, "aws:ec2/securityGroup:SecurityGroup", {
        "name": p.get("GroupName"), "vpcId": p.get("VpcId"), "tags": tags(p),
        "ingress": unknown or [_sg_rule(r) for r in ingress],
        # CloudFormation, like the EC2 API, allows all egress when a group declares none
        "egress": first_unknown(egress) or ([_sg_rule(r) for r in egress] if egress is not None else ALL_TRAFFIC_EGRESS),
    })]


def _sg_ingress(template, logical_id: str, p: dict, pulumi_type: str, peer: str) -> list[DeclaredResource]:
    return [_entry(template, logical_id, pulumi_type, {
        "securityGroupId": p.get("GroupId", p.get("GroupName")), "ipProtocol": p.get("IpProtocol"),
        "fromPort": p.get("FromPort"), "toPort": p.get("ToPort"), "cidrIpv4": p.get("CidrIp"),
        "cidrIpv6": p.get("CidrIpv6"), "referencedSecurityGroupId": p.get(f"{peer}SecurityGroupId"),
        "prefixListId": p.get(f"{peer}PrefixListId"), "description": p.get("Description")})]


def _volume(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    return [_entry(template, logical_id, "aws:ebs/volume:Volume", {
        "encrypted": p.get("Encrypted"), "kmsKeyId": p.get("KmsKeyId"), "tags": tags(p),
        "availabilityZone": p.get("AvailabilityZone"), "size": p.get("Size")})]


def _db_instance(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    public = p.get("PubliclyAccessible")
    if public is None:
        # RDS decides from the default VPC when no subnet group is named
        public = False if p.get("DBSubnetGroupName") else Unknown(
            "PubliclyAccessible is not set and no DBSubnetGroupName: RDS decides from the default VPC; "
            "set PubliclyAccessible: false")
    encrypted = p.get("StorageEncrypted", True if p.get("KmsKeyId") else None)
    return [_entry(template, logical_id, "aws:rds/instance:Instance", {
        "identifier": p.get("DBInstanceIdentifier"), "engine": p.get("Engine"), "storageEncrypted": encrypted,
        "kmsKeyId": p.get("KmsKeyId"), "publiclyAccessible": public, "tags": tags(p)})]


def _table(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    sse = p.get("SSESpecification") or {}
    return [_entry(template, logical_id, "aws:dynamodb/table:Table", {
        "name": p.get("TableName"), "tags": tags(p),
        "serverSideEncryption": {"enabled": sse.get("SSEEnabled"), "kmsKeyArn": sse.get("KMSMasterKeyId")}
        if sse else None})]


def _global_table(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    replicas = p.get("Replicas") or []
    if first_unknown(replicas) is not None:
        own, others = {}, first_unknown(replicas)
    else:
        own = next((r for r in replicas if r.get("Region") == template.region), {})
        others = [{"regionName": r.get("Region")} for r in replicas if r.get("Region") != template.region]
    sse = p.get("SSESpecification") or {}
    key = (own.get("SSESpecification") or {}).get("KMSMasterKeyId") if isinstance(own, dict) else None
    return [_entry(template, logical_id, "aws:dynamodb/table:Table", {
        "name": p.get("TableName"), "tags": tags(own) if own else {}, "replicas": others,
        "serverSideEncryption": {"enabled": sse.get("SSEEnabled"), "kmsKeyArn": key} if sse else None})]


def _trail(template, logical_id: str, p: dict) -> list[DeclaredResource]:
    return [_entry(template, logical_id, "aws:cloudtrail/trail:Trail", {
        "name": p.get("TrailName"), "s3BucketName": p.get("S3BucketName"),
        "isMultiRegionTrail": p.get("IsMultiRegionTrail"), "enableLogFileValidation": p.get("EnableLogFileValidation"),
        "enableLogging": p.get("IsLogging", True), "tags": tags(p)})]


def _types(*entries: CloudFormationType) -> dict[str, CloudFormationType]:
    return {t.cfn_type: t for t in entries}


CLOUDFORMATION_TYPES: dict[str, CloudFormationType] = _types(
    CloudFormationType("AWS::S3::Bucket", "BucketName", _bucket),
    CloudFormationType("AWS::S3::BucketPolicy", None, _bucket_policy),
    CloudFormationType("AWS::KMS::Key", None, _kms_key),
    CloudFormationType("AWS::KMS::Alias", None, _kms_alias),
    CloudFormationType("AWS::EC2::SecurityGroup", "GroupName", _security_group),
    CloudFormationType("AWS::EC2::SecurityGroupIngress", None, lambda t, i, p: _sg_ingress(
        t, i, p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "Source")),
    CloudFormationType("AWS::EC2::SecurityGroupEgress", None, lambda t, i, p: _sg_ingress(
        t, i, p, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "Destination")),
    CloudFormationType("AWS::EC2::Volume", None, _volume),
    CloudFormationType("AWS::RDS::DBInstance", "DBInstanceIdentifier", _db_instance),
    CloudFormationType("AWS::DynamoDB::Table", "TableName", _table),
    CloudFormationType("AWS::DynamoDB::GlobalTable", "TableName", _global_table),
    CloudFormationType("AWS::CloudTrail::Trail", "TrailName", _trail),
)
