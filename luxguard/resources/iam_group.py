"""AWS::IAM::Group: what a group's policies let its members read without a condition (LUX-ACC-017).
Its members carry its policies too (the live collector adds them to each user)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import CloudFormationForm, CloudFormationType, LiveCollector, PulumiType, ResourceType, \
    TerraformForm
from luxguard.resources.cloudformation_forms import policy_json
from luxguard.resources.iam_identity import ACCESS_ITEMS, ACCESS_PROPERTIES, GROUP_TYPE, cfn_inline_policy, iam_arn, \
    identity_resource, policy_children
from luxguard.resources.planned import inputs

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:iam/group:Group"


def convert(res: "CapturedResource", index: Any) -> Resource:
    return identity_resource(res, index, GROUP_TYPE)


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    arn = provisioner.client("iam", region).create_group(GroupName=name)["Group"]["Arn"]
    return name, {"name": name, "arn": arn}


def cfn_group(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    name = p.get("GroupName") or context.own_id
    out = [(PULUMI_TYPE, "", {"name": name})]
    for n, policy in enumerate(p.get("Policies") or []):
        out.append(("aws:iam/groupPolicy:GroupPolicy", f"#policy{n}", {
            "group": name, "name": policy.get("PolicyName"), "policy": policy_json(policy.get("PolicyDocument"))}))
    for n, arn in enumerate(p.get("ManagedPolicyArns") or []):
        out.append(("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", f"#managed{n}", {"group": name, "policyArn": arn}))
    return out


DESCRIPTOR = ResourceType(
    cfn_type=GROUP_TYPE,
    kind="IAM group",
    properties=dict(ACCESS_PROPERTIES),
    items=dict(ACCESS_ITEMS),
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_iam_group",
                       inputs=inputs(name=("name",)), sandbox=provision, sandbox_rank=70),
            *policy_children(PULUMI_TYPE, "group", "group", "group")),
    arn=iam_arn("group"),
    live=LiveCollector("scanners.iam", "collect_groups", scope="global", listing="iam groups"),
    terraform=TerraformForm("aws_iam_group"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::IAM::Group", cfn_group, physical_name="GroupName"),
                                             CloudFormationType("AWS::IAM::GroupPolicy", cfn_inline_policy("group")))),
)
