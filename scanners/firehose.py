"""Firehose delivery streams: where they deliver, what feeds them, the key of their buffer.

Calls per region: ListDeliveryStreams (paged by name); per stream: DescribeDeliveryStream and
ListTagsForDeliveryStream (the local cloud's Resource Groups Tagging API does not return
streams); GetBucketLocation only for a destination bucket the S3 inventory does not know
(another account's).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.firehose_delivery_stream import (
    CFN_TYPE,
    DESTINATION_GROUPS,
    SECRET_GROUPS,
    delivery,
    encryption_key,
    read_tags,
    stream_arn,
)

from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import resolved_key
from scanners.s3 import bucket_region


def _names(firehose: Any) -> list[str]:
    names: list[str] = []
    while True:
        start = {"ExclusiveStartDeliveryStreamName": names[-1]} if names else {}
        page = firehose.list_delivery_streams(Limit=100, **start)
        names.extend(page.get("DeliveryStreamNames") or [])
        if not page.get("HasMoreDeliveryStreams") or not page.get("DeliveryStreamNames"):
            return sorted(set(names))


def _source(description: dict[str, Any]) -> str:
    source = description.get("Source") or {}
    return str((source.get("KinesisStreamSourceDescription") or {}).get("KinesisStreamARN")
               or (source.get("MSKSourceDescription") or {}).get("MSKClusterARN") or "")


def _stream(firehose: Any, name: str, region: str, shared: Shared) -> Resource:
    resource = Resource(type=CFN_TYPE, id=name, region=region, arn=stream_arn(region, shared.account or "", name))
    answer = read_group(resource, "encrypted", lambda: firehose.describe_delivery_stream(DeliveryStreamName=name))
    tags = read_group(resource, "tags", lambda: read_tags(firehose, resource))
    if tags is FAILED:
        for derived in ("classification", "role"):
            resource.collection_errors[derived] = resource.collection_errors["tags"]
    resource.properties = common_properties(name, region, {} if tags is FAILED else tags)
    if answer is FAILED:
        for group in (*SECRET_GROUPS[1:], *DESTINATION_GROUPS, "source"):
            resource.collection_errors[group] = resource.collection_errors["encrypted"]
        return resource
    description = answer.get("DeliveryStreamDescription") or {}
    resource.arn = description.get("DeliveryStreamARN") or resource.arn
    sse = description.get("DeliveryStreamEncryptionConfiguration") or {}
    encrypted, key = encryption_key(sse.get("Status") == "ENABLED", sse.get("KeyType"), sse.get("KeyARN"))

    def region_of(bucket: str) -> Any:
        return bucket_region(shared.clients, shared.buckets, bucket, resource, "destination_regions")

    resource.properties.update({
        "encrypted": encrypted, **resolved_key(resource, shared.keys, key, region), "source": _source(description),
        **delivery(description.get("Destinations") or [], region_of, resource)})
    return resource


def collect_delivery_streams(shared: Shared, region: str) -> list[Resource]:
    firehose = shared.clients.client("firehose", region)
    return [_stream(firehose, name, region, shared) for name in _names(firehose)]
