"""ElastiCache replication groups: encryption at rest and its key, encryption in transit.

Calls per region: DescribeReplicationGroups (paginated); tags from the region's tagging pass.
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.elasticache_replication_group import CFN_TYPE, arn, at_rest_key

from scanners.context import Shared
from scanners.keys import resolved_key


def replication_group(group: dict[str, Any], region: str, shared: Shared) -> Resource:
    identifier = group["ReplicationGroupId"]
    resource = Resource(type=CFN_TYPE, id=identifier, region=region,
                        arn=group.get("ARN") or arn(region, shared.account or "", identifier))
    encrypted = bool(group.get("AtRestEncryptionEnabled"))
    key = at_rest_key(encrypted, group.get("KmsKeyId"))
    key_facts = resolved_key(resource, shared.keys, key, region)
    resource.properties = {
        **common_properties(identifier, region, shared.tags.region(region).apply(resource, resource.arn)),
        "encrypted": encrypted,
        **key_facts,
        "transit_encryption": bool(group.get("TransitEncryptionEnabled")),
    }
    return resource


def collect_replication_groups(shared: Shared, region: str) -> list[Resource]:
    elasticache = shared.clients.client("elasticache", region)
    groups = [g for page in elasticache.get_paginator("describe_replication_groups").paginate()
              for g in page.get("ReplicationGroups", [])]
    return [replication_group(g, region, shared) for g in sorted(groups, key=lambda g: g["ReplicationGroupId"])]
