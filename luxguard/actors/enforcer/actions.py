"""The registered repairs. Each is the smallest change that makes its rule pass; none deletes
a resource or data. Mutating calls used: S3 PutBucketEncryption, PutPublicAccessBlock,
PutBucketPolicy (merged), PutBucketVersioning, PutBucketAcl (owner and non-public grants
kept), PutBucketTagging (merged); KMS EnableKeyRotation, TagResource; EC2
RevokeSecurityGroupIngress (world ranges only), ModifyDBInstance, EnableEbsEncryptionByDefault,
ModifySnapshotAttribute (remove group all), CreateTags; RDS AddTagsToResource; DynamoDB
TagResource. Newer actions live in a module each: policy_grants.py (public grants out of resource
policies), snapshot_shares.py (external snapshot shares), default_security_group.py (CIS 5.4)."""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from scanners.calls import error_code

from luxguard.resources.s3_bucket import TLS_SID, tls_only_statement
from luxguard.core.model import Finding, Resource
from luxguard.core.policy_documents import denies_insecure_transport, statements
from luxguard.resources import PolicyAccess, Tagging, all_types, by_cfn_type
from luxguard.actors.enforcer.base import Action, ApiCall, Blocked, EnforceContext, PlannedChange, register

BUCKET = "AWS::S3::Bucket"
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
WORLD_V4, WORLD_V6 = "0.0.0.0/0", "::/0"
QUARANTINE_SID = "LuxguardQuarantineDenyWrites"
# Writes only. Never s3:Delete* (that is not our call to make) and never s3:Put* (it would
# also deny PutBucketPolicy, locking out whoever has to lift the quarantine).
QUARANTINE_ACTIONS = ["s3:PutObject", "s3:ReplicateObject"]
RESIDENCY_TAG, RESIDENCY_DATE_TAG = "luxguard:residency", "luxguard:residency-finding-date"
MAX_POLICY_BYTES = 20 * 1024


def _s3(ctx: EnforceContext, resource: Resource) -> Any:
    return ctx.client("s3", resource.region)


def _optional(call: Any, *missing_codes: str) -> Any:
    """The response, or None when the configuration does not exist."""
    try:
        return call()
    except ClientError as error:
        if error_code(error) in missing_codes:
            return None
        raise


def bucket_arn(resource: Resource) -> str:
    if resource.arn and resource.arn.startswith("arn:"):
        return resource.arn
    return f"arn:aws:s3:::{resource.id}"


# ------------------------------------------------------------------------------ S3

@register
class SetDefaultEncryption(Action):
    """aws:kms with the designated Luxembourg key (`--kms-key`), bucket keys on."""

    name = "s3_set_default_encryption"
    resource_types = (BUCKET,)
    schema: ClassVar[dict] = {"type": "object", "additionalProperties": False,
              "properties": {"bucket_key": {"type": "boolean", "default": True},
                             "kms_key": {"type": "string", "pattern": "^arn:[a-z-]+:kms:",
                                         "description": "drift repair: the key the stack declares (checked "
                                                        "like --kms-key)"}}}

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        response = _optional(lambda: _s3(ctx, resource).get_bucket_encryption(Bucket=resource.id),
                             "ServerSideEncryptionConfigurationNotFoundError")
        rules = (response or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        return {"Rules": rules}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        key = ctx.check_key(self.options["kms_key"]) if self.options.get("kms_key") else ctx.kms_key
        if key is None:
            raise Blocked("needs --kms-key: the designated Luxembourg KMS key is not configured "
                          "(--kms-key ARN or LUXGUARD_KMS_KEY); luxguard never guesses a key")
        if key.problem:
            raise Blocked(f"refused: --kms-key {key.arn}: {key.problem}")
        resource = finding.resource
        if resource.region != key.region:
            raise Blocked(f"refused: bucket {resource.id} is in {resource.region} ({ctx.country(resource.region)}); "
                          f"S3 needs a key in the bucket's own region and the designated key is in {key.region} "
                          "(resolve residency first)")
        bucket_key = self.options.get("bucket_key", True)
        wanted = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key.arn},
                  "BucketKeyEnabled": bucket_key}
        rules = current["Rules"]
        if len(rules) == 1 and rules[0].get("ApplyServerSideEncryptionByDefault") == wanted[
                "ApplyServerSideEncryptionByDefault"] and bool(rules[0].get("BucketKeyEnabled")) == bucket_key:
            return None
        old = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault", {})
        diff = [(f"- default encryption: {old.get('SSEAlgorithm') or 'none'} key {old.get('KMSMasterKeyID') or '-'}"
                 f", bucket key {'on' if rules and rules[0].get('BucketKeyEnabled') else 'off'}"),
                f"+ default encryption: aws:kms key {key.arn}, bucket key {'on' if bucket_key else 'off'}"]
        config = {"Rules": [wanted]}
        return self.change(finding, [ApiCall("s3", resource.region, "PutBucketEncryption",
                                             {"Bucket": resource.id, "ServerSideEncryptionConfiguration": config})],
                           config, diff)


