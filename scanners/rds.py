"""RDS DB instances (storage encryption, its key, public accessibility) and DB snapshots
(encryption, and the accounts that may restore them).

Calls per region: DescribeDBInstances and DescribeDBSnapshots (paginated; tags come in TagList,
so none per resource); per manual snapshot: DescribeDBSnapshotAttributes (only manual snapshots
can be shared; automated ones are read for region and encryption).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties

from luxguard.resources.rds_snapshot import sharing

from scanners import arns
from scanners.calls import FAILED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, key_errors, key_properties

TYPE = "AWS::RDS::DBInstance"


def db_instance(db: dict[str, Any], region: str, keys: KeyResolver) -> Resource:
    identifier = db["DBInstanceIdentifier"]
    tags = tag_dict(db.get("TagList"))
    key = db.get("KmsKeyId")
    resource = Resource(type=TYPE, id=identifier, region=region,
                        arn=db.get("DBInstanceArn") or arns.build("rds", region, None, f"db:{identifier}"))
    info = keys.resolve(key, region)
    resource.collection_errors.update(key_errors(info, key))
    resource.properties = {
        **common_properties(identifier, region, tags),
        "storage_encrypted": bool(db.get("StorageEncrypted")),
        **key_properties(info, key),
        "publicly_accessible": bool(db.get("PubliclyAccessible")),
        "engine": db.get("Engine"),
    }
    return resource


def collect_db_instances(shared: Shared, region: str) -> list[Resource]:
    rds = shared.clients.client("rds", region)
    return [
        db_instance(db, region, shared.keys)
        for page in rds.get_paginator("describe_db_instances").paginate()
        for db in page.get("DBInstances", [])
    ]


SNAPSHOT_TYPE = "AWS::RDS::DBSnapshot"


def db_snapshot(rds: Any, snapshot: dict[str, Any], region: str, keys: KeyResolver) -> Resource:
    identifier = snapshot["DBSnapshotIdentifier"]
    key = snapshot.get("KmsKeyId")
    resource = Resource(type=SNAPSHOT_TYPE, id=identifier, region=region, arn=snapshot.get("DBSnapshotArn"))
    info = keys.resolve(key, region)
    resource.collection_errors.update(key_errors(info, key))
    resource.properties = {**common_properties(identifier, region, tag_dict(snapshot.get("TagList"))),
                           "encrypted": bool(snapshot.get("Encrypted")), **key_properties(info, key), **sharing([])}
    if snapshot.get("SnapshotType") == "manual":
        answer = read_group(resource, "public", lambda: rds.describe_db_snapshot_attributes(
            DBSnapshotIdentifier=identifier))
        if answer is FAILED:
            resource.collection_errors["sharing"] = resource.collection_errors["public"]
        else:
            restore = [value for attribute in answer["DBSnapshotAttributesResult"].get("DBSnapshotAttributes", [])
                       if attribute.get("AttributeName") == "restore" for value in attribute.get("AttributeValues", [])]
            resource.properties.update(sharing(restore))
    return resource


def collect_db_snapshots(shared: Shared, region: str) -> list[Resource]:
    rds = shared.clients.client("rds", region)
    snapshots = [s for page in rds.get_paginator("describe_db_snapshots").paginate() for s in page.get("DBSnapshots", [])]
    return [db_snapshot(rds, snapshot, region, shared.keys)
            for snapshot in sorted(snapshots, key=lambda s: s["DBSnapshotIdentifier"])]
