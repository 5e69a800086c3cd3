"""AWS::ECS::Cluster: where containers that process personal data run, and the key of their
Fargate tasks' ephemeral storage (`managedStorageConfiguration.fargateEphemeralStorageKmsKeyId`;
without one, AWS's own key: encrypted, but not under a key the provider controls). Tasks' data at
rest lives there; a cluster in another region runs them abroad.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

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
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::ECS::Cluster"
PULUMI_TYPE = "aws:ecs/cluster:Cluster"
STORAGE_GROUPS = ("encrypted", *KEY_GROUPS)


def storage_key(configuration: Any) -> Optional[str]:
    """The customer key of Fargate ephemeral storage in a cluster configuration (pulumi and
    DescribeClusters spell it alike)."""
    managed = (configuration or {}).get("managedStorageConfiguration") if isinstance(configuration, Mapping) else None
    key = (managed or {}).get("fargateEphemeralStorageKmsKeyId") if isinstance(managed, Mapping) else None
    return str(key) if key else None


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    resource.id = str(res.inputs.get("name") or res.name)
    resource.properties["name"] = resource.id
    # Fargate always encrypts ephemeral storage; the question is whose key
    resource.properties.update({"encrypted": True,
                                **index.key_facts(storage_key(res.inputs.get("configuration")), resource.region)})
    return resource


# --------------------------------------------------------------------------- enforcer, sandbox

def tag_map(items: Any) -> dict[str, str]:
    """ECS's tags ([{key, value}], lower case) as a dict."""
    return {str(t["key"]): str(t.get("value", "")) for t in items or []}


def tag_items(tags: Any) -> list[dict[str, str]]:
    return [{"key": str(k), "value": str(v)} for k, v in sorted((tags or {}).items())]


def read_tags(ecs: Any, cluster: Resource) -> dict[str, str]:
    return tag_map(ecs.list_tags_for_resource(resourceArn=cluster.arn).get("tags"))


def write_tags(cluster: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"resourceArn": cluster.arn, "tags": tag_items(new)}


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = str(values.get("name") or res.name)
    key = storage_key(values.get("configuration"))
    created = provisioner.client("ecs", region).create_cluster(
        clusterName=name, tags=tag_items(values.get("tags")),
        **({"configuration": {"managedStorageConfiguration": {"fargateEphemeralStorageKmsKeyId": key}}} if key else {}))
    provisioner.exact[res.id] = name
    return name, {"arn": created["cluster"]["clusterArn"], "name": name}


# --------------------------------------------------------------------------- CloudFormation

def cfn_cluster(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    managed = (p.get("Configuration") or {}).get("ManagedStorageConfiguration") or {}
    return [(PULUMI_TYPE, "", {
        "name": p.get("ClusterName") or context.own_id, "tags": tags(p),
        "configuration": {"managedStorageConfiguration": {
            "fargateEphemeralStorageKmsKeyId": managed.get("FargateEphemeralStorageKmsKeyId"),
            "kmsKeyId": managed.get("KmsKeyId")}} if managed else None})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="ECS cluster",
    properties=dict(ENCRYPTION_PROPERTIES),
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_ecs_cluster",
                       inputs=inputs(name=("name",), configuration=STORAGE_GROUPS),
                       sandbox=provision, sandbox_rank=60),),
    arn=lambda region, account, name: f"arn:aws:ecs:{region}:{account}:cluster/{name}",
    live=LiveCollector("scanners.ecs", "collect_clusters", listing="ecs clusters"),
    drift=Drift(missing_category="residency", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_ecs_cluster"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_cluster, physical_name="ClusterName"),)),
    tagging=Tagging("ecs", read_tags, write_tags, by_arn=True),
)
