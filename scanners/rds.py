"""RDS DB instances: storage encryption, its key, public accessibility.

Calls per region: DescribeDBInstances (paginated; tags come in TagList, so none per instance).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties

from scanners import arns
from scanners.calls import tag_dict
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
