"""AWS::KMS::Key: customer-managed keys (aliases only help resolve the keys others name)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

from luxguard.core import external_access, policy_documents
from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    PolicyAccess,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import compact, policy_document

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def arn(region: Optional[str], account: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def key_policy(document: Any) -> dict[str, Any]:
    """`policy.*` of a key: public statements and every grant (raises ValueError when malformed).
    A key declared without a policy gets AWS's default one, the key's own account: no grant."""
    policy = policy_documents.parse(document)
    grants = external_access.grants_of(policy) if policy else []
    return {"public": any(grant["public"] for grant in grants), "grants": grants}


GRANT_TYPE = "aws:kms/grant:Grant"


def grant_shares(grantee: Any, operations: Any, grant_id: str = "grant") -> list[dict[str, Any]]:
    """A KMS grant as model grants: its grantee may call `kms:<operation>` with the key, whatever
    the key policy says (raises ValueError when the grantee is not a principal luxguard knows).
    The grantee is judged by the same engine as a policy's principal (an ARN or an account id is
    that account; a service principal is the service)."""
    principal = str(grantee or "")
    if not principal:
        raise ValueError("the grant names no grantee principal")
    kind = "Service" if principal.endswith(".amazonaws.com") else "AWS"
    actions = sorted(f"kms:{op}" for op in (operations or []))
    return external_access.grants_of({"Statement": [{"Sid": grant_id, "Effect": "Allow",
                                                     "Principal": {kind: principal}, "Action": actions}]})


def list_grants(kms: Any, key_id: str) -> list[dict[str, Any]]:
    """Every grant on the key (ListGrants, paginated), in grant-id order: the scanner and the
    enforcer read them alike."""
    grants = [g for page in kms.get_paginator("list_grants").paginate(KeyId=key_id) for g in page.get("Grants", [])]
    return sorted(grants, key=lambda g: str(g.get("GrantId")))


def key_reference(reference: str) -> str:
    """A key named by ARN or by id -> its id (a grant's `keyId` accepts both)."""
    return str(reference).rsplit(":key/", 1)[-1]


def fold_grant(res: "CapturedResource", key: Resource, index: Any) -> None:
    sharing = key.properties.setdefault("sharing", {"grants": []})
    try:
        sharing["grants"].extend(grant_shares(res.inputs.get("granteePrincipal"), res.inputs.get("operations"),
                                              f"grant {res.name}"))
    except ValueError as error:
        key.collection_errors["sharing"] = f"the KMS grant {res.name} cannot be judged: {error}"


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, "AWS::KMS::Key", key_manager="CUSTOMER", sharing={"grants": []},
                                state="Enabled" if res.inputs.get("isEnabled", True) else "Disabled",
                                rotation_enabled=bool(res.inputs.get("enableKeyRotation")), policy={"public": False})
    try:
        resource.properties["policy"] = key_policy(res.inputs.get("policy"))
    except ValueError as error:
        resource.collection_errors["policy"] = f"the key policy cannot be judged: {error}"
    resource.arn = arn(resource.region, str(index.capture.config.get("luxguard:accountId", "")), res.id)
    return resource


