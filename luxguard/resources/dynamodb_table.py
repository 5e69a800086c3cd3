"""AWS::DynamoDB::Table: DynamoDB tables and their global-table replicas."""

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
from luxguard.resources.ebs_volume import KEY_GROUPS
from luxguard.core.unknowns import first_unknown
from luxguard.resources.cloudformation_forms import tags
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


def cfn_table(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    sse = p.get("SSESpecification") or {}
    return [("aws:dynamodb/table:Table", "", {
        "name": p.get("TableName"), "tags": tags(p),
        "serverSideEncryption": {"enabled": sse.get("SSEEnabled"), "kmsKeyArn": sse.get("KMSMasterKeyId")} if sse else None})]


def cfn_global_table(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    """A global table lists its own region among its replicas: that one is the table, not a copy."""
    replicas = p.get("Replicas") or []
    unknown = first_unknown(replicas)
    own = {} if unknown else next((r for r in replicas if r.get("Region") == context.region), {})
    others = unknown or [{"regionName": r.get("Region")} for r in replicas if r.get("Region") != context.region]
    sse = p.get("SSESpecification") or {}
    key = (own.get("SSESpecification") or {}).get("KMSMasterKeyId")
    return [("aws:dynamodb/table:Table", "", {
        "name": p.get("TableName"), "tags": tags(own) if own else {}, "replicas": others,
        "serverSideEncryption": {"enabled": sse.get("SSEEnabled"), "kmsKeyArn": key} if sse else None})]

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
                       terraform_blocks={"replica": "replicas", "attribute": "attributes",
                                         "global_secondary_index": "globalSecondaryIndexes"},
                       inputs=inputs(serverSideEncryption=("sse", *KEY_GROUPS), replicas=("replica_regions",))),),
    live=LiveCollector("scanners.dynamodb", "collect_tables", listing="dynamodb"),
    drift=Drift(missing_category="retention", safer={"sse.enabled": True}),
    terraform=TerraformForm("aws_dynamodb_table"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::DynamoDB::Table", cfn_table, physical_name="TableName"),
        CloudFormationType("AWS::DynamoDB::GlobalTable", cfn_global_table, physical_name="TableName"))),
    tagging=Tagging("dynamodb", read_tags, write_tags, by_arn=True),
)
