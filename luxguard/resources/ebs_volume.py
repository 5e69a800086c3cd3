"""AWS::EC2::Volume: EBS volumes."""

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
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:ebs/volume:Volume"
ENCRYPTION_PROPERTIES = {
    "encrypted": "bool",
    "kms_key_id": "string",
    "kms_key_region": "string",
    "customer_managed_key": "bool",
}
KEY_GROUPS = ("kms_key_id", "kms_key_region", "customer_managed_key")
# encrypted / kmsKeyId inputs of volumes and snapshot copies -> the groups computed from them
ENCRYPTION_INPUTS = {"encrypted": ("encrypted", "kms_key_id", "kms_key_region"), "kmsKeyId": KEY_GROUPS}


def encrypted_storage(res: "CapturedResource", index: Any, cfn_type: str) -> Resource:
    """A volume or snapshot copy: encrypted with the named key, or with aws/ebs when none is named."""
    resource = planned_resource(res, index, cfn_type)
    facts = index.key_facts(res.inputs.get("kmsKeyId"), resource.region)
    encrypted = bool(res.inputs.get("encrypted"))
    if encrypted and not facts["kms_key_id"]:
        facts.update(kms_key_id="alias/aws/ebs", kms_key_region=resource.region)
    resource.properties.update(facts)
    resource.properties["encrypted"] = encrypted
    return resource


def convert(res: "CapturedResource", index: Any) -> Resource:
    return encrypted_storage(res, index, "AWS::EC2::Volume")


def read_ec2_tags(ec2: Any, resource: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    pages = ec2.get_paginator("describe_tags").paginate(Filters=[{"Name": "resource-id", "Values": [resource.id]}])
    return tag_dict(t for page in pages for t in page.get("Tags", []))


def write_ec2_tags(resource: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "CreateTags", {"Resources": [resource.id], "Tags": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


EC2_TAGGING = Tagging("ec2", read_ec2_tags, write_ec2_tags)


def ec2_tag_specification(kind: str, values: dict) -> list[dict[str, Any]]:
    """TagSpecifications for an EC2 create call (none when the program declares no tags)."""
    tags = sandbox_tags(values)
    return [{"ResourceType": kind, "Tags": tags}] if tags else []


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """The volume in the local cloud (snapshots, and AMIs from them, are made of it)."""
    extra = {"KmsKeyId": values["kmsKeyId"]} if values.get("kmsKeyId") else {}
    created = provisioner.client("ec2", region).create_volume(
        AvailabilityZone=values.get("availabilityZone") or f"{region}a", Size=int(values.get("size") or 10),
        Encrypted=bool(values.get("encrypted")), TagSpecifications=ec2_tag_specification("volume", values), **extra)
    provisioner.exact[res.id] = created["VolumeId"]
    return created["VolumeId"], {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:volume/{created['VolumeId']}"}


def cfn_volume(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {"encrypted": p.get("Encrypted"), "kmsKeyId": p.get("KmsKeyId"), "tags": tags(p),
                               "availabilityZone": p.get("AvailabilityZone"), "size": p.get("Size")})]

DESCRIPTOR = ResourceType(
    cfn_type="AWS::EC2::Volume",
    kind="volume",
    # launched_with: the instance a volume was created with (its root and launch devices), which
    # the instance's own stack declares as part of it, never as a volume
    properties={**ENCRYPTION_PROPERTIES, "launched_with": "string"},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, inputs=inputs(**ENCRYPTION_INPUTS), terraform="aws_ebs_volume",
                       sandbox=provision, sandbox_rank=40),),
    live=LiveCollector("scanners.ec2", "collect_volumes", listing="ec2 volumes"),
    drift=Drift(missing_category="retention", safer={"encrypted": True},
                manageable=lambda volume: not volume.get("launched_with")),
    terraform=TerraformForm("aws_ebs_volume"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::EC2::Volume", cfn_volume),)),
    tagging=EC2_TAGGING,
)
