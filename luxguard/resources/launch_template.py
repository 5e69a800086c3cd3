"""AWS::EC2::LaunchTemplate: how an auto-scaling group or a team's instances are launched. What
the template does not request, the AMI and the account's EBS default decide, so a template is
encrypted only when every EBS device it maps requests encryption (under its weakest device's
key, as for AMIs); the default version is the one judged (it is what launches).
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
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.ebs_volume import EC2_TAGGING, ENCRYPTION_PROPERTIES, KEY_GROUPS, ec2_tag_specification
from luxguard.resources.ec2_image import weakest
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EC2::LaunchTemplate"
PULUMI_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
AWS_MANAGED_KEY = "alias/aws/ebs"


def requested(value: Any) -> bool:
    """pulumi-aws and Terraform take `encrypted` as the string "true"; the APIs answer a bool."""
    return value is True or str(value).lower() == "true"


def _ebs(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    ebs = mapping.get("ebs") if "ebs" in mapping else mapping.get("Ebs")
    if isinstance(ebs, list):   # a Terraform plan: a block is a list of one
        ebs = ebs[0] if ebs else None
    return ebs if isinstance(ebs, Mapping) else {}


def devices(mappings: Any) -> list[tuple[bool, Optional[str]]]:
    """(encryption requested, key) of each EBS device of a template's block device mappings."""
    found = []
    for mapping in mappings or []:
        if not isinstance(mapping, Mapping) or mapping.get("virtualName") or mapping.get("VirtualName"):
            continue   # instance-store volumes: not EBS
        ebs = _ebs(mapping)
        encrypted = requested(ebs.get("encrypted", ebs.get("Encrypted")))
        found.append((encrypted, (ebs.get("kmsKeyId") or ebs.get("KmsKeyId") or AWS_MANAGED_KEY) if encrypted else None))
    return found


def encryption(found: list[tuple[bool, Optional[str]]], key_facts: Any) -> dict[str, Any]:
    """The template's encryption: its weakest EBS device's (no EBS device: nothing requested)."""
    return weakest([{"encrypted": encrypted, **(key_facts(key) if key else {})} for encrypted, key in found])


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)   # its id: the lt- id (here the program's)
    resource.properties["name"] = str(res.inputs.get("name") or res.name)
    resource.properties.update(encryption(devices(res.inputs.get("blockDeviceMappings")),
                                          lambda key: index.key_facts(key, resource.region)))
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    mappings = []
    for mapping in values.get("blockDeviceMappings") or []:
        ebs = _ebs(mapping)
        mappings.append({"DeviceName": str(mapping.get("deviceName") or "/dev/xvda"), "Ebs": {
            "Encrypted": requested(ebs.get("encrypted")), "VolumeSize": int(ebs.get("volumeSize") or 8),
            **({"KmsKeyId": str(ebs["kmsKeyId"])} if ebs.get("kmsKeyId") else {})}})
    created = provisioner.client("ec2", region).create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"BlockDeviceMappings": mappings},
        TagSpecifications=ec2_tag_specification("launch-template", values))["LaunchTemplate"]
    identifier = created["LaunchTemplateId"]
    provisioner.exact[res.id] = identifier
    return identifier, {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:launch-template/{identifier}",
                        "name": name}


def cfn_template(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    data = p.get("LaunchTemplateData") or {}
    mappings = [{"deviceName": m.get("DeviceName"), "virtualName": m.get("VirtualName"),
                 "ebs": {"encrypted": (m.get("Ebs") or {}).get("Encrypted"), "kmsKeyId": (m.get("Ebs") or {}).get("KmsKeyId")}}
                for m in data.get("BlockDeviceMappings") or [] if isinstance(m, dict)]
    return [(PULUMI_TYPE, "", {"name": p.get("LaunchTemplateName") or context.own_id, "blockDeviceMappings": mappings,
                               "tags": tags({"Tags": next((s.get("Tags") for s in p.get("TagSpecifications") or []
                                                           if s.get("ResourceType") == "launch-template"), None)})})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="launch template",
    properties=ENCRYPTION_PROPERTIES,
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_launch_template",
                       terraform_blocks={"block_device_mappings": "blockDeviceMappings", "ebs": "ebs"},
                       inputs=inputs(name=("name",), blockDeviceMappings=("encrypted", *KEY_GROUPS)),
                       sandbox=provision, sandbox_rank=50),),
    live=LiveCollector("scanners.ec2_templates", "collect_launch_templates", listing="ec2 launch templates"),
    drift=Drift(missing_category="encryption", safer={"encrypted": True, "customer_managed_key": True}),
    terraform=TerraformForm("aws_launch_template"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_template,
                                                                physical_name="LaunchTemplateName"),)),
    tagging=EC2_TAGGING,
)
