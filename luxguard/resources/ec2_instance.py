"""AWS::EC2::Instance: compute that processes personal data, where it runs (the region) and its
EBS volumes' encryption, judged as for launch templates: under its weakest volume's key.

In code, the root device is `rootBlockDevice` (CloudFormation: the mapping for /dev/xvda or
/dev/sda1); a root device the program does not declare is what the AMI and the account's EBS
default make it, so it is not encrypted by the program. An instance launched from a launch
template takes the template's devices when the program declares the template; otherwise its
encryption is undecided. Live, it is its attached volumes' encryption (scanners.ec2: the
volumes come from the region's one DescribeVolumes answer).
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
from luxguard.resources.launch_template import AWS_MANAGED_KEY, devices, encryption, requested
from luxguard.resources.launch_template import PULUMI_TYPE as TEMPLATE_TYPE
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EC2::Instance"
PULUMI_TYPE = "aws:ec2/instance:Instance"
ROOT_DEVICES = ("/dev/xvda", "/dev/sda1")
GONE = {"terminated", "shutting-down"}   # these instances hold no volumes any more (not collected)
GROUPS = ("encrypted", *KEY_GROUPS)


def _device(device: Any) -> tuple[bool, Optional[str]]:
    device = device if isinstance(device, Mapping) else {}
    encrypted = requested(device.get("encrypted"))
    return encrypted, (device.get("kmsKeyId") or AWS_MANAGED_KEY) if encrypted else None


def _template(res: "CapturedResource", index: Any) -> Optional["CapturedResource"]:
    reference = res.inputs.get("launchTemplate") or {}
    wanted = {str(reference.get(k)) for k in ("id", "name") if isinstance(reference, Mapping) and reference.get(k)}
    return next((t for t in index.capture.resources if t.type == TEMPLATE_TYPE
                 and ({t.id, str(t.inputs.get("name") or t.name)} & wanted)), None)


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    found = [_device(d) for d in res.inputs.get("ebsBlockDevices") or []]
    if res.inputs.get("rootBlockDevice"):
        found.insert(0, _device(res.inputs["rootBlockDevice"]))
    elif res.inputs.get("launchTemplate"):
        template = _template(res, index)
        if template is None:
            for group in GROUPS:
                resource.collection_errors[group] = (
                    f"{res.name}: its root volume comes from a launch template the program does not declare")
        else:
            found = devices(template.inputs.get("blockDeviceMappings")) + found
    else:
        found.insert(0, (False, None))   # the AMI's root device: nothing the program asks for
    resource.properties.update(encryption(found, lambda key: index.key_facts(key, resource.region)))
    return resource


# --------------------------------------------------------------------------- sandbox

def _image(ec2: Any, wanted: Any, name: str) -> str:
    """The program's AMI when the local cloud has it; else a stand-in image (a real program
    finds its AMI with a data source, whose answer is a placeholder here)."""
    if wanted:
        try:
            if ec2.describe_images(ImageIds=[str(wanted)])["Images"]:
                return str(wanted)
        except Exception:  # noqa: BLE001 - InvalidAMIID.*: the placeholder is not in the local cloud
            pass
    return ec2.register_image(Name=f"luxguard-sandbox-{name}", RootDeviceName="/dev/xvda")["ImageId"]


def _mapping(name: str, device: Any) -> dict[str, Any]:
    device = device if isinstance(device, Mapping) else {}
    return {"DeviceName": str(device.get("deviceName") or name), "Ebs": {
        "VolumeSize": int(device.get("volumeSize") or 8), "Encrypted": requested(device.get("encrypted")),
        **({"KmsKeyId": str(device["kmsKeyId"])} if device.get("kmsKeyId") else {})}}


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    ec2 = provisioner.client("ec2", region)
    mappings = ([_mapping("/dev/xvda", values["rootBlockDevice"])] if values.get("rootBlockDevice") else []) + \
        [_mapping("/dev/sdb", d) for d in values.get("ebsBlockDevices") or []]
    created = ec2.run_instances(ImageId=_image(ec2, values.get("ami"), res.name), MinCount=1, MaxCount=1,
                                InstanceType=str(values.get("instanceType") or "t3.micro"),
                                TagSpecifications=ec2_tag_specification("instance", values),
                                **({"BlockDeviceMappings": mappings} if mappings else {}))["Instances"][0]
    identifier = created["InstanceId"]
    provisioner.exact[res.id] = identifier
    return identifier, {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:instance/{identifier}"}


# --------------------------------------------------------------------------- CloudFormation

def cfn_instance(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    mappings = [m for m in p.get("BlockDeviceMappings") or [] if isinstance(m, dict) and not m.get("VirtualName")]
    ebs = [{"deviceName": m.get("DeviceName"), "encrypted": (m.get("Ebs") or {}).get("Encrypted"),
            "kmsKeyId": (m.get("Ebs") or {}).get("KmsKeyId"), "volumeSize": (m.get("Ebs") or {}).get("VolumeSize")}
           for m in mappings]
    root = next((d for d in ebs if d["deviceName"] in ROOT_DEVICES), None)
    return [(PULUMI_TYPE, "", {"ami": p.get("ImageId"), "instanceType": p.get("InstanceType"),
                               "rootBlockDevice": root, "ebsBlockDevices": [d for d in ebs if d is not root],
                               "launchTemplate": {"id": (p.get("LaunchTemplate") or {}).get("LaunchTemplateId"),
                                                  "name": (p.get("LaunchTemplate") or {}).get("LaunchTemplateName")}
                               if p.get("LaunchTemplate") else None,
                               "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="instance",
    properties=ENCRYPTION_PROPERTIES,
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_instance",
                       terraform_blocks={"ebs_block_device": "ebsBlockDevices"},
                       inputs=inputs(rootBlockDevice=GROUPS, ebsBlockDevices=GROUPS, launchTemplate=GROUPS),
                       sandbox=provision, sandbox_rank=55),),
    live=LiveCollector("scanners.ec2", "collect_instances", listing="ec2 instances"),
    drift=Drift(missing_category="encryption", safer={"encrypted": True, "customer_managed_key": True}),
    terraform=TerraformForm("aws_instance"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_instance),)),
    tagging=EC2_TAGGING,
)
