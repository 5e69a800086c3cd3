"""Drift findings -> the action that restores the declared value of the drifted property.

A drift finding (`finding.drift = {"property", "declared", "actual"}`) is repaired only when
the declared value is the protective one for a property an action knows how to set; a
weaker declared value, a `missing`/`unmanaged` resource, or any other property is "manual"
(restore it with `pulumi up`). The table is data: property prefix -> action, plus a test
that the declared value is the secure one and the options the action needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from luxguard.core.model import Finding
from luxguard.core.policy_documents import denies_insecure_transport, parse, statements

PAB = {"block_public_acls": "BlockPublicAcls", "ignore_public_acls": "IgnorePublicAcls",
       "block_public_policy": "BlockPublicPolicy", "restrict_public_buckets": "RestrictPublicBuckets"}

Repair = tuple[str, dict]
Manual = str


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "enabled"))


def _encryption(prop: str, declared: Any) -> Repair | Manual:
    if isinstance(declared, dict):
        algorithm, key = declared.get("algorithm"), declared.get("kms_key_id")
    elif prop.endswith("kms_key_id"):
        algorithm, key = "aws:kms", declared
    elif prop.endswith(("customer_managed_key", "bucket_key_enabled")):
        # the encryption action always turns bucket keys on with the designated key
        algorithm, key = ("aws:kms" if declared is True else None), None
    else:
        algorithm, key = declared, None
    if not (isinstance(algorithm, str) and algorithm.startswith("aws:kms")):
        return f"declared encryption {declared!r} is not aws:kms with a customer-managed key; restore it with pulumi up"
    options: dict = {}
    if isinstance(key, str) and key.startswith("arn:") and ":key/" in key:
        options["kms_key"] = key
    return "s3_set_default_encryption", options


def _pab(prop: str, declared: Any) -> Repair | Manual:
    leaf = prop.split(".")[-1]
    if leaf in PAB:
        return ("s3_block_public_access", {"flags": [PAB[leaf]]}) if _truthy(declared) else "declared flag is off"
    if isinstance(declared, dict):
        flags = [PAB[k] for k, v in declared.items() if k in PAB and _truthy(v)]
        if declared.get("all") is True:
            flags = list(PAB.values())
        return ("s3_block_public_access", {"flags": flags}) if flags else "no flag declared on"
    return ("s3_block_public_access", {}) if _truthy(declared) else "declared public access block is off"


def _versioning(prop: str, declared: Any) -> Repair | Manual:
    value = declared.get("enabled", declared.get("Status")) if isinstance(declared, dict) else declared
    return ("s3_enable_versioning", {}) if _truthy(value) else "declared versioning is off"


def _policy(prop: str, declared: Any) -> Repair | Manual:
    if prop.endswith("denies_insecure_transport"):
        return ("s3_deny_insecure_transport", {}) if _truthy(declared) else "declared policy allows plain HTTP"
    try:
        document = parse(json.dumps(declared) if isinstance(declared, dict) else declared)
    except (ValueError, TypeError):
        return "declared policy is not a policy document; restore it with pulumi up"
    if any(denies_insecure_transport(s) for s in statements(document)):
        return "s3_deny_insecure_transport", {}
    return "only the TLS-only statement is restored automatically; restore the rest of the policy with pulumi up"


def _ingress(prop: str, declared: Any) -> Repair | Manual:
    keep = [r for r in declared or [] if isinstance(r, dict) and r.get("open_to_world")]
    return "sg_revoke_world_ingress", ({"keep": keep} if keep else {})


def _false_then(action: str) -> Callable[[str, Any], Repair | Manual]:
    return lambda prop, declared: (action, {}) if declared is False else f"declared value {declared!r} is not false"


def _true_then(action: str) -> Callable[[str, Any], Repair | Manual]:
    return lambda prop, declared: (action, {}) if _truthy(declared) else f"declared value {declared!r} is not true"


# (resource type, property prefix) -> how to restore it
DRIFT_REPAIRS: dict[tuple[str, str], Callable[[str, Any], Repair | Manual]] = {
    ("AWS::S3::Bucket", "encryption"): _encryption,
    ("AWS::S3::Bucket", "public_access_block"): _pab,
    ("AWS::S3::Bucket", "versioning"): _versioning,
    ("AWS::S3::Bucket", "policy"): _policy,
    ("AWS::S3::Bucket", "acl.public"): _false_then("s3_remove_public_acl"),
    ("AWS::EC2::SecurityGroup", "ingress"): _ingress,
    ("AWS::KMS::Key", "rotation_enabled"): _true_then("kms_enable_rotation"),
    ("AWS::RDS::DBInstance", "publicly_accessible"): _false_then("rds_disable_public_access"),
    ("AWS::EC2::Snapshot", "public"): _false_then("ebs_unshare_snapshot"),
    ("AWS::EC2::Image", "public"): _false_then("ebs_unshare_snapshot"),
    ("AWS::EC2::EBSEncryptionByDefault", "enabled"): _true_then("ebs_enable_default_encryption"),
}


def drift_repair(finding: Finding) -> Repair | Manual:
    """(action name, options) for a drift finding, or the reason it is manual."""
    drift = finding.drift or {}
    if drift.get("kind"):
        return f"drift kind {drift['kind']}: manual (luxguard neither creates nor deletes resources)"
    prop = str(drift.get("property") or "")
    for (rtype, prefix), repair in DRIFT_REPAIRS.items():
        if finding.resource.type == rtype and (prop == prefix or prop.startswith(prefix + ".")):
            return repair(prop, drift.get("declared"))
    return f"drift of {prop or '?'}: no automatic restore; restore the declared state with pulumi up"
