"""AWS::IAM::User: who has a console password without MFA (LUX-ACC-014), which access keys are
old or unused (LUX-ACC-016), and what the user may read without a condition (LUX-ACC-017).

In code, a login profile (`UserLoginProfile`, CloudFormation's `LoginProfile`) is a console
password; MFA cannot be declared (enrolling a device takes its codes), so a declared console user
reads as without MFA until the live account shows it enrolled. A declared access key is new."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import CloudFormationForm, CloudFormationType, Folding, LiveCollector, PulumiType, \
    ResourceType, TerraformForm
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.iam_identity import ACCESS_ITEMS, ACCESS_PROPERTIES, USER_TYPE, cfn_inline_policy, iam_arn, \
    identity_resource, policy_children
from luxguard.resources.planned import inputs, sandbox_tags
from luxguard.resources.resource_policy import name_key

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:iam/user:User"
LOGIN_PROFILE_TYPE = "aws:iam/userLoginProfile:UserLoginProfile"
ACCESS_KEY_TYPE = "aws:iam/accessKey:AccessKey"


def convert(res: "CapturedResource", index: Any) -> Resource:
    return identity_resource(res, index, USER_TYPE, console_access=False, mfa_enabled=False, access_keys=[])


def fold_login_profile(res: "CapturedResource", parent: Resource, index: Any) -> None:
    parent.properties["console_access"] = True


def fold_access_key(res: "CapturedResource", parent: Resource, index: Any) -> None:
    keys = parent.properties.setdefault("access_keys", [])
    keys.append({"id": res.name, "active": res.inputs.get("status", "Active") != "Inactive",
                 "age_days": 0, "unused_days": 0})


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    user = provisioner.client("iam", region).create_user(
        UserName=name, Tags=sandbox_tags(values))
    return name, {"name": name, "arn": user["User"]["Arn"]}


def provision_login_profile(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    user = name_key(str(values.get("user")))
    provisioner.client("iam", region).create_login_profile(UserName=user, Password="Sandbox-Passw0rd!-not-secret")
    return user, {"user": user}


def provision_access_key(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    iam = provisioner.client("iam", region)
    user = name_key(str(values.get("user")))
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    if values.get("status") == "Inactive":
        iam.update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
    return key, {"user": user}


def cfn_user(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    name = p.get("UserName") or context.own_id
    out = [(PULUMI_TYPE, "", {"name": name, "tags": tags(p)})]
    if p.get("LoginProfile"):
        out.append((LOGIN_PROFILE_TYPE, "#login", {"user": name}))
    for n, policy in enumerate(p.get("Policies") or []):
        out.append(("aws:iam/userPolicy:UserPolicy", f"#policy{n}",
                    {"user": name, "name": policy.get("PolicyName"), "policy": policy_json(policy.get("PolicyDocument"))}))
    for n, arn in enumerate(p.get("ManagedPolicyArns") or []):
        out.append(("aws:iam/userPolicyAttachment:UserPolicyAttachment", f"#managed{n}", {"user": name, "policyArn": arn}))
    return out


def cfn_access_key(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(ACCESS_KEY_TYPE, "", {"user": p.get("UserName"), "status": p.get("Status") or "Active"})]


DESCRIPTOR = ResourceType(
    cfn_type=USER_TYPE,
    kind="IAM user",
    properties={"console_access": "bool", "mfa_enabled": "bool", "access_keys": "objects", **ACCESS_PROPERTIES},
    items={"access_keys": {"id": "string", "active": "bool", "age_days": "int", "unused_days": "int"}, **ACCESS_ITEMS},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_iam_user",
                       inputs=inputs(name=("name",)), sandbox=provision, sandbox_rank=70),
            PulumiType(LOGIN_PROFILE_TYPE, terraform="aws_iam_user_login_profile", sandbox=provision_login_profile,
                       sandbox_rank=71, fold=Folding(PULUMI_TYPE, "user", ("console_access",), fold_login_profile,
                                                     parent_key=name_key)),
            PulumiType(ACCESS_KEY_TYPE, terraform="aws_iam_access_key", sandbox=provision_access_key, sandbox_rank=72,
                       fold=Folding(PULUMI_TYPE, "user", ("access_keys",), fold_access_key, parent_key=name_key)),
            *policy_children(PULUMI_TYPE, "user", "user", "user")),
    arn=iam_arn("user"),
    live=LiveCollector("scanners.iam", "collect_users", scope="global", listing="iam users"),
    terraform=TerraformForm("aws_iam_user"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::IAM::User", cfn_user, physical_name="UserName"),
        CloudFormationType("AWS::IAM::AccessKey", cfn_access_key),
        CloudFormationType("AWS::IAM::UserPolicy", cfn_inline_policy("user")))),
)
