"""DynamoDB tables: server-side encryption, its key, global-table replica regions.

Calls per region: ListTables (paginated); per table: DescribeTable and ListTagsOfResource
(tags carry the data classification; DescribeTable does not return them).
"""

from __future__ import annotations

from typing import Any, Optional

from luxguard.core.model import Resource, common_properties

from scanners import arns
from scanners.calls import FAILED, NOT_CONFIGURED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, key_errors, key_properties

TYPE = "AWS::DynamoDB::Table"


def table_properties(table: dict[str, Any], region: str, keys: KeyResolver,
                     errors: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """The type-specific properties from one DescribeTable `Table` (what could not be decided
    about its key goes to `errors`)."""
    sse = table.get("SSEDescription") or {}
    enabled = sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING")
    key = sse.get("KMSMasterKeyArn")
    if enabled and sse.get("SSEType") == "KMS" and not key:
        keys_part = {"kms_key_id": None, "kms_key_region": region, "customer_managed_key": False}
    else:
        info = keys.resolve(key, region)
        keys_part = key_properties(info, key)
        if errors is not None:
            errors.update(key_errors(info, key))
    return {
        "sse": {"enabled": enabled, "type": sse.get("SSEType") if enabled else None},
        **keys_part,
        "replica_regions": sorted(r["RegionName"] for r in table.get("Replicas") or [] if r.get("RegionName")),
    }


def _table(dynamodb: Any, name: str, region: str, account: Optional[str], keys: KeyResolver) -> Resource:
    resource = Resource(type=TYPE, id=name, region=region,
                        arn=arns.build("dynamodb", region, account, f"table/{name}"))
    described = read_group(resource, "sse", lambda: dynamodb.describe_table(TableName=name))
    props: dict[str, Any] = {}
    if described is FAILED:
        for group in ("kms_key_id", "kms_key_region", "customer_managed_key", "replica_regions"):
            resource.collection_errors[group] = resource.collection_errors["sse"]
    else:
        table = described["Table"]
        resource.arn = table.get("TableArn") or resource.arn
        props = table_properties(table, region, keys, resource.collection_errors)
    tags = read_group(resource, "tags", lambda: dynamodb.list_tags_of_resource(ResourceArn=resource.arn))
    if tags is FAILED:
        for derived in ("classification", "role"):
            resource.collection_errors[derived] = resource.collection_errors["tags"]
    tag_map = {} if tags in (FAILED, NOT_CONFIGURED) else tag_dict(tags.get("Tags"))
    resource.properties = {**common_properties(name, region, tag_map), **props}
    return resource


def collect_tables(shared: Shared, region: str) -> list[Resource]:
    dynamodb = shared.clients.client("dynamodb", region)
    names = [n for page in dynamodb.get_paginator("list_tables").paginate() for n in page.get("TableNames", [])]
    return [_table(dynamodb, name, region, shared.account, shared.keys) for name in names]
