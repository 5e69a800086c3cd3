"""EC2: security groups, instances, EBS volumes and snapshots, EBS encryption-by-default, VPC and
transit gateway peerings.

Calls per region: DescribeSecurityGroups, DescribeInstances and DescribeVolumes (each once, shared
by the instance and volume collectors), DescribeSnapshots,
DescribeVpcPeeringConnections, DescribeTransitGatewayPeeringAttachments (all paginated), GetEbsEncryptionByDefault, and
GetEbsDefaultKmsKeyId only when that is on.
Per snapshot: DescribeSnapshotAttribute only for unencrypted snapshots (AWS refuses to
share encrypted snapshots publicly, so those cannot be public).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from botocore.exceptions import BotoCoreError, ClientError

from luxguard.core.external_access import share_grants_of
from luxguard.resources.ebs_snapshot import SHARE_ACTIONS
from luxguard.resources.ec2_instance import CFN_TYPE as INSTANCE_TYPE, GONE as INSTANCE_GONE, GROUPS as INSTANCE_GROUPS
from luxguard.resources.launch_template import encryption
from luxguard.resources.vpc_peering import peering
from luxguard.core.model import Resource, common_properties
from luxguard.core.security_group_rules import normalise_rule, sort_rules

from scanners import arns
from scanners.calls import FAILED, describe_error, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import key_errors, key_properties, resolved_key

SG_TYPE = "AWS::EC2::SecurityGroup"
VOLUME_TYPE = "AWS::EC2::Volume"
SNAPSHOT_TYPE = "AWS::EC2::Snapshot"
EBS_DEFAULT_TYPE = "AWS::EC2::EBSEncryptionByDefault"
LAUNCH_ATTACH_SECONDS = 30   # a volume attached this close to its instance's launch was created with it


def _rule(permission: dict[str, Any]) -> dict[str, Any]:
    sources = (
        [r.get("CidrIp") for r in permission.get("IpRanges", [])]
        + [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
        + [p.get("GroupId") for p in permission.get("UserIdGroupPairs", [])]
        + [p.get("PrefixListId") for p in permission.get("PrefixListIds", [])]
    )
    descriptions = sorted({
        entry["Description"]
        for kind in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds")
        for entry in permission.get(kind, []) if entry.get("Description")
    })
    return normalise_rule(permission.get("IpProtocol"), permission.get("FromPort"),
                          permission.get("ToPort"), [s for s in sources if s],
                          "; ".join(descriptions) or None)


def security_group(group: dict[str, Any], region: str, account: Optional[str]) -> Resource:
    tags = tag_dict(group.get("Tags"))
    resource = Resource(
        type=SG_TYPE, id=group["GroupId"], region=region,
        arn=group.get("SecurityGroupArn")
        or arns.build("ec2", region, group.get("OwnerId") or account, f"security-group/{group['GroupId']}"),
    )
    resource.properties = {
        **common_properties(group.get("GroupName"), region, tags),
        "group_name": group.get("GroupName"),
        "vpc_id": group.get("VpcId"),
        "is_default": group.get("GroupName") == "default",
        "ingress": sort_rules([_rule(p) for p in group.get("IpPermissions", [])]),
        "egress": sort_rules([_rule(p) for p in group.get("IpPermissionsEgress", [])]),
    }
    return resource


def _name(tags: dict[str, str], fallback: str) -> str:
    return tags.get("Name") or fallback


def collect_security_groups(shared: Shared, region: str) -> list[Resource]:
    ec2 = shared.clients.client("ec2", region)
    return [
        security_group(group, region, shared.account)
        for page in ec2.get_paginator("describe_security_groups").paginate()
        for group in page.get("SecurityGroups", [])
    ]


def region_volumes(shared: Shared, region: str) -> list[dict[str, Any]]:
    """The region's one DescribeVolumes answer, shared by the volume and instance collectors."""
    ec2 = shared.clients.client("ec2", region)
    return shared.once(f"ec2 volumes {region}", lambda: [
        volume for page in ec2.get_paginator("describe_volumes").paginate() for volume in page.get("Volumes", [])])


def region_instances(shared: Shared, region: str) -> list[dict[str, Any]]:
    """The region's instances that hold volumes (one DescribeInstances answer, shared)."""
    ec2 = shared.clients.client("ec2", region)
    return shared.once(f"ec2 instances {region}", lambda: [
        instance for page in ec2.get_paginator("describe_instances").paginate()
        for reservation in page.get("Reservations", []) for instance in reservation.get("Instances", [])
        if (instance.get("State") or {}).get("Name") not in INSTANCE_GONE])