@register
class BlockPublicAccess(Action):
    """Turn on the public-access-block flags (default all four); flags already on stay on."""

    name = "s3_block_public_access"
    resource_types = (BUCKET,)
    schema: ClassVar[dict] = {"type": "object", "additionalProperties": False,
              "properties": {"flags": {"type": "array", "minItems": 1, "uniqueItems": True,
                                       "items": {"enum": list(PAB_FLAGS)}}}}

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        response = _optional(lambda: _s3(ctx, resource).get_public_access_block(Bucket=resource.id),
                             "NoSuchPublicAccessBlockConfiguration")
        config = (response or {}).get("PublicAccessBlockConfiguration", {})
        return {flag: bool(config.get(flag)) for flag in PAB_FLAGS}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        flags = self.options.get("flags") or list(PAB_FLAGS)
        after = {flag: current[flag] or flag in flags for flag in PAB_FLAGS}
        if after == current:
            return None
        diff = [f"~ {flag}: {current[flag]} -> True" for flag in PAB_FLAGS if after[flag] != current[flag]]
        resource = finding.resource
        return self.change(finding, [ApiCall("s3", resource.region, "PutPublicAccessBlock",
                                             {"Bucket": resource.id, "PublicAccessBlockConfiguration": after})],
                           after, diff)


def read_policy(resource: Resource, ctx: EnforceContext) -> dict | None:
    return _bucket_policy().read(_s3(ctx, resource), resource)


def _bucket_policy() -> PolicyAccess:
    access = by_cfn_type(BUCKET).resource_policy
    assert access is not None
    return access


def merge_statement(policy: dict | None, statement: dict) -> dict:
    """The policy with `statement` appended; every existing statement kept verbatim."""
    merged = copy.deepcopy(policy) if policy else {"Version": "2012-10-17"}
    merged["Statement"] = [*statements(policy), statement]
    return merged


def policy_call(resource: Resource, policy: dict) -> ApiCall:
    operation, params = _bucket_policy().write(resource, policy)
    if len(params["Policy"].encode()) > MAX_POLICY_BYTES:
        raise Blocked(f"refused: the merged bucket policy would be {len(params['Policy'].encode())} bytes, "
                      "over S3's 20 KB limit")
    return ApiCall("s3", resource.region, operation, params)


def sid_taken(policy: dict | None, sid: str) -> dict | None:
    return next((s for s in statements(policy) if s.get("Sid") == sid), None)


def tls_statement(resource: Resource) -> dict:
    return tls_only_statement(resource)


@register
class DenyInsecureTransport(Action):
    """Add the TLS-only Deny statement to the bucket policy, keeping every other statement."""

    name = "s3_deny_insecure_transport"
    resource_types = (BUCKET,)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        return read_policy(resource, ctx)

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        if any(denies_insecure_transport(s) for s in statements(current)):
            return None
        if sid_taken(current, TLS_SID):
            raise Blocked(f"refused: the policy already has a statement with Sid {TLS_SID} that does not deny "
                          "insecure transport; luxguard does not rewrite existing statements (review it)")
        statement = tls_statement(finding.resource)
        merged = merge_statement(current, statement)
        diff = [f"= {len(statements(current))} existing statement(s) kept verbatim",
                f"+ statement {json.dumps(statement, sort_keys=True)}"]
        return self.change(finding, [policy_call(finding.resource, merged)], merged, diff)


