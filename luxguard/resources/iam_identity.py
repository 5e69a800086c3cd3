"""What IAM users, groups and roles share: the `access` group of need-to-know (LUX-ACC-017), read
the same way from the live account's authorization details and from policies declared in code
(luxguard.core.need_to_know holds the evaluation)."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from luxguard.core.datafiles import DATA_DIR
from luxguard.core.external_access import PolicyError
from luxguard.core.model import Resource
from luxguard.core.need_to_know import data_reads, to_model
from luxguard.resources.base import Folding, PulumiType
from luxguard.resources.resource_policy import name_key

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

USER_TYPE, GROUP_TYPE, ROLE_TYPE = "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"
ACCESS_PROPERTIES = {
    "access.data_reads": "objects",             # unconditioned data-reading actions, by Resource pattern and policy
    "access.personal_data_reads": "list",       # those reaching `*` or a personal-data store (filled by the engine)
}
ACCESS_ITEMS = {"access.data_reads": {"action": "string", "resource": "string", "policy": "string"}}
POLICY_TYPE = "aws:iam/policy:Policy"
IDENTITY_TYPES = (USER_TYPE, GROUP_TYPE, ROLE_TYPE)


def set_data_reads(resource: Resource, documents: list[tuple[str, Any]]) -> None:
    """The identity's `access` group from all its policies; what cannot be judged is an error."""
    try:
        resource.properties["access"] = {"data_reads": to_model(data_reads(documents))}
    except PolicyError as error:
        resource.properties["access"] = {"data_reads": []}
        resource.collection_errors["access"] = f"a policy of {resource.id} cannot be judged: {error}"


def add_documents(resource: Resource, documents: list[tuple[str, Any]]) -> None:
    """A declared policy folding into its identity: its reads join the identity's (in check, a Deny
    subtracts within its own policy; the live account's answer combines them all)."""
    if "access" in resource.collection_errors:
        return
    before = list((resource.properties.get("access") or {}).get("data_reads") or [])
    set_data_reads(resource, documents)
    merged = {tuple(sorted(r.items())) for r in [*before, *resource.properties["access"]["data_reads"]]}
    resource.properties["access"]["data_reads"] = [dict(r) for r in sorted(merged)]


@functools.cache
def aws_managed_documents() -> dict[str, Any]:
    """The AWS managed policies programs attach most (luxguard/data/aws_managed_policies.json)."""
    table = json.loads((DATA_DIR / "aws_managed_policies.json").read_text())
    return {arn: document for arn, document in table.items() if arn.startswith("arn:")}


def declared_policy_document(policy_arn: Any, index: Any) -> Any:
    """The document of a managed policy an attachment names: a policy declared in the program (by
    its name at the end of the ARN), or a well-known AWS managed one; None for any other (another
    stack's, or an AWS managed policy luxguard does not know), which cannot be judged from code."""
    known = aws_managed_documents().get(str(policy_arn))
    if known is not None:
        return known
    wanted = name_key(str(policy_arn))
    for (pulumi_type, _rid), res in index.by_type_id.items():
        if pulumi_type == POLICY_TYPE and name_key(str(res.inputs.get("name") or res.id)) == wanted:
            return res.inputs.get("policy")
    return None


def _inline_folder(res: "CapturedResource", parent: Resource, index: Any) -> None:
    add_documents(parent, [(f"inline {res.inputs.get('name') or res.name}", res.inputs.get("policy"))])


def _attachment_folder(res: "CapturedResource", parent: Resource, index: Any) -> None:
    arn = res.inputs.get("policyArn")
    add_documents(parent, [(str(arn), declared_policy_document(arn, index))])


def _put_inline(kind: str) -> Any:
    """Sandbox: Put<Kind>Policy on the identity the policy names."""
    camel = kind[0].upper() + kind[1:]

    def put(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
        from luxguard.resources.resource_policy import policy_text

        owner, name = name_key(str(values.get(kind))), values.get("name") or res.name
        getattr(provisioner.client("iam", region), f"put_{kind}_policy")(
            **{f"{camel}Name": owner, "PolicyName": name, "PolicyDocument": policy_text(values.get("policy")) or ""})
        return f"{owner}:{name}", {kind: owner, "name": name}
    return put


def _attach(kind: str) -> Any:
    """Sandbox: Attach<Kind>Policy (the policy ARN as the sandbox created it)."""
    camel = kind[0].upper() + kind[1:]

    def attach(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
        owner, arn = name_key(str(values.get(kind))), str(values.get("policyArn"))
        getattr(provisioner.client("iam", region), f"attach_{kind}_policy")(**{f"{camel}Name": owner, "PolicyArn": arn})
        return f"{owner}:{arn}", {kind: owner, "policyArn": arn}
    return attach


def policy_children(parent_type: str, parent_input: str, kind: str, terraform_kind: str) -> tuple[PulumiType, ...]:
    """`<Kind>Policy` (inline) and `<Kind>PolicyAttachment` (managed) of a user, group or role."""
    camel = kind[0].upper() + kind[1:]
    return (PulumiType(f"aws:iam/{kind}Policy:{camel}Policy", terraform=f"aws_iam_{terraform_kind}_policy",
                       fold=Folding(parent_type, parent_input, ("access",), _inline_folder, parent_key=name_key),
                       sandbox=_put_inline(kind), sandbox_rank=74),
            PulumiType(f"aws:iam/{kind}PolicyAttachment:{camel}PolicyAttachment",
                       terraform=f"aws_iam_{terraform_kind}_policy_attachment",
                       fold=Folding(parent_type, parent_input, ("access",), _attachment_folder, parent_key=name_key),
                       sandbox=_attach(kind), sandbox_rank=75))


def cfn_inline_policy(kind: str) -> Any:
    """AWS::IAM::<Kind>Policy (`<Kind>Name`, `PolicyName`, `PolicyDocument`) -> the pulumi-aws inline policy."""
    from luxguard.resources.cloudformation_forms import policy_json

    camel = kind[0].upper() + kind[1:]

    def convert(p: dict, context: Any) -> list[tuple[str, str, dict]]:
        return [(f"aws:iam/{kind}Policy:{camel}Policy", "", {
            kind: p.get(f"{camel}Name"), "name": p.get("PolicyName"), "policy": policy_json(p.get("PolicyDocument"))})]
    return convert


def iam_arn(kind: str) -> Any:
    """IAM ARNs have no region: arn:aws:iam::ACCOUNT:<kind>/NAME."""
    return lambda region, account, name: f"arn:aws:iam::{account}:{kind}/{name}"


def create_managed_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    from luxguard.resources.resource_policy import policy_text

    name = values.get("name") or res.name
    arn = provisioner.client("iam", region).create_policy(
        PolicyName=name, PolicyDocument=policy_text(values.get("policy")) or "")["Policy"]["Arn"]
    provisioner.exact[res.id] = arn
    return arn, {"arn": arn, "name": name}


def identity_resource(res: "CapturedResource", index: Any, cfn_type: str, **properties: Any) -> Resource:
    from luxguard.resources.planned import planned_resource

    resource = planned_resource(res, index, cfn_type, access={"data_reads": []}, **properties)
    resource.id = str(res.inputs.get("name") or res.name)
    resource.region = None
    resource.properties["name"] = resource.id
    return resource
