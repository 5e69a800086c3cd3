"""AWS::SNS::Topic: SNS topics, encrypted at rest with the KMS key they name, and who their topic
policy lets publish or subscribe (inline `policy` or a separate `TopicPolicy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    PolicyAccess,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs, sandbox_tags
from luxguard.resources.resource_policy import (
    NO_POLICY,
    POLICY_PROPERTIES,
    cfn_policies,
    compact,
    declared_policy,
    name_key,
    policy_child,
    policy_document,
    policy_text,
)
from luxguard.resources.sqs_queue import (
    KEY_GROUPS,
    KEY_PROPERTIES,
    key_encrypted,
    pairs,
    read_arn_tags,
    regional_arn,
)

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:sns/topic:Topic"
POLICY_TYPE = "aws:sns/topicPolicy:TopicPolicy"


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = key_encrypted(res, index, "AWS::SNS::Topic", "kmsMasterKeyId", policy=dict(NO_POLICY))
    declared_policy(res, resource)
    resource.arn = regional_arn("sns")(resource.region, index.capture.config.get("luxguard:accountId", ""),
                                       resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    attributes = {"KmsMasterKeyId": values["kmsMasterKeyId"]} if values.get("kmsMasterKeyId") else {}
    if policy_text(values.get("policy")):
        attributes["Policy"] = str(policy_text(values.get("policy")))
    tags = sandbox_tags(values)
    arn = provisioner.client("sns", region).create_topic(Name=name, Attributes=attributes, Tags=tags)["TopicArn"]
    provisioner.exact[res.id] = arn
    return arn, {"arn": arn, "name": name}


def put_topic_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """SetTopicAttributes(Policy) on the topic the policy names (its ARN: the account and region's
    topic of that name, whatever ARN spelling a preview gave it)."""
    arn = f"arn:aws:sns:{region}:{provisioner.account}:{name_key(str(values.get('arn') or ''))}"
    provisioner.client("sns", region).set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=policy_text(values.get("policy")) or "")
    return arn, {"arn": arn}


def cfn_topic_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return cfn_policies(POLICY_TYPE, "arn", p.get("Topics"), p.get("PolicyDocument"))


def write_tags(topic: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"ResourceArn": topic.arn, "Tags": pairs(new)}


def read_policy(sns: Any, topic: Resource) -> Any:
    return policy_document(sns.get_topic_attributes(TopicArn=topic.arn).get("Attributes", {}).get("Policy"))


def write_policy(topic: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    """SNS always keeps a topic policy: it is replaced, never removed."""
    return "SetTopicAttributes", {"TopicArn": topic.arn, "AttributeName": "Policy", "AttributeValue": compact(document)}


def cfn_topic(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:sns/topic:Topic", "", {"name": p.get("TopicName") or context.own_id,
                                         "kmsMasterKeyId": p.get("KmsMasterKeyId"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::SNS::Topic",
    kind="topic",
    properties={**KEY_PROPERTIES, **POLICY_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_sns_topic",
                       inputs=inputs(name=("name",), kmsMasterKeyId=KEY_GROUPS, policy=("policy",)), sandbox=provision,
                       sandbox_rank=60),
            policy_child(POLICY_TYPE, PULUMI_TYPE, "arn", "topic", "aws_sns_topic_policy", put_topic_policy)),
    arn=regional_arn("sns"),
    live=LiveCollector("scanners.sns", "collect_topics", listing="sns"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_sns_topic"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::SNS::Topic", cfn_topic, physical_name="TopicName"),
                                             CloudFormationType("AWS::SNS::TopicPolicy", cfn_topic_policy))),
    tagging=Tagging("sns", read_arn_tags, write_tags, by_arn=True),
    resource_policy=PolicyAccess("sns", read_policy, write_policy, by_arn=True),
)
