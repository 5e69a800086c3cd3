"""S3 buckets: one inventory (ListBuckets is global), then one worker per bucket.

Calls: ListBuckets (paginated) once; GetBucketLocation per bucket (skipped when ListBuckets
already returns BucketRegion); s3control GetPublicAccessBlock once for the account; per
bucket: encryption, public access block, policy, ownership controls, ACL, versioning, logging,
lifecycle (8), plus object lock and replication (2) only when the bucket has
versioning on or suspended (both need versioning, so they cannot exist otherwise). The ACL
is not read when ownership is BucketOwnerEnforced (ACLs disabled, AWS's default since 2023).
Tags come from the region's Resource Groups Tagging pass (scanners.tagging), not a call per bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from luxguard.core.model import Resource, common_properties
from luxguard.core.policy_documents import summarise_bucket_policy
from luxguard.resources.s3_bucket import NEW_BUCKET_ENCRYPTION

from scanners import arns
from scanners.calls import FAILED, NOT_CONFIGURED, describe_error, read_group, tag_dict
from scanners.clients import ClientFactory
from scanners.keys import KeyResolver, key_errors
from scanners.tagging import TAG_GROUPS, TagIndex

TYPE = "AWS::S3::Bucket"
PAB_FLAGS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
UNKNOWN_REGION = "unknown"


def region_from_location(constraint: Optional[str]) -> str:
    """GetBucketLocation's legacy values: none/empty is us-east-1, 'EU' is eu-west-1."""
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


@dataclass
class S3Context:
    """What every bucket worker shares: locations, the account-level PAB, the key index."""

    home_region: str
    account_id: Optional[str]
    keys: KeyResolver
    locations: dict[str, Optional[str]] = field(default_factory=dict)
    location_errors: dict[str, str] = field(default_factory=dict)
    account_pab: dict[str, bool] = field(default_factory=dict)
    account_pab_error: Optional[str] = None
    tags: Optional[TagIndex] = None   # the scan's tagging pass; without one, GetBucketTagging per bucket


def list_buckets(clients: ClientFactory, home_region: str) -> dict[str, Optional[str]]:
    """Bucket name -> region when ListBuckets already says it (newer APIs), else None."""
    s3 = clients.client("s3", home_region)
    found: dict[str, Optional[str]] = {}
    for page in s3.get_paginator("list_buckets").paginate():
        for bucket in page.get("Buckets", []):
            found[bucket["Name"]] = bucket.get("BucketRegion")
    return found


def locate(clients: ClientFactory, context: S3Context, name: str) -> None:
    """Fill context.locations[name] with GetBucketLocation (errors kept per bucket)."""
    try:
        response = clients.client("s3", context.home_region).get_bucket_location(Bucket=name)
        context.locations[name] = region_from_location(response.get("LocationConstraint"))
    except Exception as error:  # noqa: BLE001 - any failure is this bucket's, reported on it
        context.locations[name] = None
        context.location_errors[name] = describe_error(error)


def bucket_region(clients: ClientFactory, context: S3Context, bucket: Optional[str], resource: Resource,
                  group: str) -> Optional[str]:
    """The region of a bucket another resource writes to: from the inventory, else (another
    account's bucket) GetBucketLocation; a failure is recorded on `resource` under `group`."""
    if not bucket:
        return None
    if context.locations.get(bucket):
        return context.locations[bucket]
    try:
        response = clients.client("s3", context.home_region).get_bucket_location(Bucket=bucket)
        return region_from_location(response.get("LocationConstraint"))
    except Exception as error:  # noqa: BLE001 - recorded on the resource, scan goes on
        resource.collection_errors[group] = describe_error(error)
        return None


def read_account_pab(clients: ClientFactory, context: S3Context) -> None:
    """The account-level public access block (s3control), once per scan."""
    if not context.account_id:
        context.account_pab_error = "no account id: account-level public access block not read"
        return
    probe = Resource(type="account", id=context.account_id)
    response = read_group(
        probe, "pab",
        lambda: clients.client("s3control", context.home_region).get_public_access_block(
            AccountId=context.account_id),
    )
    if response is FAILED:
        context.account_pab_error = "account level: " + probe.collection_errors["pab"]
    elif response is not NOT_CONFIGURED:
        config = response.get("PublicAccessBlockConfiguration", {})
        context.account_pab = {flag: bool(config.get(flag)) for flag in PAB_FLAGS}


