"""Secrets Manager secrets: the KMS key that encrypts them, the regions they replicate to and
who their resource policy lets in.

Calls per region: ListSecrets (paginated; key and tags included); per primary secret:
DescribeSecret for its replication status and GetResourcePolicy for its policy (ListSecrets
returns neither). Replicas kept in another region are listed there with their PrimaryRegion
and are not reported twice.
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.resource_policy import set_policy

from scanners.calls import FAILED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key

TYPE = "AWS::SecretsManager::Secret"
AWS_MANAGED_KEY = "alias/aws/secretsmanager"


def _secret(secrets: Any, entry: dict[str, Any], region: str, keys: KeyResolver) -> Resource:
    name = entry["Name"]
    resource = Resource(type=TYPE, id=name, region=region, arn=entry.get("ARN"))
    key = entry.get("KmsKeyId") or AWS_MANAGED_KEY
    props: dict[str, Any] = resolved_key(resource, keys, key, region)
    described = read_group(resource, "replica_regions", lambda: secrets.describe_secret(SecretId=entry["ARN"]))
    if described is not FAILED:
        props["replica_regions"] = sorted(r["Region"] for r in described.get("ReplicationStatus") or []
                                          if r.get("Region"))
    resource.properties = {**common_properties(name, region, tag_dict(entry.get("Tags"))), **props}
    policy = read_group(resource, "policy", lambda: secrets.get_resource_policy(SecretId=entry["ARN"]))
    if policy is not FAILED:   # no policy: the answer has no ResourcePolicy
        set_policy(resource, policy.get("ResourcePolicy"), "the ResourcePolicy GetResourcePolicy answered")
    return resource


def collect_secrets(shared: Shared, region: str) -> list[Resource]:
    secrets = shared.clients.client("secretsmanager", region)
    entries = [e for page in secrets.get_paginator("list_secrets").paginate() for e in page.get("SecretList", [])
               if e.get("PrimaryRegion") in (None, region)]
    return [_secret(secrets, entry, region, shared.keys) for entry in entries]
