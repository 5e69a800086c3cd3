"""Kinesis data streams: server-side encryption and its KMS key.

Calls per region: ListStreams (paginated); per stream: DescribeStreamSummary and
ListTagsForStream (the local cloud's Resource Groups Tagging API does not return streams).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties

from scanners.calls import FAILED, NOT_CONFIGURED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key

TYPE = "AWS::Kinesis::Stream"
KEY_GROUPS = ("encrypted", "kms_key_id", "kms_key_region", "customer_managed_key")


def _stream_tags(kinesis: Any, name: str) -> list[dict]:
    """ListTagsForStream has no paginator: follow HasMoreTags."""
    tags: list[dict] = []
    while True:
        start = {"ExclusiveStartTagKey": tags[-1]["Key"]} if tags else {}
        page = kinesis.list_tags_for_stream(StreamName=name, Limit=50, **start)
        tags.extend(page.get("Tags", []))
        if not page.get("HasMoreTags") or not page.get("Tags"):
            return tags


def _stream(kinesis: Any, summary: dict[str, Any], region: str, keys: KeyResolver) -> Resource:
    name = summary["StreamName"]
    resource = Resource(type=TYPE, id=name, region=region, arn=summary.get("StreamARN"))
    described = read_group(resource, "encrypted", lambda: kinesis.describe_stream_summary(StreamName=name))
    props: dict[str, Any] = {}
    if described is FAILED:
        for group in KEY_GROUPS:
            resource.collection_errors[group] = resource.collection_errors["encrypted"]
    else:
        stream = described["StreamDescriptionSummary"]
        encrypted = stream.get("EncryptionType") == "KMS"
        key = stream.get("KeyId") if encrypted else None
        props = {"encrypted": encrypted, **resolved_key(resource, keys, key, region)}
    tags = read_group(resource, "tags", lambda: _stream_tags(kinesis, name))
    if tags is FAILED:
        for derived in ("classification", "role"):
            resource.collection_errors[derived] = resource.collection_errors["tags"]
    tag_map = {} if tags in (FAILED, NOT_CONFIGURED) else tag_dict(tags)
    resource.properties = {**common_properties(name, region, tag_map), **props}
    return resource


def collect_streams(shared: Shared, region: str) -> list[Resource]:
    kinesis = shared.clients.client("kinesis", region)
    summaries = [s for page in kinesis.get_paginator("list_streams").paginate()
                 for s in page.get("StreamSummaries", [])]
    return [_stream(kinesis, summary, region, shared.keys) for summary in summaries]
