"""AWS::S3::Bucket: a bucket and the configuration resources that fold into it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

from luxguard.core import policy_documents
from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    PolicyAccess,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.resource_policy import compact, policy_document
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:s3/bucket:Bucket"
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
PAB_FLAGS = (("block_public_acls", "blockPublicAcls"), ("ignore_public_acls", "ignorePublicAcls"),
             ("block_public_policy", "blockPublicPolicy"), ("restrict_public_buckets", "restrictPublicBuckets"))


def arn(_region: Optional[str], _account: str, name: str) -> str:
    return f"arn:aws:s3:::{name}"


# --------------------------------------------------------------------------- Pulumi

# What AWS gives a new bucket where the program says nothing (S3 since April 2023): all four
# public-access-block flags on, ACLs disabled. `scan` of the deployed bucket reads exactly these,
# so check and scan agree (the sandbox applies them too). Likewise SSE-S3: since January 2023 S3
# encrypts every object of a bucket without a default-encryption configuration with AES256, and
# GetBucketEncryption answers so; scan models "not configured" the same way (scanners/s3.py).
NEW_BUCKET_ENCRYPTION = {"algorithm": "AES256", "kms_key_id": None, "kms_key_region": None,
                         "customer_managed_key": False, "bucket_key_enabled": False}
NEW_BUCKET_PUBLIC_ACCESS_BLOCK = {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True,
                                  "restrict_public_buckets": True, "all": True}
NEW_BUCKET_OWNERSHIP = "BucketOwnerEnforced"
# The bucket's own (v6-style, deprecated) inline arguments and the model groups they set; the
# BucketV2 spelling is a one-element list of the same block.
INLINE_INPUTS = dict(
    acl=("acl", "ownership"), grants=("acl", "ownership"), versioning=("versioning",), versionings=("versioning",),
    objectLockEnabled=("object_lock",), objectLockConfiguration=("object_lock",),
    serverSideEncryptionConfiguration=("encryption",), serverSideEncryptionConfigurations=("encryption",),
    logging=("logging",), loggings=("logging",), policy=("policy",), lifecycleRules=("lifecycle",),
    replicationConfiguration=("replication",), replicationConfigurations=("replication",))


def _first(inputs: dict[str, Any], single: str, plural: str) -> dict[str, Any]:
    """An inline block as `Bucket` spells it (`logging: {...}`) or as `BucketV2` does (`loggings: [{...}]`)."""
    value = inputs.get(single)
    if isinstance(value, dict):
        return value
    values = inputs.get(plural)
    return values[0] if isinstance(values, list) and values and isinstance(values[0], dict) else {}


def _encryption(rule: dict[str, Any], region: Optional[str], index: Any) -> dict[str, Any]:
    default = rule.get("applyServerSideEncryptionByDefault") or {}
    algorithm = default.get("sseAlgorithm")
    facts = index.key_facts(default.get("kmsMasterKeyId"), region)
    if algorithm in ("aws:kms", "aws:kms:dsse") and not default.get("kmsMasterKeyId"):
        facts.update(kms_key_id="alias/aws/s3", kms_key_region=region, customer_managed_key=False)
    return {"algorithm": algorithm, **facts, "bucket_key_enabled": bool(rule.get("bucketKeyEnabled"))}


def _logging(target: Optional[str], index: Any) -> dict[str, Any]:
    return {"enabled": bool(target), "target_bucket": target,
            "target_region": index.bucket_region(target) if target else None}


def _replication(rules: list[dict], index: Any) -> dict[str, Any]:
    names = sorted({str((r.get("destination") or {}).get("bucket", "")).removeprefix("arn:aws:s3:::")
                    for r in rules if r.get("status", "Enabled") == "Enabled"})
    return {"destination_buckets": names,
            "destination_regions": sorted({index.bucket_region(n) or "unknown" for n in names})}


def _lifecycle(rules: list[dict], noncurrent_days: str) -> dict[str, Any]:
    current = [(r.get("expiration") or {}).get("days") for r in rules]
    noncurrent = [(r.get("noncurrentVersionExpiration") or {}).get(noncurrent_days) for r in rules]
    return {"expiration_days": min((int(d) for d in current if d), default=None),
            "noncurrent_expiration_days": min((int(d) for d in noncurrent if d), default=None)}


def _public_grants(grants: list[dict]) -> bool:
    return any(str((g.get("grantee") or {}).get("uri") or g.get("uri") or "").endswith(PUBLIC_GRANTEES)
               for g in grants)


def _object_lock(configuration: dict[str, Any], enabled: bool) -> dict[str, Any]:
    retention = (configuration.get("rule") or {}).get("defaultRetention") or {}
    days = retention.get("days") or (retention.get("years") or 0) * 365 or None
    return {"enabled": enabled, "retention_days": int(days) if days else None}


def _inline_settings(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    """The v6-style arguments of `aws.s3.Bucket` / `aws.s3.BucketV2`, read like their separate resources."""
    i, props = res.inputs, bucket.properties
    sse = _first(i, "serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations")
    rule = sse.get("rule") or (sse.get("rules") or [None])[0]
    if isinstance(rule, dict):
        props["encryption"] = _encryption(rule, bucket.region, index)
    logging = _first(i, "logging", "loggings")
    if logging.get("targetBucket"):
        props["logging"] = _logging(logging["targetBucket"], index)
    if i.get("policy"):
        props["policy"] = policy_documents.summarise_bucket_policy(i["policy"])
    replication = _first(i, "replicationConfiguration", "replicationConfigurations")
    if replication.get("rules"):
        props["replication"] = _replication(replication["rules"], index)
    props["versioning"] = {"enabled": bool(_first(i, "versioning", "versionings").get("enabled"))}
    lifecycle = [r for r in i.get("lifecycleRules") or [] if r.get("enabled")]
    if lifecycle:
        props["lifecycle"] = _lifecycle(lifecycle, "days")
    lock = i.get("objectLockConfiguration") or {}
    props["object_lock"] = _object_lock(lock, bool(i.get("objectLockEnabled")) or lock.get("objectLockEnabled") == "Enabled")
    props["acl"] = {"public": i.get("acl") in PUBLIC_CANNED_ACLS or _public_grants(i.get("grants") or [])}
    if i.get("acl") or i.get("grants"):
        props["ownership"] = None   # ACLs in use: not the ACL-disabled default


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(
        res, index, "AWS::S3::Bucket",
        encryption=dict(NEW_BUCKET_ENCRYPTION), public_access_block=dict(NEW_BUCKET_PUBLIC_ACCESS_BLOCK),
        policy=policy_documents.summarise_bucket_policy(None), acl={"public": False}, versioning={"enabled": False},
        object_lock={"enabled": False, "retention_days": None},
        lifecycle={"expiration_days": None, "noncurrent_expiration_days": None},
        logging={"enabled": False, "target_bucket": None, "target_region": None},
        replication={"destination_buckets": [], "destination_regions": []},
        ownership=NEW_BUCKET_OWNERSHIP)
    _inline_settings(res, resource, index)
    resource.arn = arn(resource.region, "", res.id)
    return resource


def fold_sse(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    bucket.properties["encryption"] = _encryption((res.inputs.get("rules") or [{}])[0], bucket.region, index)


def fold_public_access_block(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    """Declared flags replace AWS's defaults (the account-level block applies afterwards)."""
    flags = {name: bool(res.inputs.get(key)) for name, key in PAB_FLAGS}
    bucket.properties["public_access_block"] = {**flags, "all": all(flags.values())}


