"""SQS queues: the KMS key that encrypts messages at rest and who the queue policy lets in.

Calls per region: ListQueues (paginated); per queue: GetQueueAttributes (SQS has no batch
read; its `All` answer carries the Policy too, so the policy costs no call); tags from the
region's Resource Groups Tagging pass (scanners/tagging.py).
"""

from __future__ import annotations

from typing import Optional

from luxguard.core.model import Resource, common_properties
from luxguard.resources.resource_policy import set_policy

from scanners import arns
from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key
from scanners.tagging import TagIndex

TYPE = "AWS::SQS::Queue"
KEY_GROUPS = ("kms_key_id", "kms_key_region", "customer_managed_key")
ATTRIBUTE_GROUPS = (*KEY_GROUPS, "policy")   # what the one GetQueueAttributes call answers


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _queue(sqs, url: str, region: str, account: Optional[str], keys: KeyResolver, tags: TagIndex) -> Resource:
    name = queue_name(url)
    resource = Resource(type=TYPE, id=name, region=region, arn=arns.build("sqs", region, account, name))
    attributes = read_group(resource, "kms_key_id",
                            lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
    props: dict = {}
    if attributes is FAILED:
        for group in ATTRIBUTE_GROUPS:
            resource.collection_errors[group] = resource.collection_errors["kms_key_id"]
    else:
        values = attributes.get("Attributes", {})
        resource.arn = values.get("QueueArn") or resource.arn
        key = values.get("KmsMasterKeyId") or None
        props = resolved_key(resource, keys, key, region)
    tag_map = tags.region(region).apply(resource, resource.arn)
    resource.properties = {**common_properties(name, region, tag_map), **props}
    if attributes is not FAILED:
        set_policy(resource, attributes.get("Attributes", {}).get("Policy"), "the Policy GetQueueAttributes answered")
    return resource


def collect_queues(shared: Shared, region: str) -> list[Resource]:
    sqs = shared.clients.client("sqs", region)
    urls = [u for page in sqs.get_paginator("list_queues").paginate() for u in page.get("QueueUrls", [])]
    return [_queue(sqs, url, region, shared.account, shared.keys, shared.tags) for url in sorted(urls)]