def _encryption(response: Any, region: Optional[str], keys: KeyResolver, resource: Resource) -> dict[str, Any]:
    empty = {"algorithm": None, "kms_key_id": None, "kms_key_region": None,
             "customer_managed_key": False, "bucket_key_enabled": False}
    if response is NOT_CONFIGURED:  # S3 applies SSE-S3 where nothing is configured (as check assumes)
        return dict(NEW_BUCKET_ENCRYPTION)
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    if not rules:
        return dict(NEW_BUCKET_ENCRYPTION)
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    algorithm = default.get("SSEAlgorithm")
    key_id = default.get("KMSMasterKeyID")
    result = dict(empty, algorithm=algorithm, kms_key_id=key_id,
                  bucket_key_enabled=bool(rules[0].get("BucketKeyEnabled")))
    if algorithm and algorithm.startswith("aws:kms"):
        if key_id:
            info = keys.resolve(key_id, region)
            result.update(kms_key_region=info.region, customer_managed_key=info.customer_managed)
            undecided = key_errors(info, key_id)
            if undecided:   # the key's facts live inside the encryption group
                resource.collection_errors["encryption"] = next(iter(undecided.values()))
        else:  # the AWS-managed aws/s3 key of the bucket's own region (named as plans name it)
            result.update(kms_key_id="alias/aws/s3", kms_key_region=region, customer_managed_key=False)
    return result


def _public_access_block(response: Any, context: S3Context, resource: Resource) -> dict[str, Any]:
    config = {} if response is NOT_CONFIGURED else response.get("PublicAccessBlockConfiguration", {})
    flags = {name: bool(config.get(flag)) for flag, name in PAB_FLAGS.items()}
    bucket_all = all(flags.values())
    account_all = bool(context.account_pab) and all(context.account_pab.values())
    if not bucket_all and context.account_pab_error:
        resource.collection_errors["public_access_block"] = context.account_pab_error
    return dict(flags, all=bucket_all or account_all)


def _acl_public(response: Any) -> bool:
    return any(
        grant.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for grant in response.get("Grants", [])
    )


def _lifecycle(response: Any) -> dict[str, Optional[int]]:
    rules = [] if response is NOT_CONFIGURED else response.get("Rules", [])
    enabled = [r for r in rules if r.get("Status") == "Enabled"]
    current = [r["Expiration"]["Days"] for r in enabled if (r.get("Expiration") or {}).get("Days")]
    noncurrent = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in enabled if (r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")
    ]
    return {"expiration_days": min(current, default=None),
            "noncurrent_expiration_days": min(noncurrent, default=None)}


def _object_lock(response: Any) -> dict[str, Any]:
    if response is NOT_CONFIGURED:
        return {"enabled": False, "retention_days": None}
    config = response.get("ObjectLockConfiguration", {})
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    years, days = retention.get("Years"), retention.get("Days")
    return {"enabled": config.get("ObjectLockEnabled") == "Enabled",
            "retention_days": years * 365 if years else (days or None)}


def _replication(response: Any, context: S3Context, resource: Resource) -> dict[str, list[str]]:
    if response is NOT_CONFIGURED:
        return {"destination_buckets": [], "destination_regions": []}
    rules = response.get("ReplicationConfiguration", {}).get("Rules", [])
    names = sorted({
        arns.resource_part(r["Destination"]["Bucket"])
        for r in rules if r.get("Status") == "Enabled" and (r.get("Destination") or {}).get("Bucket")
    })
    # A bucket ListBuckets did not return belongs to another account: its region is unknown.
    regions = sorted({context.locations.get(n) or UNKNOWN_REGION for n in names})
    unlocated = [n for n in names if n in context.location_errors]
    if unlocated:   # ours, but where it is could not be read: undecided, not "unknown region"
        resource.collection_errors["replication"] = f"{unlocated[0]}: {context.location_errors[unlocated[0]]}"
    return {"destination_buckets": names, "destination_regions": regions}