@register
class EnableVersioning(Action):
    name = "s3_enable_versioning"
    resource_types = (BUCKET,)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        response = _s3(ctx, resource).get_bucket_versioning(Bucket=resource.id)
        return {k: response[k] for k in ("Status", "MFADelete") if k in response}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        if current.get("Status") == "Enabled":
            return None
        resource = finding.resource
        return self.change(finding, [ApiCall("s3", resource.region, "PutBucketVersioning",
                                             {"Bucket": resource.id, "VersioningConfiguration": {"Status": "Enabled"}})],
                           dict(current, Status="Enabled"),
                           [f"~ versioning: {current.get('Status') or 'never enabled'} -> Enabled"])


def _grant_text(grant: dict) -> str:
    grantee = grant.get("Grantee", {})
    who = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or "?"
    return f"{grant.get('Permission')} to {who}"


@register
class RemovePublicAcl(Action):
    """PutBucketAcl with the same owner and grants minus AllUsers/AuthenticatedUsers."""

    name = "s3_remove_public_acl"
    resource_types = (BUCKET,)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        response = _s3(ctx, resource).get_bucket_acl(Bucket=resource.id)
        return {"Owner": response.get("Owner"), "Grants": response.get("Grants", [])}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        public = [g for g in current["Grants"] if g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS]
        if not public:
            return None
        kept = [g for g in current["Grants"] if g not in public]
        after = {"Owner": current["Owner"], "Grants": kept}
        resource = finding.resource
        diff = [f"- grant {_grant_text(g)}" for g in public] + [f"= grant {_grant_text(g)}" for g in kept]
        return self.change(finding, [ApiCall("s3", resource.region, "PutBucketAcl",
                                             {"Bucket": resource.id, "AccessControlPolicy": after})], after, diff)


# ------------------------------------------------------------------------------ KMS, RDS, EBS

@register
class EnableKeyRotation(Action):
    name = "kms_enable_rotation"
    resource_types = ("AWS::KMS::Key",)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        response = ctx.client("kms", resource.region).get_key_rotation_status(KeyId=resource.id)
        return {"KeyRotationEnabled": bool(response.get("KeyRotationEnabled"))}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        if current["KeyRotationEnabled"]:
            return None
        r = finding.resource
        return self.change(finding, [ApiCall("kms", r.region, "EnableKeyRotation", {"KeyId": r.id})],
                           {"KeyRotationEnabled": True}, ["~ key rotation: off -> on"])


REDSHIFT = "AWS::Redshift::Cluster"


@register
class DisableRdsPublicAccess(Action):
    name = "rds_disable_public_access"
    resource_types = ("AWS::RDS::DBInstance", REDSHIFT)
    asynchronous = True

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        if resource.type == REDSHIFT:
            cluster = ctx.client("redshift", resource.region).describe_clusters(
                ClusterIdentifier=resource.id)["Clusters"][0]
            return {"PubliclyAccessible": bool(cluster.get("PubliclyAccessible")),
                    "PendingPubliclyAccessible": (cluster.get("PendingModifiedValues") or {}).get("PubliclyAccessible")}
        db = ctx.client("rds", resource.region).describe_db_instances(
            DBInstanceIdentifier=resource.id)["DBInstances"][0]
        return {"PubliclyAccessible": bool(db.get("PubliclyAccessible")),
                "PendingPubliclyAccessible": (db.get("PendingModifiedValues") or {}).get("PubliclyAccessible")}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        if not current["PubliclyAccessible"] or current.get("PendingPubliclyAccessible") is False:
            return None
        r = finding.resource
        if r.type == REDSHIFT:
            return self.change(finding, [ApiCall("redshift", r.region, "ModifyCluster",
                                                 {"ClusterIdentifier": r.id, "PubliclyAccessible": False})],
                               {"PubliclyAccessible": False}, ["~ publicly accessible: true -> false"])
        return self.change(finding, [ApiCall("rds", r.region, "ModifyDBInstance",
                                             {"DBInstanceIdentifier": r.id, "PubliclyAccessible": False,
                                              "ApplyImmediately": True})],
                           {"PubliclyAccessible": False}, ["~ publicly accessible: true -> false (applied immediately)"])


