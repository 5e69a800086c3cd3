"""AWS::DynamoDB::Table: DynamoDB tables and their global-table replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.ebs_volume import KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    sse = res.inputs.get("serverSideEncryption") or {}
    enabled = bool(sse.get("enabled"))
    resource = planned_resource(res, index, "AWS::DynamoDB::Table",
                                sse={"enabled": enabled, "type": "KMS" if enabled else None},
                                replica_regions=sorted(str(r.get("regionName")) for r in res.inputs.get("replicas") or []))
    facts = index.key_facts(sse.get("kmsKeyArn"), resource.region)
    if enabled and not facts["kms_key_id"]:
        facts.update(kms_key_id="alias/aws/dynamodb", kms_key_region=resource.region)
    resource.properties.update(facts)
    return resource


def read_tags(dynamodb: Any, table: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(dynamodb.list_tags_of_resource(ResourceArn=table.arn).get("Tags"))


def write_tags(table: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"ResourceArn": table.arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


DESCRIPTOR = ResourceType(
    cfn_type="AWS::DynamoDB::Table",
    kind="table",
    properties={
        "sse.enabled": "bool",                 # false/absent = AWS-owned key
        "sse.type": "string",                  # KMS | AES256
        "kms_key_id": "string",
        "kms_key_region": "string",
        "customer_managed_key": "bool",
        "replica_regions": "list",             # global-table replicas
    },
    pulumi=(PulumiType("aws:dynamodb/table:Table", convert=convert, physical_name="name",
                       terraform="aws_dynamodb_table",
                       inputs=inputs(serverSideEncryption=("sse", *KEY_GROUPS), replicas=("replica_regions",))),),
    live=LiveCollector("scanners.dynamodb", "collect_tables", listing="dynamodb"),
    drift=Drift(missing_category="retention", safer={"sse.enabled": True}),
    terraform=TerraformForm("aws_dynamodb_table", attributes={
        "sse.enabled": ("bool", "server_side_encryption.enabled"),
        "customer_managed_key": ("key", "server_side_encryption.kms_key_arn"),
    }),
    cloudformation=CloudFormationForm(properties={
        "sse.enabled": ("bool", "SSESpecification.SSEEnabled"),
        "customer_managed_key": ("key", "SSESpecification.KMSMasterKeyId"),
    }),
    tagging=Tagging("dynamodb", read_tags, write_tags, by_arn=True),
)
