"""AWS::EC2::EBSEncryptionByDefault: the account-and-region setting (no CloudFormation type
exists; the name follows the model's convention). One per account and region, id = region."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import LiveCollector, PulumiType, ResourceType
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, "AWS::EC2::EBSEncryptionByDefault",
                                enabled=bool(res.inputs.get("enabled", True)), kms_key_id=None)
    resource.id = resource.region or res.id
    return resource


DESCRIPTOR = ResourceType(
    cfn_type="AWS::EC2::EBSEncryptionByDefault",
    kind="EBS default encryption",
    properties={"enabled": "bool", "kms_key_id": "string"},
    pulumi=(PulumiType("aws:ebs/encryptionByDefault:EncryptionByDefault", convert=convert,
                       inputs=inputs(enabled=("enabled",)), terraform="aws_ebs_encryption_by_default"),),
    live=LiveCollector("scanners.ec2", "collect_ebs_default", listing="ec2 ebs default"),
)
