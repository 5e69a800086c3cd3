"""AWS::EC2::Image: AMIs, the disk images of machines that processed personal data (their EBS
snapshots hold it): where they are (a copy to another region is a copy abroad), how their
snapshots are encrypted, and who may launch them (launch permissions; group `all` makes an AMI
public). CloudFormation has no AMI resource type (EC2 Image Builder's images are another thing).

An image is encrypted when every EBS block device is; its key is the key of its first device
that is not customer-managed (else its first device's), so that one weak device decides.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Optional

from luxguard.core.external_access import ACCOUNT, ANYONE, ORGANIZATION, Constraint, Grant
from luxguard.core.model import Resource
from luxguard.resources import ebs_snapshot, ebs_volume
from luxguard.resources.base import (
    CloudFormationForm,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    TerraformForm,
)
from luxguard.resources.ebs_volume import ENCRYPTION_PROPERTIES, KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EC2::Image"
AMI_TYPE = "aws:ec2/ami:Ami"
COPY_TYPE = "aws:ec2/amiCopy:AmiCopy"
FROM_INSTANCE_TYPE = "aws:ec2/amiFromInstance:AmiFromInstance"
PERMISSION_TYPE = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
INSTANCE_TYPE = "aws:ec2/instance:Instance"
SNAPSHOT_CONVERTERS = {ebs_snapshot.PULUMI_TYPE: ebs_snapshot.convert,
                       "aws:ebs/snapshotCopy:SnapshotCopy": ebs_snapshot.convert_copy}
SHARE_ACTIONS = ("ec2:RunInstances",)   # what a launch permission lets its grantee do
ENCRYPTION_GROUPS = ("encrypted", *KEY_GROUPS)
SHARING_PROPERTIES = {
    "public": "bool",                          # a launch permission for group `all`
    "sharing.grants": "objects",               # every launch permission, as grants
    "sharing.external_principals": "list",     # those outside the trusted zone ('*': all), by the engine
    "sharing.external_actions": "list",
}
ORGANIZATION_ARN = re.compile(r"^arn:aws[\w-]*:organizations::\d*:(?:organization|ou)/(?P<org>o-[a-z0-9]+)")
UNENCRYPTED = {"encrypted": False, "kms_key_id": None, "kms_key_region": None, "customer_managed_key": False}


# ------------------------------------------------------------------------------ launch permissions

def launch_grants(permissions: Iterable[str]) -> list[dict[str, Any]]:
    """Launch permissions (`all`, account ids, organization or OU ARNs) as grants: an OU is
    judged as its organization, the narrowest the trusted zone can name."""
    grants = []
    for value in sorted(set(str(p) for p in permissions)):
        org = ORGANIZATION_ARN.match(value)
        if value.lower() == "all":
            constraint = Constraint(ANYONE)
        elif org:
            constraint = Constraint(ORGANIZATION, (org.group("org"),))
        else:
            constraint = Constraint(ACCOUNT, (value,))
        grants.append(Grant("launch", (constraint,), SHARE_ACTIONS).to_dict())
    return grants


def sharing(permissions: Iterable[str]) -> dict[str, Any]:
    """`public` and `sharing` of an image with these launch permissions."""
    permissions = list(permissions)
    return {"public": any(p.lower() == "all" for p in permissions), "sharing": {"grants": launch_grants(permissions)}}


def permission_value(permission: dict[str, Any]) -> Optional[str]:
    """One launch permission (Pulumi inputs or the EC2 answer's LaunchPermission) as one value."""
    for key in ("group", "Group", "accountId", "UserId", "organizationArn", "OrganizationArn",
                "organizationalUnitArn", "OrganizationalUnitArn"):
        if permission.get(key):
            return str(permission[key])
    return None


# ------------------------------------------------------------------------------ encryption

def weakest(devices: list[dict[str, Any]]) -> dict[str, Any]:
    """The image's encryption from its EBS devices' (each: encrypted and the key groups)."""
    if not devices or not all(d.get("encrypted") for d in devices):
        return dict(UNENCRYPTED)
    chosen = next((d for d in devices if not d.get("customer_managed_key")), devices[0])
    return {"encrypted": True, **{group: chosen.get(group) for group in KEY_GROUPS},
            "customer_managed_key": bool(chosen.get("customer_managed_key"))}


def _device(device: dict[str, Any], index: Any, region: Optional[str]) -> dict[str, Any]:
    """A block device of a declared AMI: its snapshot's encryption when the program declares the
    snapshot, else its own `encrypted` flag (EBS's AWS-managed key)."""
    for snapshot_type, convert in SNAPSHOT_CONVERTERS.items():
        snapshot = index.by_type_id.get((snapshot_type, str(device.get("snapshotId"))))
        if snapshot is not None:
            source = convert(snapshot, index).properties
            return {group: source.get(group) for group in ENCRYPTION_GROUPS}
    if device.get("encrypted"):
        return {"encrypted": True, "kms_key_id": "alias/aws/ebs", "kms_key_region": region,
                "customer_managed_key": False}
    return dict(UNENCRYPTED)


def _declared(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    resource.properties.update(sharing([]))
    return resource


def convert_ami(res: "CapturedResource", index: Any) -> Resource:
    """An AMI registered from snapshots: encrypted as its block devices' snapshots are."""
    resource = _declared(res, index)
    devices = sorted(res.inputs.get("ebsBlockDevices") or [], key=lambda d: str(d.get("deviceName")))
    resource.properties.update(weakest([_device(d, index, resource.region) for d in devices]))
    return resource


def convert_copy(res: "CapturedResource", index: Any) -> Resource:
    """A copy is encrypted with the key it names (EBS's AWS-managed key when it names none); a
    copy that asks for no encryption keeps an encrypted source's: its key in the same region,
    else EBS's AWS-managed key of the copy's region (keys are regional)."""
    resource = ebs_volume.encrypted_storage(res, index, CFN_TYPE)
    resource.properties.update(sharing([]))
    if resource.properties["encrypted"]:
        return resource
    source_id = str(res.inputs.get("sourceAmiId"))
    source = next((index.by_type_id[(t, source_id)] for t in CONVERTERS if (t, source_id) in index.by_type_id), None)
    facts = CONVERTERS[source.type](source, index).properties if source is not None else {}
    if facts.get("encrypted") and index.region_of(source) == resource.region:
        resource.properties.update({group: facts.get(group) for group in ENCRYPTION_GROUPS})
    elif facts.get("encrypted"):
        resource.properties.update(encrypted=True, kms_key_id="alias/aws/ebs", kms_key_region=resource.region,
                                   customer_managed_key=False)
    return resource


def convert_from_instance(res: "CapturedResource", index: Any) -> Resource:
    """An AMI of an instance: its snapshots are encrypted as the instance's volumes."""
    resource = _declared(res, index)
    instance = index.by_type_id.get((INSTANCE_TYPE, str(res.inputs.get("sourceInstanceId"))))
    if instance is None:
        resource.properties.update(UNENCRYPTED)
        return resource
    volumes = [instance.inputs.get("rootBlockDevice") or {}] + list(instance.inputs.get("ebsBlockDevices") or [])
    devices = []
    for volume in volumes:
        facts = index.key_facts(volume.get("kmsKeyId"), resource.region)
        if volume.get("encrypted") and not facts["kms_key_id"]:
            facts.update(kms_key_id="alias/aws/ebs", kms_key_region=resource.region)
        devices.append({**facts, "encrypted": bool(volume.get("encrypted"))})
    resource.properties.update(weakest(devices))
    return resource


CONVERTERS = {AMI_TYPE: convert_ami, COPY_TYPE: convert_copy, FROM_INSTANCE_TYPE: convert_from_instance}


def fold_permission(res: "CapturedResource", image: Resource, index: Any) -> None:
    value = permission_value(res.inputs)
    if value is None:
        return
    if value.lower() == "all":
        image.properties["public"] = True
    image.properties.setdefault("sharing", {"grants": []})["grants"].extend(launch_grants([value]))


# ------------------------------------------------------------------------------ sandbox

def _tag(provisioner: Any, res: "CapturedResource", region: str, image_id: str, values: dict) -> None:
    provisioner.exact[res.id] = image_id
    tags = sandbox_tags(values)
    if tags:
        provisioner.client("ec2", region).create_tags(Resources=[image_id], Tags=tags)


def _arn(region: str, image_id: str) -> dict:
    return {"arn": f"arn:aws:ec2:{region}::image/{image_id}"}   # AMI ARNs name no account


def provision_ami(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """RegisterImage from the declared snapshots (the local cloud backs it with its own snapshot)."""
    mappings = [{"DeviceName": d["deviceName"], "Ebs": {k: v for k, v in {
        "SnapshotId": d.get("snapshotId"), "Encrypted": d.get("encrypted"), "VolumeSize": d.get("volumeSize"),
        "VolumeType": d.get("volumeType")}.items() if v is not None}} for d in values.get("ebsBlockDevices") or []]
    image_id = provisioner.client("ec2", region).register_image(
        Name=values.get("name") or res.name, Description=values.get("description") or "",
        RootDeviceName=values.get("rootDeviceName") or "/dev/xvda",
        VirtualizationType=values.get("virtualizationType") or "hvm", BlockDeviceMappings=mappings)["ImageId"]
    _tag(provisioner, res, region, image_id, values)
    return image_id, _arn(region, image_id)


def provision_copy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    extra = {k: v for k, v in {"Encrypted": values.get("encrypted"), "KmsKeyId": values.get("kmsKeyId")}.items() if v}
    image_id = provisioner.client("ec2", region).copy_image(
        Name=values.get("name") or res.name, SourceImageId=values["sourceAmiId"],
        SourceRegion=values["sourceAmiRegion"], **extra)["ImageId"]
    _tag(provisioner, res, region, image_id, values)
    return image_id, _arn(region, image_id)


PERMISSION_KEYS = {"accountId": "UserId", "group": "Group", "organizationArn": "OrganizationArn",
                   "organizationalUnitArn": "OrganizationalUnitArn"}


def provision_permission(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    permission = {PERMISSION_KEYS[k]: str(v) for k, v in values.items() if k in PERMISSION_KEYS and v}
    provisioner.client("ec2", region).modify_image_attribute(ImageId=values["imageId"],
                                                             LaunchPermission={"Add": [permission]})
    return f"{values['imageId']}-{next(iter(permission.values()))}", {}


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="AMI",
    properties={**ENCRYPTION_PROPERTIES, **SHARING_PROPERTIES},
    pulumi=(
        PulumiType(AMI_TYPE, convert=convert_ami, terraform="aws_ami", terraform_blocks={
                       "ebs_block_device": "ebsBlockDevices", "ephemeral_block_device": "ephemeralBlockDevices"},
                   inputs=inputs(ebsBlockDevices=ENCRYPTION_GROUPS), sandbox=provision_ami, sandbox_rank=50),
        PulumiType(COPY_TYPE, convert=convert_copy, terraform="aws_ami_copy", terraform_blocks={
                       "ebs_block_device": "ebsBlockDevices", "ephemeral_block_device": "ephemeralBlockDevices"},
                   inputs=inputs(**ebs_volume.ENCRYPTION_INPUTS, sourceAmiId=ENCRYPTION_GROUPS),
                   sandbox=provision_copy, sandbox_rank=51),
        PulumiType(FROM_INSTANCE_TYPE, convert=convert_from_instance, terraform="aws_ami_from_instance",
                   terraform_blocks={"ebs_block_device": "ebsBlockDevices",
                                     "ephemeral_block_device": "ephemeralBlockDevices"},
                   inputs=inputs(sourceInstanceId=ENCRYPTION_GROUPS)),
        PulumiType(PERMISSION_TYPE, terraform="aws_ami_launch_permission",
                   fold=Folding(AMI_TYPE, "imageId", ("public", "sharing"), fold_permission,
                                also_parents=(COPY_TYPE, FROM_INSTANCE_TYPE)),
                   sandbox=provision_permission, sandbox_rank=52),
    ),
    live=LiveCollector("scanners.ec2_images", "collect_images", listing="ec2 images"),
    drift=Drift(missing_category="retention", safer={"encrypted": True, "public": False}),
    terraform=TerraformForm("aws_ami"),
    cloudformation=CloudFormationForm(),   # CloudFormation has no AMI resource type
    tagging=ebs_volume.EC2_TAGGING,
)
