"""AWS::SNS::Topic: SNS topics, encrypted at rest with the KMS key they name."""

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
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, pairs, read_arn_tags, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = key_encrypted(res, index, "AWS::SNS::Topic", "kmsMasterKeyId")
    resource.arn = regional_arn("sns")(resource.region, index.capture.config.get("luxguard:accountId", ""),
                                       resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    attributes = {"KmsMasterKeyId": values["kmsMasterKeyId"]} if values.get("kmsMasterKeyId") else {}
    tags = [{"Key": str(k), "Value": str(v)} for k, v in (values.get("tags") or {}).items()]
    arn = provisioner.client("sns", region).create_topic(Name=name, Attributes=attributes, Tags=tags)["TopicArn"]
    provisioner.exact[res.id] = arn
    return arn, {"arn": arn, "name": name}


def write_tags(topic: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"ResourceArn": topic.arn, "Tags": pairs(new)}


def cfn_topic(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:sns/topic:Topic", "", {"name": p.get("TopicName") or context.own_id,
                                         "kmsMasterKeyId": p.get("KmsMasterKeyId"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::SNS::Topic",
    kind="topic",
    properties=KEY_PROPERTIES,
    pulumi=(PulumiType("aws:sns/topic:Topic", convert=convert, physical_name="name", terraform="aws_sns_topic",
                       inputs=inputs(name=("name",), kmsMasterKeyId=KEY_GROUPS), sandbox=provision,
                       sandbox_rank=60),),
    arn=regional_arn("sns"),
    live=LiveCollector("scanners.sns", "collect_topics", listing="sns"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_sns_topic"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::SNS::Topic", cfn_topic, physical_name="TopicName"),)),
    tagging=Tagging("sns", read_arn_tags, write_tags, by_arn=True),
)