def fold_policy(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    try:
        bucket.properties["policy"] = policy_documents.summarise_bucket_policy(res.inputs.get("policy"))
    except ValueError as error:
        bucket.collection_errors["policy"] = f"the bucket policy cannot be judged: {error}"


def fold_versioning(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    status = (res.inputs.get("versioningConfiguration") or {}).get("status")
    bucket.properties["versioning"] = {"enabled": status == "Enabled"}


def fold_logging(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    bucket.properties["logging"] = _logging(res.inputs.get("targetBucket"), index)


def fold_lifecycle(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    enabled = [r for r in res.inputs.get("rules") or [] if r.get("status") == "Enabled"]
    bucket.properties["lifecycle"] = _lifecycle(enabled, "noncurrentDays")


def fold_object_lock(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    enabled = res.inputs.get("objectLockEnabled", "Enabled") == "Enabled"
    bucket.properties["object_lock"] = _object_lock(res.inputs, enabled or bucket.properties["object_lock"]["enabled"])


def fold_replication(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    bucket.properties["replication"] = _replication(res.inputs.get("rules") or [], index)


def fold_ownership(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    bucket.properties["ownership"] = (res.inputs.get("rule") or {}).get("objectOwnership")


def fold_acl(res: "CapturedResource", bucket: Resource, index: Any) -> None:
    grants = (res.inputs.get("accessControlPolicy") or {}).get("grants") or []
    bucket.properties["acl"] = {"public": res.inputs.get("acl") in PUBLIC_CANNED_ACLS or _public_grants(grants)}


def account_public_access_block(res: "CapturedResource", resources: list[Resource], index: Any = None) -> None:
    """An account-level block with all four flags covers every bucket of the account."""
    if all(res.inputs.get(key) for _name, key in PAB_FLAGS):
        for resource in resources:
            if resource.type == "AWS::S3::Bucket":
                resource.properties["public_access_block"]["all"] = True


# --------------------------------------------------------------------------- sandbox

def _tag_set(tags: Optional[dict]) -> list[dict[str, str]]:
    return [{"Key": str(k), "Value": str(v)} for k, v in (tags or {}).items()]


def create_bucket(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    s3 = sandbox.client("s3", region)
    name = inputs.get("bucket") or res.id
    args: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if inputs.get("objectLockEnabled"):
        args["ObjectLockEnabledForBucket"] = True
    s3.create_bucket(**args)
    # What AWS gives every new bucket (the local cloud does not): public access blocked, ACLs
    # disabled; the program's configuration resources replace them afterwards.
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    if not inputs.get("acl"):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    if inputs.get("tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_set(inputs["tags"])})
    if inputs.get("acl"):
        s3.put_bucket_acl(Bucket=name, ACL=inputs["acl"])
    if (inputs.get("versioning") or {}).get("enabled"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name, {"arn": arn(region, sandbox.account, name), "bucket": name,
                  "bucketDomainName": f"{name}.s3.{region}.amazonaws.com"}


def put_ownership(sandbox: Any, res: "CapturedResource", i: dict, region: str) -> tuple[str, dict]:
    return sandbox.configure_bucket(region, i, "put_bucket_ownership_controls", OwnershipControls={"Rules": [
        {"ObjectOwnership": (i.get("rule") or {}).get("objectOwnership", "BucketOwnerEnforced")}]})


def put_public_access_block(sandbox: Any, res: "CapturedResource", i: dict, region: str) -> tuple[str, dict]:
    return sandbox.configure_bucket(region, i, "put_public_access_block", PublicAccessBlockConfiguration={
        "BlockPublicAcls": bool(i.get("blockPublicAcls")), "IgnorePublicAcls": bool(i.get("ignorePublicAcls")),
        "BlockPublicPolicy": bool(i.get("blockPublicPolicy")),
        "RestrictPublicBuckets": bool(i.get("restrictPublicBuckets"))})


def put_encryption(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    rules = []
    for rule in inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        by_default = {"SSEAlgorithm": default.get("sseAlgorithm", "AES256")}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        rules.append({"ApplyServerSideEncryptionByDefault": by_default,
                      "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))})
    return sandbox.configure_bucket(region, inputs, "put_bucket_encryption",
                                    ServerSideEncryptionConfiguration={"Rules": rules})


def put_versioning(sandbox: Any, res: "CapturedResource", i: dict, region: str) -> tuple[str, dict]:
    return sandbox.configure_bucket(region, i, "put_bucket_versioning", VersioningConfiguration={
        "Status": (i.get("versioningConfiguration") or {}).get("status", "Enabled")})


def put_object_lock(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    config: dict[str, Any] = {"ObjectLockEnabled": inputs.get("objectLockEnabled", "Enabled")}
    retention = (inputs.get("rule") or {}).get("defaultRetention") or {}
    if retention:
        default: dict[str, Any] = {"Mode": retention.get("mode", "COMPLIANCE")}
        if retention.get("years"):
            default["Years"] = int(retention["years"])
        elif retention.get("days"):
            default["Days"] = int(retention["days"])
        config["Rule"] = {"DefaultRetention": default}
    return sandbox.configure_bucket(region, inputs, "put_object_lock_configuration", ObjectLockConfiguration=config)


def put_acl(sandbox: Any, res: "CapturedResource", i: dict, region: str) -> tuple[str, dict]:
    return sandbox.configure_bucket(region, i, "put_bucket_acl", ACL=i.get("acl", "private"))


def put_policy(sandbox: Any, res: "CapturedResource", i: dict, region: str) -> tuple[str, dict]:
    policy = i["policy"] if isinstance(i.get("policy"), str) else json.dumps(i.get("policy"))
    return sandbox.configure_bucket(region, i, "put_bucket_policy", Policy=policy)


def put_logging(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    """moto's PutBucketLogging check of the target's policy fails on a statement whose
    Principal is the string "*" (AWS accepts it). Sandbox workaround: while logging is
    configured, the target bucket carries only its log-delivery statements; then its
    declared policy goes back unchanged."""
    target = inputs["targetBucket"]
    s3 = sandbox.client("s3", sandbox.index.bucket_region(target) or region)
    try:
        declared = s3.get_bucket_policy(Bucket=target)["Policy"]
    except s3.exceptions.ClientError:
        declared = None
    if declared:
        statements = json.loads(declared).get("Statement") or []
        delivery = [st for st in statements if isinstance(st.get("Principal"), dict)]
        if len(delivery) != len(statements) and delivery:
            s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": delivery}))
        elif len(delivery) != len(statements):   # nothing to keep: lift it while logging is set
            s3.delete_bucket_policy(Bucket=target)
    try:
        return sandbox.configure_bucket(region, inputs, "put_bucket_logging", BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": target, "TargetPrefix": inputs.get("targetPrefix", "")}})
    finally:
        if declared:
            s3.put_bucket_policy(Bucket=target, Policy=declared)


def _lifecycle_rule(rule: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("id") or "rule", "Status": rule.get("status", "Enabled")}
    flt = rule.get("filter") or {}
    out["Filter"] = {"Prefix": flt.get("prefix", "")} if not flt.get("tag") else {
        "Tag": {"Key": flt["tag"]["key"], "Value": flt["tag"]["value"]}}
    if (rule.get("expiration") or {}).get("days"):
        out["Expiration"] = {"Days": int(rule["expiration"]["days"])}
    if (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays"):
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["noncurrentVersionExpiration"]["noncurrentDays"])}
    if (rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation"):
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"])}
    return out


def put_lifecycle(sandbox: Any, res: "CapturedResource", i: dict, region: str) -> tuple[str, dict]:
    return sandbox.configure_bucket(region, i, "put_bucket_lifecycle_configuration",
                                    LifecycleConfiguration={"Rules": [_lifecycle_rule(x) for x in i.get("rules") or []]})


# --------------------------------------------------------------------------- enforcer tagging

def read_tags(s3: Any, bucket: Resource) -> dict[str, str]:
    from botocore.exceptions import ClientError

    from scanners.calls import error_code, tag_dict

    try:
        return tag_dict(s3.get_bucket_tagging(Bucket=bucket.id).get("TagSet"))
    except ClientError as error:
        if error_code(error) == "NoSuchTagSet":
            return {}
        raise


def read_policy(s3: Any, bucket: Resource) -> Optional[dict]:
    from botocore.exceptions import ClientError

    from scanners.calls import error_code

    try:
        return policy_document(s3.get_bucket_policy(Bucket=bucket.id).get("Policy"))
    except ClientError as error:
        if error_code(error) == "NoSuchBucketPolicy":
            return None
        raise


def write_policy(bucket: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    return "PutBucketPolicy", {"Bucket": bucket.id, "Policy": compact(document)}


TLS_SID = "DenyInsecureTransport"


def tls_only_statement(bucket: Resource) -> dict[str, Any]:
    """Deny every request without TLS (LUX-ENC-003): grants nothing, so it may stand alone."""
    bucket_arn = f"arn:aws:s3:::{bucket.id}"
    return {"Sid": TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def write_tags(bucket: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """PutBucketTagging replaces the set: every existing tag is sent too."""
    merged = {**current, **new}
    return "PutBucketTagging", {"Bucket": bucket.id, "Tagging": {
        "TagSet": [{"Key": k, "Value": v} for k, v in sorted(merged.items())]}}


BUCKET_V2 = "aws:s3/bucketV2:BucketV2"   # pulumi-aws 6's bucket, deprecated but accepted by 7


def _child(pulumi_type: str, groups: tuple[str, ...], fold: Any, terraform: Optional[str], sandbox: Any = None,
           rank: int = 100, blocks: Optional[dict[str, str]] = None) -> PulumiType:
    return PulumiType(pulumi_type, fold=Folding(PULUMI_TYPE, "bucket", groups, fold, also_parents=(BUCKET_V2,)),
                      terraform=terraform, terraform_blocks=blocks or {}, sandbox=sandbox, sandbox_rank=rank)


def _v2(pulumi_type: str, groups: tuple[str, ...], fold: Any) -> PulumiType:
    """The `*V2` spelling of a configuration resource: same inputs, same folding."""
    return _child(pulumi_type, groups, fold, None)


# --- CloudFormation: the bucket's configuration is declared inside AWS::S3::Bucket ---------------

CFN_CANNED_ACLS = {"Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
                   "AuthenticatedRead": "authenticated-read", "LogDeliveryWrite": "log-delivery-write",
                   "BucketOwnerRead": "bucket-owner-read", "BucketOwnerFullControl": "bucket-owner-full-control",
                   "AwsExecRead": "aws-exec-read"}


def _cfn_lifecycle_rule(rule: dict) -> dict:
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    noncurrent_days = noncurrent.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    return {"status": rule.get("Status"),
            "expiration": {"days": rule.get("ExpirationInDays")} if rule.get("ExpirationInDays") is not None else None,
            "noncurrentVersionExpiration": {"noncurrentDays": noncurrent_days} if noncurrent_days is not None else None}


def _cfn_configuration(p: dict, own_id: str) -> list[tuple[str, str, dict]]:
    """The bucket configuration properties as the child resources pulumi-aws declares."""
    out: list[tuple[str, str, dict]] = []

    def child(kind: str, suffix: str, values: dict) -> None:
        out.append((f"aws:s3/{kind}", f"#{suffix}", {"bucket": own_id, **values}))

    if "BucketEncryption" in p:
        rules = (p["BucketEncryption"] or {}).get("ServerSideEncryptionConfiguration") or []
        child("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption",
              {"rules": [{"applyServerSideEncryptionByDefault": {
                  "sseAlgorithm": (r.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm"),
                  "kmsMasterKeyId": (r.get("ServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")},
                  "bucketKeyEnabled": r.get("BucketKeyEnabled")} for r in rules]})
    if "PublicAccessBlockConfiguration" in p:
        pab = p["PublicAccessBlockConfiguration"] or {}
        child("bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access-block",
              {key: pab.get(key[:1].upper() + key[1:]) for _, key in PAB_FLAGS})
    if "VersioningConfiguration" in p:
        child("bucketVersioning:BucketVersioning", "versioning",
              {"versioningConfiguration": {"status": (p["VersioningConfiguration"] or {}).get("Status")}})
    if "LoggingConfiguration" in p:   # no destination: the bucket logs to itself
        child("bucketLogging:BucketLogging", "logging",
              {"targetBucket": (p["LoggingConfiguration"] or {}).get("DestinationBucketName", own_id)})
    if "LifecycleConfiguration" in p:
        child("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle",
              {"rules": [_cfn_lifecycle_rule(r) for r in (p["LifecycleConfiguration"] or {}).get("Rules") or []]})
    if "OwnershipControls" in p:
        rules = (p["OwnershipControls"] or {}).get("Rules") or [{}]
        child("bucketOwnershipControls:BucketOwnershipControls", "ownership",
              {"rule": {"objectOwnership": rules[0].get("ObjectOwnership")}})
    if "ReplicationConfiguration" in p:
        rules = (p["ReplicationConfiguration"] or {}).get("Rules") or []
        child("bucketReplicationConfig:BucketReplicationConfig", "replication",
              {"rules": [{"status": r.get("Status", "Enabled"),
                          "destination": {"bucket": (r.get("Destination") or {}).get("Bucket")}} for r in rules]})
    if "ObjectLockConfiguration" in p:
        lock = p["ObjectLockConfiguration"] or {}
        retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
        child("bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock",
              {"objectLockEnabled": lock.get("ObjectLockEnabled", "Enabled"),
               "rule": {"defaultRetention": {"days": retention.get("Days"), "years": retention.get("Years")}}})
    if "AccessControl" in p:
        acl = p["AccessControl"]
        child("bucketAcl:BucketAcl", "acl", {"acl": CFN_CANNED_ACLS.get(acl, acl) if isinstance(acl, str) else acl})
    return out


def cfn_bucket(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    bucket = (PULUMI_TYPE, "", {"bucket": p.get("BucketName"), "tags": tags(p),
                                "objectLockEnabled": p.get("ObjectLockEnabled")})
    return [bucket, *_cfn_configuration(p, context.own_id)]


def cfn_bucket_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:s3/bucketPolicy:BucketPolicy", "", {"bucket": p.get("Bucket"),
                                                      "policy": policy_json(p.get("PolicyDocument"))})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::S3::Bucket",
    kind="bucket",
    properties={
        "encryption.algorithm": "string",           # aws:kms | aws:kms:dsse | AES256 | absent (none)
        "encryption.kms_key_id": "string",          # as configured: ARN, key id or alias
        "encryption.kms_key_region": "string",      # region of that key; absent when unknown
        "encryption.customer_managed_key": "bool",  # the key is customer-managed (not aws/s3, not SSE-S3)
        "encryption.bucket_key_enabled": "bool",
        "public_access_block.block_public_acls": "bool",
        "public_access_block.ignore_public_acls": "bool",
        "public_access_block.block_public_policy": "bool",
        "public_access_block.restrict_public_buckets": "bool",
        "public_access_block.all": "bool",          # all four flags on, at bucket level or account level
        "policy.present": "bool",
        "policy.public": "bool",                    # an Allow to Principal "*" without a restricting condition
        "policy.denies_insecure_transport": "bool",  # Deny when aws:SecureTransport = false
        "policy.denies_unencrypted_uploads": "bool",
        "policy.statement_ids": "list",
        "policy.grants": "objects",                 # every Allow as (callers, actions), Denies subtracted
        "policy.external_principals": "list",       # callers outside the trusted zone (filled by the engine)
        "policy.external_actions": "list",
        "acl.public": "bool",                       # grants to AllUsers / AuthenticatedUsers, or a public canned ACL
        "versioning.enabled": "bool",
        "object_lock.enabled": "bool",
        "object_lock.retention_days": "int",        # default retention in days (years x 365); absent when none
        "lifecycle.expiration_days": "int",         # shortest current-version expiration of enabled rules
        "lifecycle.noncurrent_expiration_days": "int",
        "logging.enabled": "bool",
        "logging.target_bucket": "string",
        "logging.target_region": "string",
        "replication.destination_buckets": "list",
        "replication.destination_regions": "list",  # regions of replication destinations ("unknown" if not resolvable)
        "ownership": "string",                      # BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter
    },
    pulumi=(
        PulumiType(PULUMI_TYPE, convert=convert, physical_name="bucket", terraform="aws_s3_bucket",
                   inputs=inputs(**INLINE_INPUTS), sandbox=create_bucket, sandbox_rank=30),
        _child("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               ("encryption",), fold_sse, "aws_s3_bucket_server_side_encryption_configuration", put_encryption, 33,
               {"rule": "rules"}),
        _child("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", ("public_access_block",),
               fold_public_access_block, "aws_s3_bucket_public_access_block", put_public_access_block, 32),
        _child("aws:s3/bucketPolicy:BucketPolicy", ("policy",), fold_policy, "aws_s3_bucket_policy", put_policy, 37),
        _child("aws:s3/bucketVersioning:BucketVersioning", ("versioning",), fold_versioning,
               "aws_s3_bucket_versioning", put_versioning, 34),
        _child("aws:s3/bucketLogging:BucketLogging", ("logging",), fold_logging, "aws_s3_bucket_logging",
               put_logging, 38),
        _child("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", ("lifecycle",), fold_lifecycle,
               "aws_s3_bucket_lifecycle_configuration", put_lifecycle, 39,
               {"rule": "rules", "transition": "transitions",
                "noncurrent_version_transition": "noncurrentVersionTransitions"}),
        _child("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", ("object_lock",),
               fold_object_lock, "aws_s3_bucket_object_lock_configuration", put_object_lock, 35),
        _child("aws:s3/bucketReplicationConfig:BucketReplicationConfig", ("replication",), fold_replication,
               "aws_s3_bucket_replication_configuration", blocks={"rule": "rules"}),
        _child("aws:s3/bucketOwnershipControls:BucketOwnershipControls", ("ownership",), fold_ownership,
               "aws_s3_bucket_ownership_controls", put_ownership, 31),
        _child("aws:s3/bucketAcl:BucketAcl", ("acl",), fold_acl, "aws_s3_bucket_acl", put_acl, 36, {"grant": "grants"}),
        PulumiType("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", account_wide=account_public_access_block,
                   terraform="aws_s3_account_public_access_block"),
        PulumiType(BUCKET_V2, convert=convert, physical_name="bucket", inputs=inputs(**INLINE_INPUTS)),
        _v2("aws:s3/bucketAclV2:BucketAclV2", ("acl",), fold_acl),
        _v2("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            ("encryption",), fold_sse),
        _v2("aws:s3/bucketVersioningV2:BucketVersioningV2", ("versioning",), fold_versioning),
        _v2("aws:s3/bucketLoggingV2:BucketLoggingV2", ("logging",), fold_logging),
        _v2("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", ("lifecycle",), fold_lifecycle),
        _v2("aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", ("object_lock",),
            fold_object_lock),
    ),
    arn=arn,
    live=LiveCollector("scanners.s3", "collect_bucket", scope="global", listing="s3 list"),
    drift=Drift(missing_category="retention", safer={
        "encryption.bucket_key_enabled": True, "public_access_block.block_public_acls": True,
        "public_access_block.ignore_public_acls": True, "public_access_block.block_public_policy": True,
        "public_access_block.restrict_public_buckets": True, "acl.public": False, "policy.public": False,
        "policy.denies_insecure_transport": True, "policy.denies_unencrypted_uploads": True,
        "versioning.enabled": True, "object_lock.enabled": True, "logging.enabled": True}),
    terraform=TerraformForm("aws_s3_bucket"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::S3::Bucket", cfn_bucket, physical_name="BucketName"),
        CloudFormationType("AWS::S3::BucketPolicy", cfn_bucket_policy))),
    tagging=Tagging("s3", read_tags, write_tags, max_tags=50),
    resource_policy=PolicyAccess("s3", read_policy, write_policy, floor=tls_only_statement,
                                 max_bytes=20 * 1024),
)
