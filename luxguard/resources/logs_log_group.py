"""AWS::Logs::LogGroup: CloudWatch Logs log groups (their events carry IP addresses): the KMS
key that encrypts them, how long events are kept, and where subscription filters stream them
(`subscription_destinations`: the Kinesis, Firehose, Lambda or Logs-destination ARNs; their
regions, from the ARNs, in `subscription_regions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, regional_arn


CFN_TYPE = "AWS::Logs::LogGroup"
PULUMI_TYPE = "aws:cloudwatch/logGroup:LogGroup"
FILTER_TYPE = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
SUBSCRIPTION_GROUPS = ("subscription_destinations", "subscription_regions")


def log_group_arn(region: Any, account: str, name: str) -> str:
    return regional_arn("logs")(region, account, f"log-group:{name}")


def subscriptions(destinations: Iterable[Any], group: Resource) -> dict[str, list[str]]:
    """The model properties of a group's subscription filters (every source); a destination that
    is not a regional ARN leaves the regions undecided, never a pass."""
    from scanners.arns import region_of

    found = sorted({str(d) for d in destinations if d})
    unknown = [d for d in found if region_of(d) is None]
    if unknown:
        group.collection_errors.setdefault(
            "subscription_regions", f"{group.id}: the region of subscription destination {', '.join(unknown)} is not known")
    return {"subscription_destinations": found, "subscription_regions": sorted({r for r in map(region_of, found) if r})}


def fold_subscription(res: "CapturedResource", group: Resource, index: Any) -> None:
    group.properties.update(subscriptions(
        [*group.properties.get("subscription_destinations", []), res.inputs.get("destinationArn")], group))


if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    retention = res.inputs.get("retentionInDays")
    resource = key_encrypted(res, index, CFN_TYPE, "kmsKeyId", retention_days=int(retention) if retention else None)
    resource.properties.update(subscriptions([], resource))
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


def _stand_in_destination(provisioner: Any, destination: str) -> None:
    """The local cloud resolves a Logs destination's ARN to a log group of the destination's name in
    its region and account: that stand-in group is made there (another account: the central
    logging account's, never the scanned one's), through a role assumed into that account."""
    import boto3

    parts = destination.split(":")
    if parts[2:3] != ["logs"] or len(parts) < 7 or parts[5] != "destination":
        return
    region, account, name = parts[3], parts[4], parts[6]
    credentials = provisioner.client("sts", region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/luxguard-sandbox", RoleSessionName="stand-in")["Credentials"]
    logs = boto3.client("logs", region_name=region, endpoint_url=provisioner.endpoint,
                        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])
    if not logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups"):
        logs.create_log_group(logGroupName=name)


def provision_subscription(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    destination = str(values.get("destinationArn"))
    _stand_in_destination(provisioner, destination)
    name = str(values.get("name") or res.name)
    provisioner.client("logs", region).put_subscription_filter(
        logGroupName=str(values.get("logGroup")), filterName=name, filterPattern=str(values.get("filterPattern") or ""),
        destinationArn=destination, **({"roleArn": str(values["roleArn"])} if values.get("roleArn") else {}))
    return name, {"name": name}


def write_tags(group: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"resourceArn": group.arn, "tags": dict(sorted(new.items()))}


def read_tags(logs: Any, group: Resource) -> dict[str, str]:
    return dict(logs.list_tags_for_resource(resourceArn=group.arn).get("tags") or {})


def cfn_log_group(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {
        "name": p.get("LogGroupName") or context.own_id, "kmsKeyId": p.get("KmsKeyId"),
        "retentionInDays": p.get("RetentionInDays"), "tags": tags(p)})]


def cfn_subscription(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(FILTER_TYPE, "", {"name": p.get("FilterName") or context.own_id, "logGroup": p.get("LogGroupName"),
                               "destinationArn": p.get("DestinationArn"), "filterPattern": p.get("FilterPattern"),
                               "roleArn": p.get("RoleArn")})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="log group",
    properties={**KEY_PROPERTIES, "retention_days": "int",   # retention_days absent: events never expire
                "subscription_destinations": "list", "subscription_regions": "list"},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name",
                       terraform="aws_cloudwatch_log_group", sandbox=provision, sandbox_rank=60,
                       inputs=inputs(name=("name",), kmsKeyId=KEY_GROUPS, retentionInDays=("retention_days",))),
            PulumiType(FILTER_TYPE, terraform="aws_cloudwatch_log_subscription_filter", sandbox=provision_subscription,
                       sandbox_rank=75, fold=Folding(PULUMI_TYPE, "logGroup", SUBSCRIPTION_GROUPS, fold_subscription))),
    arn=log_group_arn,
    live=LiveCollector("scanners.logs", "collect_log_groups", listing="logs"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_cloudwatch_log_group"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_log_group, physical_name="LogGroupName"),
                                             CloudFormationType("AWS::Logs::SubscriptionFilter", cfn_subscription))),
    tagging=Tagging("logs", read_tags, write_tags, by_arn=True),
)
