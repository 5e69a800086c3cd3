"""KMS keys: who manages them, their state, rotation and whether their policy is public.

Calls per region: ListKeys + ListAliases (paginated); per key: DescribeKey; per
customer-managed key: tags from the region's Resource Groups Tagging pass, GetKeyPolicy and
ListGrants (paginated; a grant lets its grantee use the key whatever the policy says), plus
GetKeyRotationStatus when it is Enabled.
AWS-managed keys rotate automatically and have AWS-owned policies: no calls for those.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.kms_key import grant_shares, key_policy, list_grants

from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import KeyResolver, is_aws_managed
from scanners.tagging import TagIndex

TYPE = "AWS::KMS::Key"


def _aliases_by_key(kms: Any) -> dict[str, list[str]]:
    aliases: dict[str, list[str]] = defaultdict(list)
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page.get("Aliases", []):
            if alias.get("TargetKeyId"):
                aliases[alias["TargetKeyId"]].append(alias["AliasName"])
    return aliases


def _key(kms: Any, region: str, key_id: str, aliases: list[str], keys: KeyResolver, tags: TagIndex) -> Resource:
    own_aliases = sorted(a for a in aliases if not a.startswith("alias/aws/")) or sorted(aliases)
    name = own_aliases[0][len("alias/"):] if own_aliases else key_id
    resource = Resource(type=TYPE, id=key_id, region=region)
    resource.properties = common_properties(name, region, {})
    described = read_group(resource, "state", lambda: kms.describe_key(KeyId=key_id))
    if described is FAILED:
        for group in ("key_manager", "rotation_enabled", "policy", "sharing"):
            resource.collection_errors[group] = resource.collection_errors["state"]
        return resource
    meta = described["KeyMetadata"]
    resource.arn = meta.get("Arn")
    aws_managed = is_aws_managed(meta.get("KeyManager"), aliases)
    keys.add(region, key_id, meta.get("Arn"), not aws_managed, aliases)
    resource.properties.update(key_manager="AWS" if aws_managed else "CUSTOMER", state=meta.get("KeyState"))
    if aws_managed:
        resource.properties.update(rotation_enabled=True, policy={"public": False, "grants": []},
                                   sharing={"grants": []})
        return resource
    # what data a key protects (an approval's categories) is on its tags
    resource.properties.update(common_properties(name, region, tags.region(region).apply(resource, resource.arn)))
    if meta.get("KeyState") == "Enabled":
        rotation = read_group(resource, "rotation_enabled", lambda: kms.get_key_rotation_status(KeyId=key_id))
        if rotation is not FAILED:
            resource.properties["rotation_enabled"] = bool(rotation.get("KeyRotationEnabled"))
    policy = read_group(resource, "policy", lambda: kms.get_key_policy(KeyId=key_id, PolicyName="default"))
    if policy is not FAILED:
        try:
            resource.properties["policy"] = key_policy(policy.get("Policy") or None)
        except ValueError as error:
            resource.collection_errors["policy"] = f"GetKeyPolicy answered a policy that cannot be judged: {error}"
    _grants(kms, resource)
    return resource


def _grants(kms: Any, resource: Resource) -> None:
    """`sharing.grants`: every KMS grant on the key, as grants of its grantee."""
    answer = read_group(resource, "sharing", lambda: list_grants(kms, resource.id))
    if answer is FAILED:
        return
    shares: list = []
    for grant in answer:
        try:
            shares.extend(grant_shares(grant.get("GranteePrincipal"), grant.get("Operations"),
                                       f"grant {grant.get('GrantId')}"))
        except ValueError as error:
            resource.collection_errors["sharing"] = f"ListGrants answered a grant that cannot be judged: {error}"
            return
    resource.properties["sharing"] = {"grants": shares}


def collect_keys(shared: Shared, region: str) -> list[Resource]:
    """Every key in `region`, PendingDeletion and Disabled ones included (state says so)."""
    kms, keys = shared.clients.client("kms", region), shared.keys
    aliases = _aliases_by_key(kms)
    key_ids = [
        k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page.get("Keys", [])
    ]
    return [_key(kms, region, key_id, aliases.get(key_id, []), keys, shared.tags) for key_id in key_ids]
