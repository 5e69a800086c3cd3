"""RDS DB instances and DB clusters (storage encryption, its key, public accessibility, the
regions their replicas copy the data to) and DB and cluster snapshots (encryption, and the
accounts that may restore them).

Calls per region: DescribeDBInstances, DescribeDBClusters, DescribeDBSnapshots and
DescribeDBClusterSnapshots (paginated; tags come in TagList, so none per resource);
DescribeGlobalClusters once when a cluster of the region belongs to a global cluster; per manual
snapshot: DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes (only manual
snapshots can be shared; automated ones are read for region and encryption).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties

from luxguard.resources import rds_cluster_snapshot
from luxguard.resources.rds_replication import regions_of
from luxguard.resources.rds_snapshot import SHARE_ACTIONS, sharing

from scanners import arns
from scanners.calls import FAILED, read_group, shared_read, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key

TYPE = "AWS::RDS::DBInstance"


def db_instance(db: dict[str, Any], region: str, keys: KeyResolver) -> Resource:
    identifier = db["DBInstanceIdentifier"]
    tags = tag_dict(db.get("TagList"))
    key = db.get("KmsKeyId")
    resource = Resource(type=TYPE, id=identifier, region=region,
                        arn=db.get("DBInstanceArn") or arns.build("rds", region, None, f"db:{identifier}"))
    key_facts = resolved_key(resource, keys, key, region)
    resource.properties = {
        **common_properties(identifier, region, tags),
        "storage_encrypted": bool(db.get("StorageEncrypted")),
        **key_facts,
        "publicly_accessible": bool(db.get("PubliclyAccessible")),
        "engine": db.get("Engine"),
        "replica_regions": regions_of(
            [*db.get("ReadReplicaDBInstanceIdentifiers", []), *db.get("ReadReplicaDBClusterIdentifiers", []),
             *(b.get("DBInstanceAutomatedBackupsArn") for b in db.get("DBInstanceAutomatedBackupsReplications", []))],
            region),
    }
    return resource


def collect_db_instances(shared: Shared, region: str) -> list[Resource]:
    rds = shared.clients.client("rds", region)
    return [
        db_instance(db, region, shared.keys)
        for page in rds.get_paginator("describe_db_instances").paginate()
        for db in page.get("DBInstances", [])
    ]


CLUSTER_TYPE = "AWS::RDS::DBCluster"


def global_partners(rds: Any, clusters: list[dict[str, Any]]) -> dict[str, list[str]] | str:
    """Cluster ARN -> the ARNs of the other members of its global cluster (one paginated
    DescribeGlobalClusters, only when a cluster belongs to one); the error, when it was refused."""
    if not any(c.get("GlobalClusterIdentifier") for c in clusters):
        return {}
    partners: dict[str, list[str]] = {}
    pages, refused = shared_read(lambda: list(rds.get_paginator("describe_global_clusters").paginate()))
    if refused:
        return refused
    for page in pages:
        for global_cluster in page.get("GlobalClusters", []):
            members = [m["DBClusterArn"] for m in global_cluster.get("GlobalClusterMembers", []) if m.get("DBClusterArn")]
            for member in members:
                partners.setdefault(member, []).extend(m for m in members if m != member)
    return partners


def db_cluster(cluster: dict[str, Any], region: str, keys: KeyResolver, partners: dict[str, list[str]] | str) -> Resource:
    identifier = cluster["DBClusterIdentifier"]
    key = cluster.get("KmsKeyId") if cluster.get("StorageEncrypted") else None   # unencrypted: no key encrypts it
    arn = cluster.get("DBClusterArn") or arns.build("rds", region, None, f"cluster:{identifier}")
    resource = Resource(type=CLUSTER_TYPE, id=identifier, region=region, arn=arn)
    key_facts = resolved_key(resource, keys, key, region)
    members = partners.get(arn, []) if isinstance(partners, dict) else []
    if isinstance(partners, str) and cluster.get("GlobalClusterIdentifier"):   # its global cluster's members are unknown
        resource.collection_errors["replica_regions"] = partners
    resource.properties = {
        **common_properties(identifier, region, tag_dict(cluster.get("TagList"))),
        "storage_encrypted": bool(cluster.get("StorageEncrypted")),
        **key_facts,
        "engine": cluster.get("Engine"),
        "replica_regions": regions_of([*cluster.get("ReadReplicaIdentifiers", []), *members], region),
    }
    return resource


def collect_db_clusters(shared: Shared, region: str) -> list[Resource]:
    rds = shared.clients.client("rds", region)
    clusters = [c for page in rds.get_paginator("describe_db_clusters").paginate() for c in page.get("DBClusters", [])]
    partners = global_partners(rds, clusters)
    return [db_cluster(c, region, shared.keys, partners) for c in sorted(clusters, key=lambda c: c["DBClusterIdentifier"])]


SNAPSHOT_TYPE = "AWS::RDS::DBSnapshot"


class SnapshotApi:
    """How DB snapshots and cluster snapshots are named in the same-shaped RDS answers."""

    def __init__(self, cfn_type: str, prefix: str, actions: tuple[str, ...]):
        self.type, self.prefix, self.actions = cfn_type, prefix, actions

    def attributes(self, rds: Any, identifier: str) -> Any:
        if self.prefix == "DBSnapshot":
            return rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier)
        return rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=identifier)


DB_SNAPSHOTS = SnapshotApi(SNAPSHOT_TYPE, "DBSnapshot", SHARE_ACTIONS)
CLUSTER_SNAPSHOTS = SnapshotApi(rds_cluster_snapshot.CFN_TYPE, "DBClusterSnapshot", rds_cluster_snapshot.SHARE_ACTIONS)


def db_snapshot(rds: Any, snapshot: dict[str, Any], region: str, keys: KeyResolver,
                api: SnapshotApi = DB_SNAPSHOTS) -> Resource:
    identifier = snapshot[f"{api.prefix}Identifier"]
    encrypted = snapshot.get("Encrypted", snapshot.get("StorageEncrypted"))   # cluster snapshots say StorageEncrypted
    key = snapshot.get("KmsKeyId") if encrypted else None   # an unencrypted snapshot: no key encrypts it
    resource = Resource(type=api.type, id=identifier, region=region, arn=snapshot.get(f"{api.prefix}Arn"))
    key_facts = resolved_key(resource, keys, key, region)
    resource.properties = {**common_properties(identifier, region, tag_dict(snapshot.get("TagList"))),
                           "encrypted": bool(encrypted), **key_facts, **sharing([], api.actions)}
    if snapshot.get("SnapshotType") == "manual":
        answer = read_group(resource, "public", lambda: api.attributes(rds, identifier))
        if answer is FAILED:
            resource.collection_errors["sharing"] = resource.collection_errors["public"]
        else:
            result = answer[f"{api.prefix}AttributesResult"]
            restore = [value for attribute in result.get(f"{api.prefix}Attributes", [])
                       if attribute.get("AttributeName") == "restore" for value in attribute.get("AttributeValues", [])]
            resource.properties.update(sharing(restore, api.actions))
    return resource


def _snapshots(shared: Shared, region: str, api: SnapshotApi) -> list[Resource]:
    rds = shared.clients.client("rds", region)
    operation = "describe_db_snapshots" if api is DB_SNAPSHOTS else "describe_db_cluster_snapshots"
    snapshots = [s for page in rds.get_paginator(operation).paginate() for s in page.get(f"{api.prefix}s", [])]
    return [db_snapshot(rds, snapshot, region, shared.keys, api)
            for snapshot in sorted(snapshots, key=lambda s: s[f"{api.prefix}Identifier"])]


def collect_db_snapshots(shared: Shared, region: str) -> list[Resource]:
    return _snapshots(shared, region, DB_SNAPSHOTS)


def collect_db_cluster_snapshots(shared: Shared, region: str) -> list[Resource]:
    return _snapshots(shared, region, CLUSTER_SNAPSHOTS)