@register
class EnableEbsDefaultEncryption(Action):
    name = "ebs_enable_default_encryption"
    resource_types = ("AWS::EC2::EBSEncryptionByDefault",)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        response = ctx.client("ec2", resource.region).get_ebs_encryption_by_default()
        return {"EbsEncryptionByDefault": bool(response.get("EbsEncryptionByDefault"))}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        if current["EbsEncryptionByDefault"]:
            return None
        region = finding.resource.region or finding.resource.id
        return self.change(finding, [ApiCall("ec2", region, "EnableEbsEncryptionByDefault", {})],
                           {"EbsEncryptionByDefault": True}, [f"~ EBS encryption by default in {region}: off -> on"])


RDS_SNAPSHOT = "AWS::RDS::DBSnapshot"
CLUSTER_SNAPSHOT = "AWS::RDS::DBClusterSnapshot"
IMAGE = "AWS::EC2::Image"
# What a snapshot's shares are called: EBS's createVolumePermission, RDS's restore attribute,
# an AMI's launch permission.
SHARE_NAME = {"AWS::EC2::Snapshot": "createVolumePermission", RDS_SNAPSHOT: "restore attribute",
              CLUSTER_SNAPSHOT: "restore attribute", IMAGE: "launch permission"}
# DB and cluster snapshots: the same restore attribute, under the API's two names
RDS_NAMES = {RDS_SNAPSHOT: "DBSnapshot", CLUSTER_SNAPSHOT: "DBClusterSnapshot"}


def share_call(resource: Resource, groups: list[str], accounts: list[str]) -> ApiCall:
    """The one call that takes `groups` (`all`) and `accounts` off the snapshot's (or AMI's) shares."""
    if resource.type == IMAGE:
        return ApiCall("ec2", resource.region, "ModifyImageAttribute",
                       {"ImageId": resource.id, "LaunchPermission": {"Remove": [
                           *({"Group": g} for g in groups), *({"UserId": a} for a in accounts)]}})
    if resource.type in RDS_NAMES:
        kind = RDS_NAMES[resource.type]
        return ApiCall("rds", resource.region, f"Modify{kind}Attribute",
                       {f"{kind}Identifier": resource.id, "AttributeName": "restore",
                        "ValuesToRemove": [*groups, *accounts]})
    remove = {**({"GroupNames": groups} if groups else {}), **({"UserIds": accounts} if accounts else {})}
    return ApiCall("ec2", resource.region, "ModifySnapshotAttribute",
                   {"SnapshotId": resource.id, "Attribute": "createVolumePermission", "OperationType": "remove",
                    **remove})


@register
class UnshareSnapshot(Action):
    """Remove only the public share (group `all`) of an EBS or RDS snapshot or an AMI; shares
    with named accounts stay. Every kind of share reads as EBS's permission list
    ({Group}|{UserId}; an AMI's organization and OU permissions as they are)."""

    name = "ebs_unshare_snapshot"
    resource_types = ("AWS::EC2::Snapshot", RDS_SNAPSHOT, CLUSTER_SNAPSHOT, IMAGE)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        if resource.type == IMAGE:
            response = ctx.client("ec2", resource.region).describe_image_attribute(
                ImageId=resource.id, Attribute="launchPermission")
            return {"CreateVolumePermissions": sorted(response.get("LaunchPermissions", []),
                                                      key=lambda p: sorted(p.items()))}
        if resource.type in RDS_NAMES:
            kind, rds = RDS_NAMES[resource.type], ctx.client("rds", resource.region)
            read = rds.describe_db_snapshot_attributes if resource.type == RDS_SNAPSHOT \
                else rds.describe_db_cluster_snapshot_attributes
            answer = read(**{f"{kind}Identifier": resource.id})[f"{kind}AttributesResult"]
            values = sorted(v for a in answer.get(f"{kind}Attributes", []) if a.get("AttributeName") == "restore"
                            for v in a.get("AttributeValues", []))
            return {"CreateVolumePermissions": [{"Group": "all"} if v == "all" else {"UserId": v} for v in values]}
        response = ctx.client("ec2", resource.region).describe_snapshot_attribute(
            SnapshotId=resource.id, Attribute="createVolumePermission")
        return {"CreateVolumePermissions": response.get("CreateVolumePermissions", [])}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        permissions = current["CreateVolumePermissions"]
        if not any(p.get("Group") == "all" for p in permissions):
            return None
        r = finding.resource
        return self.change(finding, [share_call(r, ["all"], [])],
                           {"CreateVolumePermissions": [p for p in permissions if p.get("Group") != "all"]},
                           [f"- {SHARE_NAME[r.type]} group all (public)"])


