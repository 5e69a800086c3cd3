"""AWS::EC2::VPCPeeringConnection: a network route between two VPCs. A peering into a VPC in
another country, or another company's VPC, opens the network path to the stores behind it:
`network_regions` (both sides' regions) and `sharing` (the other side's account, as a grant).

A cross-region peering is listed in both regions; it is collected once, in its requester's region
(or in the accepter's, when another account requested it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.external_access import share_grants_of
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
from luxguard.resources.ebs_volume import EC2_TAGGING, ec2_tag_specification
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import SHARE_PROPERTIES

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EC2::VPCPeeringConnection"
PULUMI_TYPE = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
VPC_TYPE = "aws:ec2/vpc:Vpc"
PEERING_ACTIONS = ("ec2:VpcPeeringConnection",)   # what the other side's account gets: a route into the VPC


def peering(regions: list[Any], other_accounts: list[Any]) -> dict[str, Any]:
    """`network_regions` and `sharing` of a connection between VPCs in `regions`, owned also by `other_accounts`."""
    return {"network_regions": sorted({str(r) for r in regions if r}),
            "sharing": {"grants": share_grants_of(sorted({str(a) for a in other_accounts if a}), PEERING_ACTIONS)}}


def convert(res: "CapturedResource", index: Any) -> Resource:
    """The requester's VPC is in the resource's region; the accepter's in peerRegion (default: the same)."""
    resource = planned_resource(res, index, CFN_TYPE)
    region = index.region_of(res)
    resource.properties.update(peering([region, res.inputs.get("peerRegion") or region],
                                       [res.inputs.get("peerOwnerId")] if res.inputs.get("peerOwnerId") else []))
    return resource


# --------------------------------------------------------------------------- sandbox

def provision_vpc(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    created = provisioner.client("ec2", region).create_vpc(
        CidrBlock=str(values.get("cidrBlock") or "10.0.0.0/16"),
        TagSpecifications=ec2_tag_specification("vpc", values))["Vpc"]
    provisioner.exact[res.id] = created["VpcId"]
    return created["VpcId"], {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:vpc/{created['VpcId']}"}


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    optional = {"PeerRegion": values.get("peerRegion"), "PeerOwnerId": values.get("peerOwnerId")}
    created = provisioner.client("ec2", region).create_vpc_peering_connection(
        VpcId=str(values["vpcId"]), PeerVpcId=str(values["peerVpcId"]),
        TagSpecifications=ec2_tag_specification("vpc-peering-connection", values),
        **{k: str(v) for k, v in optional.items() if v})["VpcPeeringConnection"]
    identifier = created["VpcPeeringConnectionId"]
    provisioner.exact[res.id] = identifier
    return identifier, {"arn": f"arn:aws:ec2:{region}:{provisioner.account}:vpc-peering-connection/{identifier}"}


# --------------------------------------------------------------------------- CloudFormation

def cfn_peering(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {"vpcId": p.get("VpcId"), "peerVpcId": p.get("PeerVpcId"),
                               "peerRegion": p.get("PeerRegion"), "peerOwnerId": p.get("PeerOwnerId"),
                               "tags": tags(p)})]


def cfn_vpc(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(VPC_TYPE, "", {"cidrBlock": p.get("CidrBlock"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="VPC peering connection",
    properties={"network_regions": "list", **SHARE_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_vpc_peering_connection",
                       inputs=inputs(peerRegion=("network_regions",), peerOwnerId=("sharing",)),
                       sandbox=provision, sandbox_rank=45),
            # A VPC holds no data itself: it is provisioned for its peerings, not judged.
            PulumiType(VPC_TYPE, account_wide=lambda res, resources, index: None, terraform="aws_vpc",
                       sandbox=provision_vpc, sandbox_rank=5)),
    live=LiveCollector("scanners.ec2", "collect_vpc_peerings", listing="ec2 vpc peering"),
    drift=Drift(missing_category="access"),
    terraform=TerraformForm("aws_vpc_peering_connection"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_peering),
                                             CloudFormationType("AWS::EC2::VPC", cfn_vpc))),
    tagging=EC2_TAGGING,
)