def _logging(response: Any, context: S3Context, resource: Resource) -> dict[str, Any]:
    target = (response.get("LoggingEnabled") or {}).get("TargetBucket")
    if target in context.location_errors:
        resource.collection_errors["logging"] = f"{target}: {context.location_errors[target]}"
    return {"enabled": bool(target), "target_bucket": target,
            "target_region": context.locations.get(target) if target else None}


def collect_bucket(clients: ClientFactory, name: str, context: S3Context) -> Resource:
    """All property groups of one bucket; a refused call leaves only its group absent."""
    region = context.locations.get(name)
    resource = Resource(type=TYPE, id=name, region=region, arn=arns.bucket_arn(name, region))
    if name in context.location_errors:
        resource.collection_errors["region"] = context.location_errors[name]
    s3 = clients.client("s3", region or context.home_region)
    props: dict[str, Any] = {}

    def group(key: str, call: Any, build: Any) -> None:
        response = read_group(resource, key, call)
        if response is not FAILED:
            try:
                props[key] = build(response)
            except ValueError as error:  # an answer luxguard cannot judge (a policy it cannot read)
                resource.collection_errors[key] = f"cannot judge the answer: {error}"

    group("encryption", lambda: s3.get_bucket_encryption(Bucket=name),
          lambda r: _encryption(r, region, context.keys, resource))
    group("public_access_block", lambda: s3.get_public_access_block(Bucket=name),
          lambda r: _public_access_block(r, context, resource))
    group("policy", lambda: s3.get_bucket_policy(Bucket=name),
          lambda r: summarise_bucket_policy(None if r is NOT_CONFIGURED else r.get("Policy")))
    group("ownership", lambda: s3.get_bucket_ownership_controls(Bucket=name),
          lambda r: None if r is NOT_CONFIGURED
          else (r["OwnershipControls"]["Rules"] or [{}])[0].get("ObjectOwnership"))
    if props.get("ownership") == "BucketOwnerEnforced":
        props["acl"] = {"public": False}   # ACLs are disabled: they grant nothing, no need to read them
    else:
        group("acl", lambda: s3.get_bucket_acl(Bucket=name), lambda r: {"public": _acl_public(r)})
    versioning = read_group(resource, "versioning", lambda: s3.get_bucket_versioning(Bucket=name))
    if versioning is not FAILED:
        props["versioning"] = {"enabled": versioning.get("Status") == "Enabled"}
    group("logging", lambda: s3.get_bucket_logging(Bucket=name), lambda r: _logging(r, context, resource))
    group("lifecycle", lambda: s3.get_bucket_lifecycle_configuration(Bucket=name), _lifecycle)
    if versioning is FAILED or versioning.get("Status"):
        group("object_lock", lambda: s3.get_object_lock_configuration(Bucket=name), _object_lock)
        group("replication", lambda: s3.get_bucket_replication(Bucket=name),
              lambda r: _replication(r, context, resource))
    else:
        props["object_lock"] = _object_lock(NOT_CONFIGURED)
        props["replication"] = _replication(NOT_CONFIGURED, context, resource)
    resource.properties = {**common_properties(name, region, _tags(s3, resource, context)), **props}
    return resource


def _tags(s3: Any, resource: Resource, context: S3Context) -> dict[str, str]:
    """The bucket's tags: from its region's tagging pass, else (no pass) GetBucketTagging. A
    bucket whose region is unknown has no pass to look in: its tags are undecided."""
    if context.tags is not None:
        if resource.region is None:
            why = resource.collection_errors.get("region", "not known")
            for group in TAG_GROUPS:
                resource.collection_errors[group] = f"its tags were not looked up: its region is unread ({why})"
            return {}
        return context.tags.region(resource.region).apply(resource, resource.arn)
    tags = read_group(resource, "tags", lambda: s3.get_bucket_tagging(Bucket=resource.id))
    if tags is FAILED:
        for derived in ("classification", "role"):
            resource.collection_errors[derived] = resource.collection_errors["tags"]
    return {} if tags in (FAILED, NOT_CONFIGURED) else tag_dict(tags.get("TagSet"))
