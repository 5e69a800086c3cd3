"""EKS clusters: where they run, the key that encrypts their secrets and who can reach their API.

Calls per region: ListClusters (paginated); per cluster: DescribeCluster (tags in its answer).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.eks_cluster import CFN_TYPE, ENDPOINT_GROUPS, SECRET_GROUPS, endpoint, secrets_key

from scanners import arns
from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import resolved_key


def _lower(configs: Any) -> list[dict]:
    """DescribeCluster's encryptionConfig in the shape the model reads (pulumi's camelCase)."""
    return [{"resources": c.get("resources"), "provider": {"keyArn": (c.get("provider") or {}).get("keyArn")}}
            for c in configs or [] if isinstance(c, dict)]


def _cluster(eks: Any, name: str, region: str, shared: Shared) -> Resource:
    resource = Resource(type=CFN_TYPE, id=name, region=region,
                        arn=arns.build("eks", region, shared.account, f"cluster/{name}"))
    resource.properties = common_properties(name, region, {})
    answer = read_group(resource, "encrypted", lambda: eks.describe_cluster(name=name))
    if answer is FAILED:
        for group in (*SECRET_GROUPS[1:], *ENDPOINT_GROUPS, "tags", "classification", "role"):
            resource.collection_errors[group] = resource.collection_errors["encrypted"]
        return resource
    cluster = answer.get("cluster") or {}
    resource.arn = cluster.get("arn") or resource.arn
    resource.properties = common_properties(name, region, cluster.get("tags") or {})
    key = secrets_key(_lower(cluster.get("encryptionConfig")))
    resource.properties.update({"encrypted": key is not None, **resolved_key(resource, shared.keys, key, region)})
    vpc = cluster.get("resourcesVpcConfig") or {}
    resource.properties.update(endpoint(vpc.get("endpointPublicAccess"), vpc.get("publicAccessCidrs")))
    return resource


def collect_clusters(shared: Shared, region: str) -> list[Resource]:
    eks = shared.clients.client("eks", region)
    names = [n for page in eks.get_paginator("list_clusters").paginate() for n in page.get("clusters", [])]
    return [_cluster(eks, str(name), region, shared) for name in sorted(names)]
