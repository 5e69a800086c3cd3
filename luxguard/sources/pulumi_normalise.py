"""Captured Pulumi resources -> the normalised model (CloudFormation type names).

Each pulumi-aws type has one small converter, found through a registry. Child configuration
resources (SSE, public access block, policy, versioning, ...) fold into the bucket they
configure, and security group rule resources into their group, so that a rule sees one
`AWS::S3::Bucket` whichever way the program spelled it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from luxguard.core import policy_documents
from luxguard.core.model import Resource, SourceLocation, common_properties
from luxguard.sources.pulumi_capture import PROVIDER_PREFIX, Capture, CapturedResource
from luxguard.core.security_group_rules import normalise_rule, sort_rules

PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")


@dataclass
class PlanIndex:
    """Lookups across the whole program: providers, keys, aliases, buckets by id."""

    capture: Capture
    provider_regions: dict[str, Optional[str]] = field(default_factory=dict)
    by_type_id: dict[tuple[str, str], CapturedResource] = field(default_factory=dict)
    alias_targets: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for res in self.capture.resources:
            if res.type.startswith(PROVIDER_PREFIX):
                self.provider_regions[res.urn] = res.inputs.get("region")
            self.by_type_id[(res.type, res.id)] = res
            if res.type == "aws:kms/alias:Alias" and res.inputs.get("name"):
                self.alias_targets[str(res.inputs["name"])] = str(res.inputs.get("targetKeyId", ""))

    def region_of(self, res: CapturedResource) -> Optional[str]:
        """pulumi-aws v7: own `region` input, else explicit provider's, else stack's aws:region."""
        if res.inputs.get("region"):
            return str(res.inputs["region"])
        if res.provider:
            return self.provider_regions.get(res.provider) or self.capture.config.get("aws:region")
        return self.capture.config.get("aws:region")

    def key_facts(self, key_ref: Optional[str], resource_region: Optional[str]) -> dict[str, Any]:
        """Region and manager of the KMS key a resource names by ARN, id or alias."""
        if not key_ref:
            return {"kms_key_id": None, "kms_key_region": None, "customer_managed_key": False}
        ref = str(key_ref)
        if ref.startswith("arn:aws:kms:"):
            region, tail = ref.split(":")[3], ref.split(":", 5)[5]
            managed_by_aws = tail.startswith("alias/aws/")
            return {"kms_key_id": ref, "kms_key_region": region, "customer_managed_key": not managed_by_aws}
        if ref.startswith("alias/aws/"):
            return {"kms_key_id": ref, "kms_key_region": resource_region, "customer_managed_key": False}
        target = self.alias_targets.get(ref, ref)
        if target.startswith("arn:aws:kms:"):
            return {**self.key_facts(target, resource_region), "kms_key_id": ref}
        key = self.by_type_id.get(("aws:kms/key:Key", target))
        region = self.region_of(key) if key else None
        return {"kms_key_id": ref, "kms_key_region": region, "customer_managed_key": key is not None}

    def bucket_region(self, bucket_name: Optional[str]) -> Optional[str]:
        bucket = self.by_type_id.get(("aws:s3/bucket:Bucket", str(bucket_name)))
        return self.region_of(bucket) if bucket else None


Converter = Callable[[CapturedResource, PlanIndex], Resource]
Folder = Callable[[CapturedResource, Resource, PlanIndex], None]
CONVERTERS: dict[str, Converter] = {}
class Folding(NamedTuple):
    """How a child configuration resource folds into the resource it configures."""

    parent_type: str              # pulumi type of the parent (e.g. the bucket)
    parent_input: str             # the child's input naming the parent's id
    groups: tuple[str, ...]       # the parent's property groups the child sets
    fold: Folder


FOLDERS: dict[str, Folding] = {}   # pulumi type of the child -> its folding
UNKNOWN_AT_PREVIEW = "not known until the update runs (preview)"


def converts(pulumi_type: str) -> Callable[[Converter], Converter]:
    def register(fn: Converter) -> Converter:
        CONVERTERS[pulumi_type] = fn
        return fn
    return register


def folds_into(pulumi_type: str, parent_type: str, parent_input: str,
               groups: tuple[str, ...]) -> Callable[[Folder], Folder]:
    def register(fn: Folder) -> Folder:
        FOLDERS[pulumi_type] = Folding(parent_type, parent_input, groups, fn)
        return fn
    return register


def _base(res: CapturedResource, index: PlanIndex, cfn_type: str, **properties: Any) -> Resource:
    region = index.region_of(res)
    source = None
    if res.source_file and "site-packages" not in res.source_file:
        source = SourceLocation(file=res.source_file, line=int(res.source_line or 1))
    props = common_properties(res.name, region, res.inputs.get("tags"))
    props.update(properties)
    return Resource(type=cfn_type, id=res.id, region=region, properties=props, urn=res.urn, source=source,
                    arn=None)


# --- S3 --------------------------------------------------------------------------------------

@converts("aws:s3/bucket:Bucket")
def _bucket(res: CapturedResource, index: PlanIndex) -> Resource:
    resource = _base(res, index, "AWS::S3::Bucket",
                     encryption={"algorithm": None, "kms_key_id": None, "kms_key_region": None,
                                 "customer_managed_key": False, "bucket_key_enabled": False},
                     public_access_block={"block_public_acls": False, "ignore_public_acls": False,
                                          "block_public_policy": False, "restrict_public_buckets": False,
                                          "all": False},
                     policy=policy_documents.summarise_bucket_policy(None),
                     acl={"public": res.inputs.get("acl") in PUBLIC_CANNED_ACLS},
                     versioning={"enabled": bool((res.inputs.get("versioning") or {}).get("enabled"))},
                     object_lock={"enabled": bool(res.inputs.get("objectLockEnabled")), "retention_days": None},
                     lifecycle={"expiration_days": None, "noncurrent_expiration_days": None},
                     logging={"enabled": False, "target_bucket": None, "target_region": None},
                     replication={"destination_buckets": [], "destination_regions": []},
                     ownership=None)
    resource.arn = f"arn:aws:s3:::{res.id}"
    return resource


@folds_into("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucket:Bucket", "bucket", ("encryption",))
def _bucket_sse(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    rule = (res.inputs.get("rules") or [{}])[0]
    default = rule.get("applyServerSideEncryptionByDefault") or {}
    algorithm = default.get("sseAlgorithm")
    facts = index.key_facts(default.get("kmsMasterKeyId"), bucket.region)
    if algorithm in ("aws:kms", "aws:kms:dsse") and not default.get("kmsMasterKeyId"):
        facts.update(kms_key_id="alias/aws/s3", kms_key_region=bucket.region, customer_managed_key=False)
    bucket.properties["encryption"] = {"algorithm": algorithm, **facts,
                                       "bucket_key_enabled": bool(rule.get("bucketKeyEnabled"))}


@folds_into("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucket:Bucket", "bucket", ("public_access_block",))
def _bucket_pab(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    flags = {name: bool(res.inputs.get(key)) for name, key in (
        ("block_public_acls", "blockPublicAcls"), ("ignore_public_acls", "ignorePublicAcls"),
        ("block_public_policy", "blockPublicPolicy"), ("restrict_public_buckets", "restrictPublicBuckets"))}
    previous_all = bucket.properties["public_access_block"].get("all", False)
    bucket.properties["public_access_block"] = {**flags, "all": previous_all or all(flags.values())}


@folds_into("aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "bucket", ("policy",))
def _bucket_policy(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    bucket.properties["policy"] = policy_documents.summarise_bucket_policy(res.inputs.get("policy"))


@folds_into("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucket:Bucket", "bucket", ("versioning",))
def _bucket_versioning(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    status = (res.inputs.get("versioningConfiguration") or {}).get("status")
    bucket.properties["versioning"] = {"enabled": status == "Enabled"}


@folds_into("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucket:Bucket", "bucket", ("logging",))
def _bucket_logging(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    target = res.inputs.get("targetBucket")
    bucket.properties["logging"] = {"enabled": bool(target), "target_bucket": target,
                                    "target_region": index.bucket_region(target) if target else None}


@folds_into("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucket:Bucket", "bucket", ("lifecycle",))
def _bucket_lifecycle(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    enabled = [r for r in res.inputs.get("rules") or [] if r.get("status") == "Enabled"]
    current = [(r.get("expiration") or {}).get("days") for r in enabled]
    noncurrent = [(r.get("noncurrentVersionExpiration") or {}).get("noncurrentDays") for r in enabled]
    bucket.properties["lifecycle"] = {
        "expiration_days": min((int(d) for d in current if d), default=None),
        "noncurrent_expiration_days": min((int(d) for d in noncurrent if d), default=None),
    }


@folds_into("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws:s3/bucket:Bucket", "bucket", ("object_lock",))
def _bucket_object_lock(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    retention = ((res.inputs.get("rule") or {}).get("defaultRetention") or {})
    days = retention.get("days") or (retention.get("years") or 0) * 365 or None
    enabled = res.inputs.get("objectLockEnabled", "Enabled") == "Enabled"
    bucket.properties["object_lock"] = {"enabled": enabled or bucket.properties["object_lock"]["enabled"],
                                        "retention_days": int(days) if days else None}


@folds_into("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws:s3/bucket:Bucket", "bucket", ("replication",))
def _bucket_replication(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    names = sorted({str((r.get("destination") or {}).get("bucket", "")).removeprefix("arn:aws:s3:::")
                    for r in res.inputs.get("rules") or [] if r.get("status", "Enabled") == "Enabled"})
    bucket.properties["replication"] = {
        "destination_buckets": names,
        "destination_regions": sorted({index.bucket_region(n) or "unknown" for n in names}),
    }


@folds_into("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucket:Bucket", "bucket", ("ownership",))
def _bucket_ownership(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    bucket.properties["ownership"] = (res.inputs.get("rule") or {}).get("objectOwnership")


@folds_into("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucket:Bucket", "bucket", ("acl",))
def _bucket_acl(res: CapturedResource, bucket: Resource, index: PlanIndex) -> None:
    grants = (res.inputs.get("accessControlPolicy") or {}).get("grants") or []
    public_grant = any(str((g.get("grantee") or {}).get("uri", "")).endswith(PUBLIC_GRANTEES) for g in grants)
    bucket.properties["acl"] = {"public": res.inputs.get("acl") in PUBLIC_CANNED_ACLS or public_grant}


# --- KMS -------------------------------------------------------------------------------------

@converts("aws:kms/key:Key")
def _kms_key(res: CapturedResource, index: PlanIndex) -> Resource:
    try:
        policy = policy_documents.parse(res.inputs.get("policy"))
    except ValueError:
        policy = None
    public = any(policy_documents.is_public_statement(s) for s in policy_documents.statements(policy))
    resource = _base(res, index, "AWS::KMS::Key", key_manager="CUSTOMER",
                     state="Enabled" if res.inputs.get("isEnabled", True) else "Disabled",
                     rotation_enabled=bool(res.inputs.get("enableKeyRotation")), policy={"public": public})
    resource.arn = f"arn:aws:kms:{resource.region}:{index.capture.config.get('luxguard:accountId', '')}:key/{res.id}"
    return resource


# --- EC2 / EBS -------------------------------------------------------------------------------

def _inline_rules(rules: list[dict]) -> list[dict]:
    return sort_rules([normalise_rule(r.get("protocol"), r.get("fromPort"), r.get("toPort"),
                                      [*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or []),
                                       *(r.get("securityGroups") or [])], r.get("description"))
                       for r in rules])


@converts("aws:ec2/securityGroup:SecurityGroup")
def _security_group(res: CapturedResource, index: PlanIndex) -> Resource:
    return _base(res, index, "AWS::EC2::SecurityGroup", group_name=res.inputs.get("name") or res.name,
                 vpc_id=res.inputs.get("vpcId"), is_default=False,
                 ingress=_inline_rules(res.inputs.get("ingress") or []),
                 egress=_inline_rules(res.inputs.get("egress") or []))


@converts("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
def _default_security_group(res: CapturedResource, index: PlanIndex) -> Resource:
    resource = _security_group(res, index)
    resource.properties.update(is_default=True, group_name="default")
    return resource


def _append_rule(group: Resource, direction: str, rule: dict) -> None:
    group.properties[direction] = sort_rules([*group.properties.get(direction, []), rule])


@folds_into("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroup:SecurityGroup", "securityGroupId", ("ingress",))
def _vpc_ingress_rule(res: CapturedResource, group: Resource, index: PlanIndex) -> None:
    i = res.inputs
    sources = [i.get("cidrIpv4"), i.get("cidrIpv6"), i.get("referencedSecurityGroupId"), i.get("prefixListId")]
    _append_rule(group, "ingress", normalise_rule(i.get("ipProtocol"), i.get("fromPort"), i.get("toPort"),
                                                  [s for s in sources if s], i.get("description")))


@folds_into("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/securityGroup:SecurityGroup", "securityGroupId", ("egress",))
def _vpc_egress_rule(res: CapturedResource, group: Resource, index: PlanIndex) -> None:
    i = res.inputs
    sources = [i.get("cidrIpv4"), i.get("cidrIpv6"), i.get("referencedSecurityGroupId"), i.get("prefixListId")]
    _append_rule(group, "egress", normalise_rule(i.get("ipProtocol"), i.get("fromPort"), i.get("toPort"),
                                                 [s for s in sources if s], i.get("description")))


@folds_into("aws:ec2/securityGroupRule:SecurityGroupRule", "aws:ec2/securityGroup:SecurityGroup", "securityGroupId", ("ingress", "egress"))
def _security_group_rule(res: CapturedResource, group: Resource, index: PlanIndex) -> None:
    i = res.inputs
    direction = "ingress" if i.get("type") == "ingress" else "egress"
    sources = [*(i.get("cidrBlocks") or []), *(i.get("ipv6CidrBlocks") or []), i.get("sourceSecurityGroupId")]
    _append_rule(group, direction, normalise_rule(i.get("protocol"), i.get("fromPort"), i.get("toPort"),
                                                  [s for s in sources if s], i.get("description")))


def _encrypted_storage(res: CapturedResource, index: PlanIndex, cfn_type: str, encrypted_key: str) -> Resource:
    resource = _base(res, index, cfn_type)
    facts = index.key_facts(res.inputs.get("kmsKeyId"), resource.region)
    encrypted = bool(res.inputs.get(encrypted_key))
    if encrypted and not facts["kms_key_id"]:
        facts.update(kms_key_id="alias/aws/ebs", kms_key_region=resource.region)
    resource.properties.update(facts)
    resource.properties["encrypted"] = encrypted
    return resource


@converts("aws:ebs/volume:Volume")
def _volume(res: CapturedResource, index: PlanIndex) -> Resource:
    return _encrypted_storage(res, index, "AWS::EC2::Volume", "encrypted")


@converts("aws:ebs/snapshotCopy:SnapshotCopy")
def _snapshot_copy(res: CapturedResource, index: PlanIndex) -> Resource:
    resource = _encrypted_storage(res, index, "AWS::EC2::Snapshot", "encrypted")
    resource.properties["public"] = False
    return resource


@converts("aws:ebs/snapshot:Snapshot")
def _snapshot(res: CapturedResource, index: PlanIndex) -> Resource:
    """A snapshot is encrypted exactly when its source volume is."""
    volume = index.by_type_id.get(("aws:ebs/volume:Volume", str(res.inputs.get("volumeId"))))
    resource = _base(res, index, "AWS::EC2::Snapshot")
    source = _volume(volume, index).properties if volume else {}
    resource.properties.update(
        encrypted=bool(source.get("encrypted")), kms_key_id=source.get("kms_key_id"),
        kms_key_region=source.get("kms_key_region"), customer_managed_key=bool(source.get("customer_managed_key")),
        public=False)
    return resource


@folds_into("aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission", "aws:ebs/snapshot:Snapshot", "snapshotId", ("public",))
def _snapshot_permission(res: CapturedResource, snapshot: Resource, index: PlanIndex) -> None:
    if str(res.inputs.get("accountId", "")).lower() == "all":
        snapshot.properties["public"] = True


@converts("aws:ebs/encryptionByDefault:EncryptionByDefault")
def _ebs_default(res: CapturedResource, index: PlanIndex) -> Resource:
    resource = _base(res, index, "AWS::EC2::EBSEncryptionByDefault", enabled=bool(res.inputs.get("enabled", True)),
                     kms_key_id=None)
    resource.id = resource.region or res.id
    return resource


# --- RDS, DynamoDB, CloudTrail ----------------------------------------------------------------

@converts("aws:rds/instance:Instance")
def _rds_instance(res: CapturedResource, index: PlanIndex) -> Resource:
    resource = _base(res, index, "AWS::RDS::DBInstance", storage_encrypted=bool(res.inputs.get("storageEncrypted")),
                     publicly_accessible=bool(res.inputs.get("publiclyAccessible")), engine=res.inputs.get("engine"))
    resource.properties.update(index.key_facts(res.inputs.get("kmsKeyId"), resource.region))
    return resource


@converts("aws:dynamodb/table:Table")
def _dynamodb_table(res: CapturedResource, index: PlanIndex) -> Resource:
    sse = res.inputs.get("serverSideEncryption") or {}
    enabled = bool(sse.get("enabled"))
    resource = _base(res, index, "AWS::DynamoDB::Table", sse={"enabled": enabled, "type": "KMS" if enabled else None},
                     replica_regions=sorted(str(r.get("regionName")) for r in res.inputs.get("replicas") or []))
    facts = index.key_facts(sse.get("kmsKeyArn"), resource.region)
    if enabled and not facts["kms_key_id"]:
        facts.update(kms_key_id="alias/aws/dynamodb", kms_key_region=resource.region)
    resource.properties.update(facts)
    return resource


@converts("aws:cloudtrail/trail:Trail")
def _trail(res: CapturedResource, index: PlanIndex) -> Resource:
    bucket = res.inputs.get("s3BucketName")
    return _base(res, index, "AWS::CloudTrail::Trail", multi_region=bool(res.inputs.get("isMultiRegionTrail")),
                 log_file_validation=bool(res.inputs.get("enableLogFileValidation")), s3_bucket=bucket,
                 s3_bucket_region=index.bucket_region(bucket), logging=bool(res.inputs.get("enableLogging", True)))


def _apply_account_public_access_block(capture: Capture, index: PlanIndex, resources: list[Resource]) -> None:
    """An account-level block with all four flags covers every bucket of the account."""
    for res in capture.resources:
        if res.type != "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock":
            continue
        flags = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
        if all(res.inputs.get(f) for f in flags):
            for resource in resources:
                if resource.type == "AWS::S3::Bucket":
                    resource.properties["public_access_block"]["all"] = True


def normalise(capture: Capture) -> list[Resource]:
    """Every supported resource of the capture in the model; unsupported types are skipped."""
    index = PlanIndex(capture)
    by_urn: dict[str, Resource] = {}
    by_type_id: dict[tuple[str, str], Resource] = {}
    for res in capture.resources:
        converter = CONVERTERS.get(res.type)
        if converter is not None:
            resource = converter(res, index)
            by_urn[res.urn] = resource
            by_type_id[(res.type, res.id)] = resource
            _mark_unknown(resource, res, [snake_case(name) for name in res.unknown_inputs])
    for res in capture.resources:
        if res.type not in FOLDERS:
            continue
        parent_type, parent_input, groups, fold = FOLDERS[res.type]
        parent = by_type_id.get((parent_type, str(res.inputs.get(parent_input))))
        if parent is None and parent_type == "aws:ec2/securityGroup:SecurityGroup":
            parent = by_type_id.get(("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", str(res.inputs.get(parent_input))))
        if parent is not None:
            fold(res, parent, index)
            _mark_unknown(parent, res, list(groups) if res.unknown_inputs else [])
    resources = sorted(by_urn.values(), key=lambda r: (r.type, r.id))
    _apply_account_public_access_block(capture, index, resources)
    return resources


def snake_case(name: str) -> str:
    """Pulumi's camelCase input names as the model's (and Terraform's) snake_case."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name).lower()


def _mark_unknown(resource: Resource, res: CapturedResource, groups: list[str]) -> None:
    """During a preview, values computed from other resources' outputs are not known yet: rules
    reading those property groups give `error` (undecided), never a false `fail`."""
    for group in groups:
        if group in resource.properties:
            resource.collection_errors[group] = f"{res.name}: {UNKNOWN_AT_PREVIEW}"


def relative_source(resource: Resource, base: Path) -> Optional[str]:
    if resource.source is None:
        return None
    try:
        return str(Path(resource.source.file).resolve().relative_to(base.resolve()))
    except ValueError:
        return resource.source.file
