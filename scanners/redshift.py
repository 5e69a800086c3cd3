"""Redshift clusters: storage encryption and its key, public accessibility, and the region
snapshots are copied to (ClusterSnapshotCopyStatus).

Calls per region: DescribeClusters (paginated; tags come in the answer, so none per cluster).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.redshift_cluster import CFN_TYPE, arn

from scanners.calls import tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key


def redshift_cluster(cluster: dict[str, Any], region: str, account: str, keys: KeyResolver) -> Resource:
    identifier = cluster["ClusterIdentifier"]
    encrypted = bool(cluster.get("Encrypted"))
    key = cluster.get("KmsKeyId") if encrypted else None
    resource = Resource(type=CFN_TYPE, id=identifier, region=region, arn=arn(region, account, identifier))
    key_facts = resolved_key(resource, keys, key, region)
    copy = cluster.get("ClusterSnapshotCopyStatus") or {}
    resource.properties = {
        **common_properties(identifier, region, tag_dict(cluster.get("Tags"))),
        "storage_encrypted": encrypted,
        **key_facts,
        "publicly_accessible": bool(cluster.get("PubliclyAccessible")),
        "replica_regions": [str(copy["DestinationRegion"])] if copy.get("DestinationRegion") else [],
    }
    return resource


def collect_clusters(shared: Shared, region: str) -> list[Resource]:
    redshift = shared.clients.client("redshift", region)
    clusters = [c for page in redshift.get_paginator("describe_clusters").paginate() for c in page.get("Clusters", [])]
    return [redshift_cluster(c, region, shared.account or "", shared.keys)
            for c in sorted(clusters, key=lambda c: c["ClusterIdentifier"])]
