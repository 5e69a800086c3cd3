"""AWS::EC2::SecurityGroup: groups (and the default group) with their rules folded in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.core.security_group_rules import normalise_rule, sort_rules
from luxguard.core.unknowns import first_unknown
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import security_group_rule, tags
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_GROUP_TYPE = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
RULE_FIELDS = {
    "protocol": "string",      # tcp | udp | icmp | -1 (all)
    "ports": "list",           # [from, to]; [0, 65535] for protocol -1
    "sources": "list",         # CIDRs (IPv4 and IPv6) and referenced group ids
    "open_to_world": "bool",   # a source is 0.0.0.0/0 or ::/0
    "description": "string",
}


def _inline_rules(rules: list[dict]) -> list[dict]:
    return sort_rules([normalise_rule(r.get("protocol"), r.get("fromPort"), r.get("toPort"),
                                      [*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or []),
                                       *(r.get("securityGroups") or [])], r.get("description"))
                       for r in rules])


def convert(res: "CapturedResource", index: Any) -> Resource:
    return planned_resource(res, index, "AWS::EC2::SecurityGroup", group_name=res.inputs.get("name") or res.name,
                            vpc_id=res.inputs.get("vpcId"), is_default=False,
                            ingress=_inline_rules(res.inputs.get("ingress") or []),
                            egress=_inline_rules(res.inputs.get("egress") or []))


def convert_default(res: "CapturedResource", index: Any) -> Resource:
    resource = convert(res, index)
    resource.properties.update(is_default=True, group_name="default")
    return resource


def _append_rule(group: Resource, direction: str, rule: dict) -> None:
    group.properties[direction] = sort_rules([*group.properties.get(direction, []), rule])


def _vpc_rule(res: "CapturedResource", group: Resource, direction: str) -> None:
    i = res.inputs
    sources = [i.get("cidrIpv4"), i.get("cidrIpv6"), i.get("referencedSecurityGroupId"), i.get("prefixListId")]
    _append_rule(group, direction, normalise_rule(i.get("ipProtocol"), i.get("fromPort"), i.get("toPort"),
                                                  [s for s in sources if s], i.get("description")))


def fold_ingress_rule(res: "CapturedResource", group: Resource, index: Any) -> None:
    _vpc_rule(res, group, "ingress")


def fold_egress_rule(res: "CapturedResource", group: Resource, index: Any) -> None:
    _vpc_rule(res, group, "egress")


def fold_rule(res: "CapturedResource", group: Resource, index: Any) -> None:
    i = res.inputs
    direction = "ingress" if i.get("type") == "ingress" else "egress"
    sources = [*(i.get("cidrBlocks") or []), *(i.get("ipv6CidrBlocks") or []), i.get("sourceSecurityGroupId")]
    _append_rule(group, direction, normalise_rule(i.get("protocol"), i.get("fromPort"), i.get("toPort"),
                                                  [s for s in sources if s], i.get("description")))


def _permissions(rules: list[dict]) -> list[dict[str, Any]]:
    perms = []
    for rule in rules:
        protocol = str(rule.get("protocol", "-1"))
        perm: dict[str, Any] = {"IpProtocol": protocol}
        if protocol not in ("-1", "all"):
            perm.update(FromPort=int(rule.get("fromPort", 0)), ToPort=int(rule.get("toPort", 0)))
        description = {"Description": rule["description"]} if rule.get("description") else {}
        if rule.get("cidrBlocks"):
            perm["IpRanges"] = [{"CidrIp": c, **description} for c in rule["cidrBlocks"]]
        if rule.get("ipv6CidrBlocks"):
            perm["Ipv6Ranges"] = [{"CidrIpv6": c, **description} for c in rule["ipv6CidrBlocks"]]
        if rule.get("securityGroups"):
            perm["UserIdGroupPairs"] = [{"GroupId": g, **description} for g in rule["securityGroups"]]
        perms.append(perm)
    return perms


def create_group(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    ec2 = sandbox.client("ec2", region)
    vpc = inputs.get("vpcId") or ec2.describe_vpcs(
        Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    args: dict[str, Any] = {"GroupName": inputs.get("name") or res.name,
                            "Description": inputs.get("description") or "Managed by Pulumi", "VpcId": vpc}
    if inputs.get("tags"):
        args["TagSpecifications"] = [{"ResourceType": "security-group", "Tags": [
            {"Key": str(k), "Value": str(v)} for k, v in inputs["tags"].items()]}]
    group_id = ec2.create_security_group(**args)["GroupId"]
    # Like the provider: the default allow-all egress goes; only declared rules stay.
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    if inputs.get("ingress"):
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_permissions(inputs["ingress"]))
    if inputs.get("egress"):
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=_permissions(inputs["egress"]))
    sandbox.exact[res.id] = group_id
    sandbox.inside[f"security-group/{res.id}"] = f"security-group/{group_id}"
    return group_id, {"arn": f"arn:aws:ec2:{region}:{sandbox.account}:security-group/{group_id}", "vpcId": vpc}


def manageable(group: Resource) -> bool:
    """The default group exists in every VPC; no stack creates it."""
    return not group.get("is_default")


_GROUP_INPUTS = inputs(name=("group_name",), vpcId=("vpc_id",), ingress=("ingress",), egress=("egress",))


def _rule_folding(fold: Any, groups: tuple[str, ...]) -> Folding:
    return Folding(PULUMI_TYPE, "securityGroupId", groups, fold, also_parents=(DEFAULT_GROUP_TYPE,))


# CloudFormation, like the EC2 API, allows all egress when a group declares none
ALL_TRAFFIC_EGRESS = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]
TERRAFORM_RULE_BLOCKS = {"ingress": "ingress", "egress": "egress"}


def cfn_group(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    ingress, egress = p.get("SecurityGroupIngress") or [], p.get("SecurityGroupEgress")
    return [(PULUMI_TYPE, "", {
        "name": p.get("GroupName"), "vpcId": p.get("VpcId"), "tags": tags(p),
        "ingress": first_unknown(ingress) or [security_group_rule(r) for r in ingress],
        "egress": first_unknown(egress) or ([security_group_rule(r) for r in egress] if egress is not None
                                            else ALL_TRAFFIC_EGRESS)})]


def _cfn_rule(pulumi_type: str, peer: str) -> Any:
    def convert(p: dict, context: Any) -> list[tuple[str, str, dict]]:
        return [(pulumi_type, "", {
            "securityGroupId": p.get("GroupId", p.get("GroupName")), "ipProtocol": p.get("IpProtocol"),
            "fromPort": p.get("FromPort"), "toPort": p.get("ToPort"), "cidrIpv4": p.get("CidrIp"),
            "cidrIpv6": p.get("CidrIpv6"), "referencedSecurityGroupId": p.get(f"{peer}SecurityGroupId"),
            "prefixListId": p.get(f"{peer}PrefixListId"), "description": p.get("Description")})]
    return convert


INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE_TYPE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

DESCRIPTOR = ResourceType(
    cfn_type="AWS::EC2::SecurityGroup",
    kind="security group",
    properties={"group_name": "string", "vpc_id": "string", "is_default": "bool", "ingress": "objects",
                "egress": "objects"},
    items={"ingress": RULE_FIELDS, "egress": RULE_FIELDS},
    pulumi=(
        PulumiType(PULUMI_TYPE, convert=convert, inputs=_GROUP_INPUTS, physical_name="name",
                   terraform="aws_security_group", terraform_blocks=TERRAFORM_RULE_BLOCKS, sandbox=create_group,
                   sandbox_rank=20),
        PulumiType(DEFAULT_GROUP_TYPE, convert=convert_default, inputs=_GROUP_INPUTS,
                   terraform="aws_default_security_group", terraform_blocks=TERRAFORM_RULE_BLOCKS),
        PulumiType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                   fold=_rule_folding(fold_ingress_rule, ("ingress",)), terraform="aws_vpc_security_group_ingress_rule"),
        PulumiType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                   fold=_rule_folding(fold_egress_rule, ("egress",)), terraform="aws_vpc_security_group_egress_rule"),
        PulumiType("aws:ec2/securityGroupRule:SecurityGroupRule",
                   fold=_rule_folding(fold_rule, ("ingress", "egress")), terraform="aws_security_group_rule"),
    ),
    live=LiveCollector("scanners.ec2", "collect_security_groups", listing="ec2 security groups"),
    drift=Drift(missing_category="access", manageable=manageable),
    terraform=TerraformForm("aws_security_group"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::EC2::SecurityGroup", cfn_group, physical_name="GroupName"),
        CloudFormationType("AWS::EC2::SecurityGroupIngress", _cfn_rule(INGRESS_RULE_TYPE, "Source")),
        CloudFormationType("AWS::EC2::SecurityGroupEgress", _cfn_rule(EGRESS_RULE_TYPE, "Destination")))),
)
