"""AWS::EC2::Snapshot: EBS snapshots and snapshot copies (CloudFormation has no such type)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.external_access import share_grants_of
from luxguard.core.model import Resource
from luxguard.resources import ebs_volume
from luxguard.resources.base import (
    CloudFormationForm,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    TerraformForm,
)
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:ebs/snapshot:Snapshot"
SHARE_ACTIONS = ("ec2:CreateVolume",)   # what a createVolumePermission lets its account do


def convert_copy(res: "CapturedResource", index: Any) -> Resource:
    resource = ebs_volume.encrypted_storage(res, index, "AWS::EC2::Snapshot")
    resource.properties.update(public=False, sharing={"grants": []})
    return resource


def convert(res: "CapturedResource", index: Any) -> Resource:
    """A snapshot is encrypted exactly when its source volume is."""
    volume = index.by_type_id.get((ebs_volume.PULUMI_TYPE, str(res.inputs.get("volumeId"))))
    resource = planned_resource(res, index, "AWS::EC2::Snapshot")
    source = ebs_volume.convert(volume, index).properties if volume else {}
    resource.properties.update(
        encrypted=bool(source.get("encrypted")), kms_key_id=source.get("kms_key_id"),
        kms_key_region=source.get("kms_key_region"), customer_managed_key=bool(source.get("customer_managed_key")),
        public=False, sharing={"grants": []})
    return resource


def fold_permission(res: "CapturedResource", snapshot: Resource, index: Any) -> None:
    account = str(res.inputs.get("accountId", ""))
    if account.lower() == "all":
        snapshot.properties["public"] = True
    grants = snapshot.properties.setdefault("sharing", {"grants": []})["grants"]
    grants.extend(share_grants_of([account], SHARE_ACTIONS))


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    created = provisioner.client("ec2", region).create_snapshot(
        VolumeId=values["volumeId"], TagSpecifications=ebs_volume.ec2_tag_specification("snapshot", values))
    snapshot_id = provisioner.exact[res.id] = created["SnapshotId"]
    return snapshot_id, {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:snapshot/{snapshot_id}"}


def provision_permission(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    account = str(values["accountId"])
    permission = {"Group": "all"} if account.lower() == "all" else {"UserId": account}
    provisioner.client("ec2", region).modify_snapshot_attribute(
        SnapshotId=values["snapshotId"], Attribute="createVolumePermission",
        CreateVolumePermission={"Add": [permission]})
    return f"{values['snapshotId']}-{account}", {}


DESCRIPTOR = ResourceType(
    cfn_type="AWS::EC2::Snapshot",
    kind="snapshot",
    properties={**ebs_volume.ENCRYPTION_PROPERTIES,
                "public": "bool",            # createVolumePermission for group "all"
                "sharing.grants": "objects",  # every createVolumePermission, as grants
                "sharing.external_principals": "list",   # accounts outside the trusted zone ('*': all)
                "sharing.external_actions": "list"},
    pulumi=(
        PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_ebs_snapshot",
                   inputs=inputs(volumeId=("encrypted", *ebs_volume.KEY_GROUPS)), sandbox=provision, sandbox_rank=41),
        PulumiType("aws:ebs/snapshotCopy:SnapshotCopy", convert=convert_copy, terraform="aws_ebs_snapshot_copy",
                   inputs=inputs(**ebs_volume.ENCRYPTION_INPUTS)),
        PulumiType("aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
                   fold=Folding(PULUMI_TYPE, "snapshotId", ("public", "sharing"), fold_permission),
                   terraform="aws_snapshot_create_volume_permission", sandbox=provision_permission, sandbox_rank=42),
    ),
    live=LiveCollector("scanners.ec2", "collect_snapshots", listing="ec2 snapshots"),
    drift=Drift(missing_category="retention", safer={"encrypted": True, "public": False}),
    terraform=TerraformForm("aws_ebs_snapshot"),
    cloudformation=CloudFormationForm(),   # CloudFormation has no snapshot resource
    tagging=ebs_volume.EC2_TAGGING,
)