def _launched_with(volume: dict[str, Any], launches: dict[str, Any]) -> Optional[str]:
    """The instance a volume was created with (attached at its launch): the instance's, not a stack's own volume."""
    for attachment in volume.get("Attachments") or []:
        launched, attached = launches.get(attachment.get("InstanceId")), attachment.get("AttachTime")
        if launched and attached and abs((attached - launched).total_seconds()) <= LAUNCH_ATTACH_SECONDS:
            return attachment.get("InstanceId")
    return None


def collect_volumes(shared: Shared, region: str) -> list[Resource]:
    account, keys = shared.account, shared.keys
    launches, instances_error = {}, None
    try:
        launches = {i["InstanceId"]: i.get("LaunchTime") for i in region_instances(shared, region)}
    except (ClientError, BotoCoreError) as error:
        instances_error = describe_error(error)
    found = []
    for volume in region_volumes(shared, region):
        tags = tag_dict(volume.get("Tags"))
        key = volume.get("KmsKeyId")
        resource = Resource(type=VOLUME_TYPE, id=volume["VolumeId"], region=region,
                            arn=arns.build("ec2", region, account, f"volume/{volume['VolumeId']}"))
        info = keys.resolve(key, region)
        resource.properties = {
            **common_properties(_name(tags, volume["VolumeId"]), region, tags),
            "encrypted": bool(volume.get("Encrypted")),
            **key_properties(info, key),
            "launched_with": _launched_with(volume, launches),
        }
        resource.collection_errors.update(key_errors(info, key))
        if instances_error:
            resource.collection_errors["launched_with"] = f"ec2 instances: {instances_error}"
        found.append(resource)
    return found


def collect_instances(shared: Shared, region: str) -> list[Resource]:
    """Each instance's encryption: its attached volumes' (the weakest key), from the shared volume answer."""
    volumes, volumes_error = {}, None
    try:
        volumes = {v["VolumeId"]: v for v in region_volumes(shared, region)}
    except (ClientError, BotoCoreError) as error:
        volumes_error = describe_error(error)
    found = []
    for instance in region_instances(shared, region):
        identifier, tags = instance["InstanceId"], tag_dict(instance.get("Tags"))
        resource = Resource(type=INSTANCE_TYPE, id=identifier, region=region,
                            arn=arns.build("ec2", region, shared.account, f"instance/{identifier}"))
        resource.properties = common_properties(_name(tags, identifier), region, tags)
        attached = [(m.get("Ebs") or {}).get("VolumeId") for m in instance.get("BlockDeviceMappings") or []]
        missing = [v for v in attached if v not in volumes]
        if volumes_error or missing:
            why = f"ec2 volumes: {volumes_error}" if volumes_error else f"volumes {', '.join(map(str, missing))} not listed"
            resource.collection_errors.update({group: why for group in INSTANCE_GROUPS})
            found.append(resource)
            continue
        devices = [(bool(volumes[v].get("Encrypted")), volumes[v].get("KmsKeyId") if volumes[v].get("Encrypted") else None)
                   for v in attached]
        resource.properties.update(encryption(devices, lambda key: resolved_key(resource, shared.keys, key, region)))
        found.append(resource)
    return sorted(found, key=lambda r: r.id)


def collect_snapshots(shared: Shared, region: str) -> list[Resource]:
    """The account's own snapshots (moto ignores OwnerIds, so the owner is checked here too)."""
    ec2, account, keys = shared.clients.client("ec2", region), shared.account, shared.keys
    found = []
    snapshots = [snapshot for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"])
                 for snapshot in page.get("Snapshots", [])
                 if not account or snapshot.get("OwnerId") in (None, account)]
    volume_keys, volume_error = _source_volume_keys(ec2, snapshots)
    for snapshot in snapshots:
        snapshot_id = snapshot["SnapshotId"]
        tags = tag_dict(snapshot.get("Tags"))
        key = snapshot.get("KmsKeyId") or volume_keys.get(snapshot.get("VolumeId", ""))
        resource = Resource(type=SNAPSHOT_TYPE, id=snapshot_id, region=region,
                            arn=arns.build("ec2", region, snapshot.get("OwnerId") or account, f"snapshot/{snapshot_id}"))
        info = keys.resolve(key, region)
        resource.properties = {
            **common_properties(_name(tags, snapshot_id), region, tags),
            "encrypted": bool(snapshot.get("Encrypted")),
            **key_properties(info, key),
        }
        resource.collection_errors.update(key_errors(info, key))
        if snapshot.get("Encrypted") and not key and volume_error:
            resource.collection_errors.update(
                {name: f"source volume's key: {volume_error}" for name in ("kms_key_id", "kms_key_region",
                                                                            "customer_managed_key")})
        # Encrypted snapshots cannot be public but can be shared with other accounts: read every one.
        attribute = read_group(resource, "public", lambda: ec2.describe_snapshot_attribute(
            SnapshotId=snapshot_id, Attribute="createVolumePermission"))
        if attribute is FAILED:
            resource.collection_errors["sharing"] = resource.collection_errors["public"]
        else:
            permissions = attribute.get("CreateVolumePermissions", [])
            resource.properties["public"] = any(p.get("Group") == "all" for p in permissions)
            shared = [p.get("UserId") or p.get("Group") for p in permissions if p.get("UserId") or p.get("Group")]
            resource.properties["sharing"] = {"grants": share_grants_of(shared, SHARE_ACTIONS)}
        found.append(resource)
    return found


