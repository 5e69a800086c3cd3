"""CloudWatch Logs log groups: the KMS key that encrypts them, how long events are kept and where
subscription filters stream them (log events carry IP addresses, personal data under the policy).

Calls per region: DescribeLogGroups (paginated, key and retention included); per group:
DescribeSubscriptionFilters (no API lists them for a region); tags from the region's Resource
Groups Tagging pass (scanners/tagging.py).
"""

from __future__ import annotations

from typing import Any, Optional

from luxguard.core.model import Resource, common_properties
from luxguard.resources.logs_log_group import subscriptions

from scanners import arns
from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key
from scanners.tagging import TagIndex

TYPE = "AWS::Logs::LogGroup"


def _destinations(logs: Any, name: str) -> list[str]:
    return [f["destinationArn"] for page in logs.get_paginator("describe_subscription_filters").paginate(
        logGroupName=name) for f in page.get("subscriptionFilters", []) if f.get("destinationArn")]


def log_group(logs: Any, group: dict[str, Any], region: str, account: Optional[str], keys: KeyResolver,
              tags: TagIndex) -> Resource:
    name = group["logGroupName"]
    arn = group.get("logGroupArn") or str(group.get("arn") or "").removesuffix(":*") or \
        arns.build("logs", region, account, f"log-group:{name}")
    resource = Resource(type=TYPE, id=name, region=region, arn=arn)
    key = group.get("kmsKeyId") or None
    tag_map = tags.region(region).apply(resource, arn)
    retention = group.get("retentionInDays")
    resource.properties = {
        **common_properties(name, region, tag_map),
        **resolved_key(resource, keys, key, region),
        "retention_days": int(retention) if retention else None,
    }
    destinations = read_group(resource, "subscription_regions", lambda: _destinations(logs, name))
    if destinations is FAILED:
        resource.collection_errors["subscription_destinations"] = resource.collection_errors["subscription_regions"]
    else:
        resource.properties.update(subscriptions(destinations, resource))
    return resource


def collect_log_groups(shared: Shared, region: str) -> list[Resource]:
    logs = shared.clients.client("logs", region)
    return [log_group(logs, group, region, shared.account, shared.keys, shared.tags)
            for page in logs.get_paginator("describe_log_groups").paginate()
            for group in page.get("logGroups", [])]
