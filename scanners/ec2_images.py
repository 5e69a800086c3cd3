"""EC2 AMIs: the encryption of their EBS snapshots and who may launch them.

Calls per region: DescribeImages (Owners=self, paginated; tags come in the answer, so none per
image), and DescribeSnapshots by id, once for all the images' devices whose answer does not say
their encryption or key (EC2 reports `Encrypted` but not the key of an image's device; the key
is its snapshot's). Per image: DescribeImageAttribute (launchPermission).
"""

from __future__ import annotations

from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from luxguard.core.model import Resource, common_properties
from luxguard.resources.ec2_image import CFN_TYPE, ENCRYPTION_GROUPS, permission_value, sharing, weakest

from scanners import arns
from scanners.calls import FAILED, describe_error, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, key_errors, key_properties

SNAPSHOTS_PER_CALL = 200


def _devices(image: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["Ebs"] for m in sorted(image.get("BlockDeviceMappings", []), key=lambda m: str(m.get("DeviceName")))
            if m.get("Ebs")]


def _needs_snapshot(ebs: dict[str, Any]) -> bool:
    return ebs.get("Encrypted") is None or (bool(ebs.get("Encrypted")) and not ebs.get("KmsKeyId"))


def _snapshots(ec2: Any, images: list[dict]) -> tuple[dict[str, dict], Optional[str]]:
    """The images' device snapshots whose encryption or key the image's answer leaves out, by
    id, and why they could not be read (those devices' encryption stays undecided)."""
    wanted = sorted({ebs["SnapshotId"] for image in images for ebs in _devices(image)
                     if ebs.get("SnapshotId") and _needs_snapshot(ebs)})
    found: dict[str, dict] = {}
    try:
        for start in range(0, len(wanted), SNAPSHOTS_PER_CALL):
            answer = ec2.describe_snapshots(SnapshotIds=wanted[start:start + SNAPSHOTS_PER_CALL])
            found.update({s["SnapshotId"]: s for s in answer.get("Snapshots", [])})
    except (ClientError, BotoCoreError) as error:
        return found, describe_error(error)
    return found, None


def _device_facts(ebs: dict, snapshots: dict[str, dict], region: str, keys: KeyResolver) -> tuple[dict, dict]:
    """(encryption facts, collection errors) of one EBS device."""
    snapshot = snapshots.get(str(ebs.get("SnapshotId")), {})
    encrypted = ebs.get("Encrypted") if ebs.get("Encrypted") is not None else snapshot.get("Encrypted")
    if encrypted is None:
        return {}, {group: f"device {ebs.get('SnapshotId')}: its snapshot's encryption was not read"
                    for group in ENCRYPTION_GROUPS}
    if not encrypted:
        return {"encrypted": False}, {}
    key = ebs.get("KmsKeyId") or snapshot.get("KmsKeyId")
    if not key:
        return {"encrypted": True, "kms_key_id": None, "customer_managed_key": False}, {
            group: f"device {ebs.get('SnapshotId')}: its snapshot's key was not read"
            for group in ("kms_key_id", "kms_key_region", "customer_managed_key")}
    info = keys.resolve(key, region)
    return {"encrypted": True, **key_properties(info, key)}, key_errors(info, key)


def image(ec2: Any, answer: dict[str, Any], region: str, keys: KeyResolver, snapshots: dict[str, dict],
          snapshot_error: Optional[str]) -> Resource:
    """One AMI from its DescribeImages entry (its devices' snapshots as read) and its launch permissions."""
    image_id = answer["ImageId"]
    tags = tag_dict(answer.get("Tags"))
    resource = Resource(type=CFN_TYPE, id=image_id, region=region,   # AMI ARNs name no account
                        arn=arns.build("ec2", region, None, f"image/{image_id}"))
    resource.properties = {**common_properties(tags.get("Name") or answer.get("Name") or image_id, region, tags),
                           **sharing([])}
    devices, errors = [], {}
    for ebs in _devices(answer):
        facts, problems = _device_facts(ebs, snapshots, region, keys)
        if problems and snapshot_error and _needs_snapshot(ebs):
            problems = {group: f"{why} ({snapshot_error})" for group, why in problems.items()}
        devices.append(facts)
        errors.update(problems)
    resource.properties.update(weakest(devices))
    resource.collection_errors.update(errors)
    attribute = read_group(resource, "public", lambda: ec2.describe_image_attribute(
        ImageId=image_id, Attribute="launchPermission"))
    if attribute is FAILED:
        resource.collection_errors["sharing"] = resource.collection_errors["public"]
    else:
        values = [permission_value(p) for p in attribute.get("LaunchPermissions", [])]
        resource.properties.update(sharing([v for v in values if v]))
    return resource


def collect_images(shared: Shared, region: str) -> list[Resource]:
    """The account's own AMIs (the owner is checked here too, as for snapshots)."""
    ec2, account = shared.clients.client("ec2", region), shared.account
    images = [i for page in ec2.get_paginator("describe_images").paginate(Owners=["self"])
              for i in page.get("Images", []) if not account or i.get("OwnerId") in (None, account)]
    snapshots, snapshot_error = _snapshots(ec2, images)
    return [image(ec2, answer, region, shared.keys, snapshots, snapshot_error)
            for answer in sorted(images, key=lambda i: i["ImageId"])]