# ------------------------------------------------------------------------------ security groups

def _covers(permission: dict, ports: list[int] | None) -> bool:
    protocol = str(permission.get("IpProtocol", "-1")).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "udp", "6", "17"):
        return False
    if ports is None:
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or low < 0:
        return True
    return any(low <= port <= (high if high is not None else low) for port in ports)


def describe_permission(p: dict, ranges: list[str]) -> str:
    ports = "all ports" if str(p.get("IpProtocol")) == "-1" else f"{p.get('FromPort')}-{p.get('ToPort')}"
    return f"{p.get('IpProtocol')} {ports} from {', '.join(ranges)}"


def _declared(permission: dict, cidr: str, keep: list[dict]) -> bool:
    """A world range the stack declares on purpose (drift repair keeps what was declared)."""
    from luxguard.core.security_group_rules import normalise_rule

    rule = normalise_rule(permission.get("IpProtocol"), permission.get("FromPort"), permission.get("ToPort"), [cidr])
    return any(k.get("protocol") == rule["protocol"] and k.get("ports") == rule["ports"]
               and cidr in (k.get("sources") or []) for k in keep)


@register
class RevokeWorldIngress(Action):
    """Revoke exactly the world ranges (0.0.0.0/0, ::/0) of ingress permissions on `ports`;
    a permission's other sources (private CIDRs, groups, prefix lists) stay untouched."""

    name = "sg_revoke_world_ingress"
    resource_types = ("AWS::EC2::SecurityGroup",)
    schema: ClassVar[dict] = {"type": "object", "additionalProperties": False, "properties": {
        "ports": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0, "maximum": 65535}},
        "keep": {"type": "array", "items": {"type": "object"},
                 "description": "normalised rules to keep (drift repair: the declared world-open rules)"}}}

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        group = ctx.client("ec2", resource.region).describe_security_groups(
            GroupIds=[resource.id])["SecurityGroups"][0]
        return {"IpPermissions": group.get("IpPermissions", [])}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        ports, keep = self.options.get("ports"), self.options.get("keep") or []
        revoke, diff = [], []
        for p in current["IpPermissions"]:
            if not _covers(p, ports):
                continue
            v4 = [{"CidrIp": r["CidrIp"]} for r in p.get("IpRanges", [])
                  if r.get("CidrIp") == WORLD_V4 and not _declared(p, WORLD_V4, keep)]
            v6 = [{"CidrIpv6": r["CidrIpv6"]} for r in p.get("Ipv6Ranges", [])
                  if r.get("CidrIpv6") == WORLD_V6 and not _declared(p, WORLD_V6, keep)]
            if not v4 and not v6:
                continue
            entry = {"IpProtocol": p["IpProtocol"]}
            entry.update({k: p[k] for k in ("FromPort", "ToPort") if k in p})
            if v4:
                entry["IpRanges"] = v4
            if v6:
                entry["Ipv6Ranges"] = v6
            revoke.append(entry)
            diff.append("- ingress " + describe_permission(p, [r.get("CidrIp") or r.get("CidrIpv6") for r in v4 + v6]))
        if not revoke:
            return None
        remaining = _without(current["IpPermissions"], revoke)
        diff += ["= ingress " + describe_permission(p, permission_sources(p)) for p in remaining]
        r = finding.resource
        return self.change(finding, [ApiCall("ec2", r.region, "RevokeSecurityGroupIngress",
                                             {"GroupId": r.id, "IpPermissions": revoke})],
                           {"IpPermissions": remaining}, diff)


def permission_sources(p: dict) -> list[str]:
    return ([r["CidrIp"] for r in p.get("IpRanges", [])] + [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]
            + [g.get("GroupId", "?") for g in p.get("UserIdGroupPairs", [])]
            + [x.get("PrefixListId", "?") for x in p.get("PrefixListIds", [])])


