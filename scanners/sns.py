"""SNS topics: the KMS key that encrypts messages at rest and who the topic policy lets in.

Calls per region: ListTopics (paginated); per topic: GetTopicAttributes (its answer carries the
Policy too, so the policy costs no call); tags from the region's Resource Groups Tagging pass
(scanners/tagging.py).
"""

from __future__ import annotations

from luxguard.core.model import Resource, common_properties
from luxguard.resources.resource_policy import set_policy

from scanners.calls import FAILED, read_group
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key
from scanners.tagging import TagIndex

TYPE = "AWS::SNS::Topic"
KEY_GROUPS = ("kms_key_id", "kms_key_region", "customer_managed_key")
ATTRIBUTE_GROUPS = (*KEY_GROUPS, "policy")   # what the one GetTopicAttributes call answers


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _topic(sns, arn: str, region: str, keys: KeyResolver, tags: TagIndex) -> Resource:
    name = topic_name(arn)
    resource = Resource(type=TYPE, id=name, region=region, arn=arn)
    attributes = read_group(resource, "kms_key_id", lambda: sns.get_topic_attributes(TopicArn=arn))
    props: dict = {}
    if attributes is FAILED:
        for group in ATTRIBUTE_GROUPS:
            resource.collection_errors[group] = resource.collection_errors["kms_key_id"]
    else:
        key = attributes.get("Attributes", {}).get("KmsMasterKeyId") or None
        props = resolved_key(resource, keys, key, region)
    tag_map = tags.region(region).apply(resource, arn)
    resource.properties = {**common_properties(name, region, tag_map), **props}
    if attributes is not FAILED:
        set_policy(resource, attributes.get("Attributes", {}).get("Policy"), "the Policy GetTopicAttributes answered")
    return resource


def collect_topics(shared: Shared, region: str) -> list[Resource]:
    sns = shared.clients.client("sns", region)
    topics = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page.get("Topics", [])]
    return [_topic(sns, arn, region, shared.keys, shared.tags) for arn in sorted(topics)]
