"""AWS::IAM::Role: what a role's policies (inline `inlinePolicies`, `RolePolicy`, attached managed
policies) let whoever assumes it read without a condition (LUX-ACC-017)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import CloudFormationForm, CloudFormationType, LiveCollector, PulumiType, ResourceType, \
    TerraformForm
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.iam_identity import ACCESS_ITEMS, ACCESS_PROPERTIES, ROLE_TYPE, add_documents, \
    create_managed_policy, declared_policy_document, iam_arn, identity_resource, policy_children
from luxguard.resources.planned import inputs, sandbox_tags

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:iam/role:Role"


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = identity_resource(res, index, ROLE_TYPE)
    documents = [(f"inline {p.get('name')}", p.get("policy")) for p in res.inputs.get("inlinePolicies") or []
                 if isinstance(p, dict) and p.get("policy")]
    documents += [(str(arn), declared_policy_document(arn, index)) for arn in res.inputs.get("managedPolicyArns") or []]
    add_documents(resource, documents)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """CreateRole, then its inline policies and managed policy ARNs."""
    from luxguard.resources.resource_policy import policy_text

    iam = provisioner.client("iam", region)
    name = values.get("name") or res.name
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy_text(values.get("assumeRolePolicy")) or "{}",
                          Tags=sandbox_tags(values)
                          )["Role"]["Arn"]
    for policy in values.get("inlinePolicies") or []:
        iam.put_role_policy(RoleName=name, PolicyName=policy.get("name"), PolicyDocument=policy_text(policy.get("policy")))
    for policy_arn in values.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=str(policy_arn))
    return name, {"name": name, "arn": arn}


def cfn_role(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    name = p.get("RoleName") or context.own_id
    return [(PULUMI_TYPE, "", {
        "name": name, "tags": tags(p), "assumeRolePolicy": policy_json(p.get("AssumeRolePolicyDocument")),
        "managedPolicyArns": p.get("ManagedPolicyArns") or [],
        "inlinePolicies": [{"name": q.get("PolicyName"), "policy": policy_json(q.get("PolicyDocument"))}
                           for q in p.get("Policies") or []]})]


def cfn_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    """AWS::IAM::Policy: one inline policy per role, user and group it names."""
    document, name = policy_json(p.get("PolicyDocument")), p.get("PolicyName")
    out = []
    for kind, listed in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
        camel = kind[0].upper() + kind[1:]
        for owner in p.get(listed) or []:
            out.append((f"aws:iam/{kind}Policy:{camel}Policy", f"#{len(out)}" if out else "",
                        {kind: owner, "name": name, "policy": document}))
    return out


def cfn_role_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return cfn_policy({**p, "Roles": [p.get("RoleName")]}, context)


def cfn_managed_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    """AWS::IAM::ManagedPolicy: the policy, and an attachment per role, user and group it names."""
    name = p.get("ManagedPolicyName") or context.own_id
    out = [("aws:iam/policy:Policy", "", {"name": name, "policy": policy_json(p.get("PolicyDocument"))})]
    for kind, listed in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
        camel = kind[0].upper() + kind[1:]
        out += [(f"aws:iam/{kind}PolicyAttachment:{camel}PolicyAttachment", f"#{listed}{n}", {kind: owner, "policyArn": name})
                for n, owner in enumerate(p.get(listed) or [])]
    return out


DESCRIPTOR = ResourceType(
    cfn_type=ROLE_TYPE,
    kind="IAM role",
    properties=dict(ACCESS_PROPERTIES),
    items=dict(ACCESS_ITEMS),
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_iam_role",
                       terraform_blocks={"inline_policy": "inlinePolicies"}, sandbox=provision, sandbox_rank=70,
                       inputs=inputs(name=("name",), inlinePolicies=("access",), managedPolicyArns=("access",))),
            *policy_children(PULUMI_TYPE, "role", "role", "role"),
            # a customer managed policy only helps resolve attachments (it reads nothing by itself)
            PulumiType("aws:iam/policy:Policy", terraform="aws_iam_policy", sandbox=create_managed_policy, sandbox_rank=69)),
    arn=iam_arn("role"),
    live=LiveCollector("scanners.iam", "collect_roles", scope="global", listing="iam roles"),
    terraform=TerraformForm("aws_iam_role"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::IAM::Role", cfn_role, physical_name="RoleName"),
        CloudFormationType("AWS::IAM::RolePolicy", cfn_role_policy),
        CloudFormationType("AWS::IAM::Policy", cfn_policy),
        CloudFormationType("AWS::IAM::ManagedPolicy", cfn_managed_policy, physical_name="ManagedPolicyName"))),
)