def _without(permissions: list[dict], revoke: list[dict]) -> list[dict]:
    """The permissions after the revoke (for the plan's `after`)."""
    result = []
    for p in permissions:
        gone = {(r.get("CidrIp"), r.get("CidrIpv6")) for q in revoke
                if q["IpProtocol"] == p["IpProtocol"] and q.get("FromPort") == p.get("FromPort")
                and q.get("ToPort") == p.get("ToPort") for r in q.get("IpRanges", []) + q.get("Ipv6Ranges", [])}
        kept = dict(p)
        kept["IpRanges"] = [r for r in p.get("IpRanges", []) if (r.get("CidrIp"), None) not in gone]
        kept["Ipv6Ranges"] = [r for r in p.get("Ipv6Ranges", []) if (None, r.get("CidrIpv6")) not in gone]
        if permission_sources(kept):
            result.append(kept)
    return result


# ------------------------------------------------------------------------------ residency

def _tagging(resource: Resource) -> Tagging:
    """The descriptor's tagging part; a type without one cannot be tagged, a type tagged by ARN
    needs the ARN in the findings."""
    descriptor = by_cfn_type(resource.type)
    if descriptor is None or descriptor.tagging is None:
        raise Blocked(f"cannot tag {resource.type}")
    if descriptor.tagging.by_arn and not resource.arn:
        raise Blocked(f"{resource.type} {resource.id} has no ARN in the findings; cannot tag it")
    return descriptor.tagging


def _tags_read(resource: Resource, ctx: EnforceContext) -> dict[str, str]:
    tagging = _tagging(resource)
    return tagging.read(ctx.client(tagging.service, resource.region), resource)


def _tag_call(resource: Resource, current: dict[str, str], new: dict[str, str]) -> ApiCall:
    tagging = _tagging(resource)
    merged = len({**current, **new})
    if tagging.max_tags is not None and merged > tagging.max_tags:
        raise Blocked(f"refused: {_kind(resource)} {resource.id} would have {merged} tags, over "
                      f"{tagging.service.upper()}'s limit of {tagging.max_tags}")
    operation, params = tagging.write(resource, current, new)
    return ApiCall(tagging.service, resource.region, operation, params)


def _kind(resource: Resource) -> str:
    descriptor = by_cfn_type(resource.type)
    return descriptor.kind if descriptor else resource.type


@register
class TagResidencyViolation(Action):
    """Residency is never repaired by moving or deleting data: the resource is tagged
    (existing tags kept) and reported; with --quarantine a bucket also denies new writes."""

    name = "tag_residency_violation"
    resource_types = tuple(d.cfn_type for d in all_types() if d.tagging is not None)
    resolves_finding = False

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        current: dict[str, Any] = {"Tags": _tags_read(resource, ctx)}
        if ctx.quarantine and resource.type == BUCKET:
            current["Policy"] = read_policy(resource, ctx)
        return current

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        r, tags = finding.resource, current["Tags"]
        new = {}
        if tags.get(RESIDENCY_TAG) != "violation":
            new[RESIDENCY_TAG] = "violation"
        if not tags.get(RESIDENCY_DATE_TAG):
            new[RESIDENCY_DATE_TAG] = ctx.today.isoformat()
        calls, diff = [], []
        after: dict[str, Any] = {"Tags": {**tags, **new}}
        if new:
            calls.append(_tag_call(r, tags, new))
            diff += [f"+ tag {k}={v}" for k, v in sorted(new.items())]
            diff.append(f"= {len(tags)} existing tag(s) kept; no data moved or deleted "
                        f"({r.region}, {ctx.country(r.region)}: outside {ctx.pinned})")
        if "Policy" in current:
            policy = current["Policy"]
            after["Policy"] = policy
            if not sid_taken(policy, QUARANTINE_SID):
                statement = {"Sid": QUARANTINE_SID, "Effect": "Deny", "Principal": "*",
                             "Action": list(QUARANTINE_ACTIONS), "Resource": f"{bucket_arn(r)}/*"}
                after["Policy"] = merge_statement(policy, statement)
                calls.append(policy_call(r, after["Policy"]))
                diff += [f"= {len(statements(policy))} existing policy statement(s) kept verbatim",
                         f"+ quarantine statement {json.dumps(statement, sort_keys=True)} (denies new writes only)"]
        if not calls:
            return None
        return self.change(finding, calls, after, diff)
