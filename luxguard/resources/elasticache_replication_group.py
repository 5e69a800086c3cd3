"""AWS::ElastiCache::ReplicationGroup: Redis / Valkey caches (sessions, carts, profiles: personal
data kept in memory and in backups): encryption at rest and its key, and encryption in transit.
Global datastores (cross-region secondaries) are not modelled: the local cloud has no
global replication groups to read them from.
"""

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
from luxguard.resources.ebs_volume import ENCRYPTION_PROPERTIES, KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::ElastiCache::ReplicationGroup"
PULUMI_TYPE = "aws:elasticache/replicationGroup:ReplicationGroup"
AWS_MANAGED_KEY = "alias/aws/elasticache"   # at-rest encryption without a key named


def at_rest_key(encrypted: bool, key: Any) -> Any:
    return (key or AWS_MANAGED_KEY) if encrypted else None


def arn(region: Any, account: str, identifier: str) -> str:
    return f"arn:aws:elasticache:{region or ''}:{account}:replicationgroup:{identifier}"


def convert(res: "CapturedResource", index: Any) -> Resource:
    i = res.inputs
    encrypted = bool(i.get("atRestEncryptionEnabled") or i.get("kmsKeyId"))
    resource = planned_resource(res, index, CFN_TYPE, encrypted=encrypted,
                                transit_encryption=bool(i.get("transitEncryptionEnabled")))
    resource.properties.update(index.key_facts(at_rest_key(encrypted, i.get("kmsKeyId")), resource.region))
    resource.arn = arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    identifier = values.get("replicationGroupId") or res.name
    encrypted = bool(values.get("atRestEncryptionEnabled") or values.get("kmsKeyId"))
    created = provisioner.client("elasticache", region).create_replication_group(
        ReplicationGroupId=identifier, ReplicationGroupDescription=values.get("description") or res.name,
        Engine=values.get("engine") or "redis", CacheNodeType=values.get("nodeType") or "cache.t3.micro",
        AtRestEncryptionEnabled=encrypted, TransitEncryptionEnabled=bool(values.get("transitEncryptionEnabled")),
        Tags=sandbox_tags(values),
        **({"KmsKeyId": str(values["kmsKeyId"])} if values.get("kmsKeyId") else {}))["ReplicationGroup"]
    return identifier, {"arn": created["ARN"], "replicationGroupId": identifier}


def read_tags(elasticache: Any, group: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(elasticache.list_tags_for_resource(ResourceName=group.arn).get("TagList"))


def write_tags(group: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "AddTagsToResource", {"ResourceName": group.arn,
                                 "Tags": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


def cfn_group(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {
        "replicationGroupId": p.get("ReplicationGroupId") or context.own_id,
        "atRestEncryptionEnabled": p.get("AtRestEncryptionEnabled"), "kmsKeyId": p.get("KmsKeyId"),
        "transitEncryptionEnabled": p.get("TransitEncryptionEnabled"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="ElastiCache replication group",
    properties={**ENCRYPTION_PROPERTIES, "transit_encryption": "bool"},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="replicationGroupId",
                       terraform="aws_elasticache_replication_group",
                       inputs=inputs(atRestEncryptionEnabled=("encrypted", *KEY_GROUPS),
                                     kmsKeyId=("encrypted", *KEY_GROUPS),
                                     transitEncryptionEnabled=("transit_encryption",)),
                       sandbox=provision, sandbox_rank=60),),
    arn=arn,
    live=LiveCollector("scanners.elasticache", "collect_replication_groups", listing="elasticache"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True, "transit_encryption": True}),
    terraform=TerraformForm("aws_elasticache_replication_group"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType(CFN_TYPE, cfn_group, physical_name="ReplicationGroupId"),)),
    tagging=Tagging("elasticache", read_tags, write_tags, by_arn=True),
)
