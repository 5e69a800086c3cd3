"""AWS::Logs::LogGroup: CloudWatch Logs log groups (their events carry IP addresses): the KMS
key that encrypts them and how long events are kept."""

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
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, regional_arn


def log_group_arn(region: Any, account: str, name: str) -> str:
    return regional_arn("logs")(region, account, f"log-group:{name}")


if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    retention = res.inputs.get("retentionInDays")
    resource = key_encrypted(res, index, "AWS::Logs::LogGroup", "kmsKeyId",
                             retention_days=int(retention) if retention else None)
    resource.arn = log_group_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    logs = provisioner.client("logs", region)
    name = values.get("name") or res.name
    args: dict[str, Any] = {"logGroupName": name}
    if values.get("kmsKeyId"):
        args["kmsKeyId"] = values["kmsKeyId"]
    if values.get("tags"):
        args["tags"] = {str(k): str(v) for k, v in values["tags"].items()}
    logs.create_log_group(**args)
    if values.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(values["retentionInDays"]))
    return name, {"arn": log_group_arn(region, provisioner.account, name), "name": name}


def write_tags(group: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"resourceArn": group.arn, "tags": dict(sorted(new.items()))}


def read_tags(logs: Any, group: Resource) -> dict[str, str]:
    return dict(logs.list_tags_for_resource(resourceArn=group.arn).get("tags") or {})


def cfn_log_group(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:cloudwatch/logGroup:LogGroup", "", {
        "name": p.get("LogGroupName") or context.own_id, "kmsKeyId": p.get("KmsKeyId"),
        "retentionInDays": p.get("RetentionInDays"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::Logs::LogGroup",
    kind="log group",
    properties={**KEY_PROPERTIES, "retention_days": "int"},   # retention_days absent: events never expire
    pulumi=(PulumiType("aws:cloudwatch/logGroup:LogGroup", convert=convert, physical_name="name",
                       terraform="aws_cloudwatch_log_group", sandbox=provision, sandbox_rank=60,
                       inputs=inputs(name=("name",), kmsKeyId=KEY_GROUPS, retentionInDays=("retention_days",))),),
    arn=log_group_arn,
    live=LiveCollector("scanners.logs", "collect_log_groups", listing="logs"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_cloudwatch_log_group"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::Logs::LogGroup", cfn_log_group, physical_name="LogGroupName"),)),
    tagging=Tagging("logs", read_tags, write_tags, by_arn=True),
)