def create_key(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    kms = sandbox.client("kms", region)
    args: dict[str, Any] = {"Description": inputs.get("description", ""),
                            "MultiRegion": bool(inputs.get("multiRegion"))}
    if inputs.get("policy"):
        args["Policy"] = inputs["policy"] if isinstance(inputs["policy"], str) else json.dumps(inputs["policy"])
    if inputs.get("tags"):
        args["Tags"] = [{"TagKey": k, "TagValue": str(v)} for k, v in inputs["tags"].items()]
    meta = kms.create_key(**args)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    sandbox.exact[res.id] = meta["KeyId"]
    sandbox.inside[arn(region, sandbox.account, res.id)] = meta["Arn"]
    return meta["KeyId"], {"arn": meta["Arn"], "keyId": meta["KeyId"]}


def create_grant(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    answer = sandbox.client("kms", region).create_grant(
        KeyId=key_reference(inputs["keyId"]), GranteePrincipal=inputs["granteePrincipal"],
        Operations=list(inputs.get("operations") or []), Name=inputs.get("name") or res.name)
    return answer["GrantId"], {"grantId": answer["GrantId"], "grantToken": answer.get("GrantToken", "")}


def create_alias(sandbox: Any, res: "CapturedResource", inputs: dict, region: str) -> tuple[str, dict]:
    name = inputs["name"]
    sandbox.client("kms", region).create_alias(AliasName=name, TargetKeyId=inputs["targetKeyId"])
    return name, {"arn": f"arn:aws:kms:{region}:{sandbox.account}:{name}"}


def read_tags(kms: Any, key: Resource) -> dict[str, str]:
    tags, marker = {}, None
    while True:
        response = kms.list_resource_tags(KeyId=key.id, **({"Marker": marker} if marker else {}))
        tags.update({t["TagKey"]: t["TagValue"] for t in response.get("Tags", [])})
        marker = response.get("NextMarker") if response.get("Truncated") else None
        if not marker:
            return tags


def write_tags(key: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"KeyId": key.id, "Tags": [{"TagKey": k, "TagValue": v} for k, v in sorted(new.items())]}


def read_policy(kms: Any, key: Resource) -> Optional[dict]:
    return policy_document(kms.get_key_policy(KeyId=key.id, PolicyName="default").get("Policy"))


def write_policy(key: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    """PutKeyPolicy keeps KMS's lockout safety check on: a policy that would lock the account
    out of its own key is refused by KMS."""
    return "PutKeyPolicy", {"KeyId": key.id, "PolicyName": "default", "Policy": compact(document)}


def manageable(key: Resource) -> bool:
    """AWS-managed keys and keys already scheduled for deletion are no stack's to manage."""
    return not (key.get("key_manager") == "AWS" or key.get("state") == "PendingDeletion")


def cfn_key(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:kms/key:Key", "", {"enableKeyRotation": p.get("EnableKeyRotation"), "policy": policy_json(p.get("KeyPolicy")),
                                     "isEnabled": p.get("Enabled", True), "tags": tags(p)})]


def cfn_alias(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:kms/alias:Alias", "", {"name": p.get("AliasName"), "targetKeyId": p.get("TargetKeyId")})]

DESCRIPTOR = ResourceType(
    cfn_type="AWS::KMS::Key",
    kind="KMS key",
    properties={
        "key_manager": "string",       # CUSTOMER | AWS
        "state": "string",             # Enabled | Disabled | PendingDeletion | ...
        "rotation_enabled": "bool",
        "policy.public": "bool",
        "policy.grants": "objects",                # every Allow as (callers, actions), Denies subtracted
        "policy.external_principals": "list",      # callers outside the trusted zone (filled by the engine)
        "policy.external_actions": "list",
        "sharing.grants": "objects",               # every KMS grant: its grantee may use the key
        "sharing.external_principals": "list",     # grantees outside the trusted zone (filled by the engine)
        "sharing.external_actions": "list",
    },
    pulumi=(
        PulumiType("aws:kms/key:Key", convert=convert, terraform="aws_kms_key", sandbox=create_key, sandbox_rank=10,
                   inputs=inputs(policy=("policy",), isEnabled=("state",), enableKeyRotation=("rotation_enabled",))),
        PulumiType("aws:kms/alias:Alias", terraform="aws_kms_alias", sandbox=create_alias, sandbox_rank=11),
        PulumiType(GRANT_TYPE, fold=Folding("aws:kms/key:Key", "keyId", ("sharing",), fold_grant,
                                            parent_key=key_reference),
                   terraform="aws_kms_grant", sandbox=create_grant, sandbox_rank=12),
    ),
    arn=arn,
    live=LiveCollector("scanners.kms", "collect_keys", listing="kms"),
    drift=Drift(missing_category="encryption", safer={"rotation_enabled": True, "policy.public": False},
                manageable=manageable),
    terraform=TerraformForm("aws_kms_key"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::KMS::Key", cfn_key),
                                             CloudFormationType("AWS::KMS::Alias", cfn_alias))),
    tagging=Tagging("kms", read_tags, write_tags),
    resource_policy=PolicyAccess("kms", read_policy, write_policy, max_bytes=32 * 1024),
)