def _source_volume_keys(ec2: Any, snapshots: list[dict]) -> tuple[dict[str, str], Optional[str]]:
    """An encrypted snapshot reported without its key (moto does this) is encrypted with its
    source volume's key: one DescribeVolumes for all of them, none when every key is given.
    Returns the keys by volume id, and why they could not be read (the keys stay undecided)."""
    volume_ids = sorted({s["VolumeId"] for s in snapshots
                         if s.get("Encrypted") and not s.get("KmsKeyId") and s.get("VolumeId")})
    if not volume_ids:
        return {}, None
    try:
        volumes = ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": volume_ids}]).get("Volumes", [])
    except (ClientError, BotoCoreError) as error:
        return {}, describe_error(error)
    return {v["VolumeId"]: v["KmsKeyId"] for v in volumes if v.get("KmsKeyId")}, None


def collect_ebs_default(shared: Shared, region: str) -> list[Resource]:
    """One pseudo-resource per region, id = the region."""
    clients = shared.clients
    ec2 = clients.client("ec2", region)
    resource = Resource(type=EBS_DEFAULT_TYPE, id=region, region=region)
    resource.properties = common_properties(region, region, {})
    enabled = read_group(resource, "enabled", ec2.get_ebs_encryption_by_default)
    if enabled is FAILED:
        return [resource]
    resource.properties["enabled"] = bool(enabled.get("EbsEncryptionByDefault"))
    if resource.properties["enabled"]:
        # Not implemented by moto (HTTP 500): probe once, without retries, and record it.
        probe = clients.client("ec2", region, single_attempt=True)
        key = read_group(resource, "kms_key_id", probe.get_ebs_default_kms_key_id)
        if key is not FAILED:
            resource.properties["kms_key_id"] = key.get("KmsKeyId")
    return [resource]


PEERING_TYPE = "AWS::EC2::VPCPeeringConnection"
TGW_PEERING_TYPE = "AWS::EC2::TransitGatewayPeeringAttachment"
GONE = {"deleted", "deleting", "rejected", "rejecting", "failed", "failing", "expired"}   # these route nothing


def _peerings(shared: Shared, region: str, listing: str, answer_key: str, id_key: str, sides: tuple[str, str],
              state: Callable[[dict], Optional[str]], resource_type: str, arn_kind: str) -> list[Resource]:
    """Each live peering once: in its requester's region, or in the accepter's when another
    account requested it (both regions list a cross-region peering)."""
    ec2, account = shared.clients.client("ec2", region), shared.account
    found = []
    for page in ec2.get_paginator(listing).paginate():
        for connection in page.get(answer_key, []):
            requester, accepter = (connection.get(side) or {} for side in sides)
            if not requester and not accepter:
                continue   # another kind of attachment (moto lists a gateway's VPC attachments here too)
            ours = requester if requester.get("OwnerId") in (None, account) else accepter
            if (ours.get("Region") or region) != region or state(connection) in GONE:
                continue
            identifier = connection[id_key]
            tags = tag_dict(connection.get("Tags"))
            resource = Resource(type=resource_type, id=identifier, region=region,
                                arn=arns.build("ec2", region, account, f"{arn_kind}/{identifier}"))
            owners = [side.get("OwnerId") for side in (requester, accepter) if side.get("OwnerId") != account]
            resource.properties = {**common_properties(_name(tags, identifier), region, tags),
                                   **peering([requester.get("Region") or region, accepter.get("Region") or region],
                                             owners)}
            found.append(resource)
    return sorted(found, key=lambda r: r.id)


def collect_vpc_peerings(shared: Shared, region: str) -> list[Resource]:
    return _peerings(shared, region, "describe_vpc_peering_connections", "VpcPeeringConnections",
                     "VpcPeeringConnectionId", ("RequesterVpcInfo", "AccepterVpcInfo"),
                     lambda c: (c.get("Status") or {}).get("Code"), PEERING_TYPE, "vpc-peering-connection")


def collect_transit_gateway_peerings(shared: Shared, region: str) -> list[Resource]:
    return _peerings(shared, region, "describe_transit_gateway_peering_attachments",
                     "TransitGatewayPeeringAttachments", "TransitGatewayAttachmentId",
                     ("RequesterTgwInfo", "AccepterTgwInfo"), lambda c: c.get("State"), TGW_PEERING_TYPE,
                     "transit-gateway-attachment")
