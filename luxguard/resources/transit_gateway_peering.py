"""AWS::EC2::TransitGatewayPeeringAttachment: a route between two transit gateways, and so between
every VPC attached to either. Like a VPC peering (luxguard/resources/vpc_peering.py), it is judged
by the regions it connects (`network_regions`) and another company's gateway it routes into
(`sharing`); a peering always names its peer region, and the same account unless told otherwise.

A cross-region attachment is listed in both regions; it is collected once, in its requester's
region (or in the accepter's, when another account requested it).
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
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.ebs_volume import EC2_TAGGING, ec2_tag_specification
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import SHARE_PROPERTIES
from luxguard.resources.vpc_peering import peering

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EC2::TransitGatewayPeeringAttachment"
PULUMI_TYPE = "aws:ec2transitgateway/peeringAttachment:PeeringAttachment"
GATEWAY_TYPE = "aws:ec2transitgateway/transitGateway:TransitGateway"


def convert(res: "CapturedResource", index: Any) -> Resource:
    """The requester's gateway is in the resource's region, the accepter's in peerRegion."""
    resource = planned_resource(res, index, CFN_TYPE)
    region = index.region_of(res)
    other = res.inputs.get("peerAccountId")
    resource.properties.update(peering([region, res.inputs.get("peerRegion") or region], [other] if other else []))
    return resource


# --------------------------------------------------------------------------- sandbox

def provision_gateway(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    created = provisioner.client("ec2", region).create_transit_gateway(
        Description=str(values.get("description") or res.name),
        TagSpecifications=ec2_tag_specification("transit-gateway", values))["TransitGateway"]
    provisioner.exact[res.id] = created["TransitGatewayId"]
    return created["TransitGatewayId"], {"arn": created.get("TransitGatewayArn") or
                                         f"arn:aws:ec2:{region}:{provisioner.account}:transit-gateway/{created['TransitGatewayId']}"}


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    created = provisioner.client("ec2", region).create_transit_gateway_peering_attachment(
        TransitGatewayId=str(values["transitGatewayId"]), PeerTransitGatewayId=str(values["peerTransitGatewayId"]),
        PeerRegion=str(values.get("peerRegion") or region),
        PeerAccountId=str(values.get("peerAccountId") or provisioner.account),
        TagSpecifications=ec2_tag_specification("transit-gateway-attachment", values))["TransitGatewayPeeringAttachment"]
    identifier = created["TransitGatewayAttachmentId"]
    provisioner.exact[res.id] = identifier
    return identifier, {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:transit-gateway-attachment/{identifier}"}


# --------------------------------------------------------------------------- CloudFormation

def cfn_peering(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {"transitGatewayId": p.get("TransitGatewayId"),
                               "peerTransitGatewayId": p.get("PeerTransitGatewayId"),
                               "peerRegion": p.get("PeerRegion"), "peerAccountId": p.get("PeerAccountId"),
                               "tags": tags(p)})]


def cfn_gateway(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(GATEWAY_TYPE, "", {"description": p.get("Description"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="transit gateway peering",
    properties={"network_regions": "list", **SHARE_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_ec2_transit_gateway_peering_attachment",
                       inputs=inputs(peerRegion=("network_regions",), peerAccountId=("sharing",)),
                       sandbox=provision, sandbox_rank=45),
            # A gateway holds no data itself: it is provisioned for its peerings, not judged.
            PulumiType(GATEWAY_TYPE, account_wide=lambda res, resources, index: None,
                       terraform="aws_ec2_transit_gateway", sandbox=provision_gateway, sandbox_rank=5)),
    live=LiveCollector("scanners.ec2", "collect_transit_gateway_peerings", listing="ec2 transit gateway peering"),
    drift=Drift(missing_category="access"),
    terraform=TerraformForm("aws_ec2_transit_gateway_peering_attachment"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_peering),
                                             CloudFormationType("AWS::EC2::TransitGateway", cfn_gateway))),
    tagging=EC2_TAGGING,
)
