"""ECS clusters: where they run and the key of their Fargate tasks' ephemeral storage.

Calls per region: ListClusters (paginated); DescribeClusters per 100 clusters (configuration and
tags included: nothing per cluster).
"""

from __future__ import annotations

from typing import Any, Optional

from luxguard.core.model import Resource, common_properties
from luxguard.resources.ecs_cluster import CFN_TYPE, STORAGE_GROUPS, storage_key, tag_map

from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import resolved_key

BATCH = 100   # DescribeClusters' limit
UNREAD = (*STORAGE_GROUPS, "tags", "classification", "role")   # what DescribeClusters answers


def _cluster(arn: str, described: Any, region: str, shared: Shared, refused: Optional[str]) -> Resource:
    name = arn.rsplit("/", 1)[-1]
    resource = Resource(type=CFN_TYPE, id=name, region=region, arn=arn)
    resource.properties = common_properties(name, region, {})
    if described is None:   # refused, or listed and then absent from the answer (its `failures`)
        for group in UNREAD:
            resource.collection_errors[group] = refused or f"{name}: DescribeClusters did not describe it"
        return resource
    resource.properties = common_properties(name, region, tag_map(described.get("tags")))
    key = storage_key(described.get("configuration"))
    resource.properties.update({"encrypted": True, **resolved_key(resource, shared.keys, key, region)})
    return resource


def collect_clusters(shared: Shared, region: str) -> list[Resource]:
    ecs = shared.clients.client("ecs", region)
    arns = sorted(a for page in ecs.get_paginator("list_clusters").paginate() for a in page.get("clusterArns", []))
    found: list[Resource] = []
    for start in range(0, len(arns), BATCH):
        batch = arns[start:start + BATCH]
        probe = Resource(type=CFN_TYPE, id=batch[0], region=region)
        answer = read_group(probe, "encrypted", lambda: ecs.describe_clusters(
            clusters=batch, include=["CONFIGURATIONS", "TAGS"]))
        described = {} if answer is FAILED else {c.get("clusterArn"): c for c in answer.get("clusters") or []}
        refused = probe.collection_errors.get("encrypted")
        found.extend(_cluster(arn, described.get(arn), region, shared, refused) for arn in batch)
    return found
