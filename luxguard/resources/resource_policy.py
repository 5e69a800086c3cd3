"""The resource policy of a queue, topic or secret: one `policy` group of grants (who may call,
Denies subtracted), read the same way from an inline Pulumi input, a child policy resource, the
Terraform and CloudFormation forms and the live API, so that LUX-ACC-011 judges them alike."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Optional

from luxguard.core import external_access
from luxguard.core.model import Resource
from luxguard.resources.base import Folding, PulumiType, SandboxHandler
from luxguard.resources.cloudformation_forms import policy_json

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

POLICY_PROPERTIES = {
    "policy.grants": "objects",                # every Allow as (callers, actions), Denies subtracted
    "policy.external_principals": "list",      # callers outside the trusted zone (filled by the engine)
    "policy.external_actions": "list",
}
# Accounts a resource's data is copied or shared into (snapshot shares, backup copies, image
# replication), as grants judged against the trusted zone like a policy's.
SHARE_PROPERTIES = {
    "sharing.grants": "objects",
    "sharing.external_principals": "list",     # accounts outside the trusted zone (filled by the engine)
    "sharing.external_actions": "list",
}
# No policy declared or attached: the service lets only the owning account's principals in
# (their IAM policies decide), which is no grant to anyone else.
NO_POLICY: dict[str, Any] = {"grants": []}


def policy_group(document: Any) -> dict[str, Any]:
    """`policy.*` of a resource policy document (raises ValueError when it cannot be judged)."""
    return {"grants": external_access.grants_of(document)}


def set_policy(resource: Resource, document: Any, where: str) -> None:
    """Judge `document` into the resource's policy group; what cannot be judged is an error, never
    "no grants" (`where` says which document, for the finding)."""
    try:
        resource.properties["policy"] = policy_group(document)
    except ValueError as error:
        resource.properties["policy"] = dict(NO_POLICY)
        resource.collection_errors["policy"] = f"{where} cannot be judged: {error}"


def declared_policy(res: "CapturedResource", resource: Resource) -> None:
    """The resource's own `policy` input (queues, topics and secrets take one inline; a separate
    policy resource folds in afterwards and replaces it, as it does in AWS)."""
    if res.inputs.get("policy"):
        set_policy(resource, res.inputs["policy"], f"the policy input of {res.name}")


# Secrets Manager appends "-" and six random characters to the name in a secret's ARN.
SECRET_ARN = re.compile(r"^arn:aws[\w-]*:secretsmanager:[^:]*:[^:]*:secret:(?P<name>.+)-[A-Za-z0-9]{6}$")


def name_key(reference: str) -> str:
    """A queue URL, a topic or secret ARN or a plain name -> the name at its end, so a child
    naming its parent by URL or ARN finds the parent a preview, a plan or a state knows by name."""
    secret = SECRET_ARN.match(str(reference))
    if secret:
        return secret.group("name")
    return re.split(r"[/:]", str(reference).rstrip("/"))[-1]


def _folder(kind: str) -> Any:
    def fold(res: "CapturedResource", parent: Resource, index: Any) -> None:
        set_policy(parent, res.inputs.get("policy"), f"the {kind} policy {res.name}")
    return fold


def policy_child(pulumi_type: str, parent_type: str, parent_input: str, kind: str, terraform: str,
                 sandbox: SandboxHandler) -> PulumiType:
    """The pulumi-aws type attaching a policy to a queue, topic or secret (`QueuePolicy`, ...): it
    folds into its parent's policy group; the sandbox attaches it after the parent exists."""
    return PulumiType(pulumi_type, fold=Folding(parent_type, parent_input, ("policy",), _folder(kind),
                                                parent_key=name_key),
                      terraform=terraform, sandbox=sandbox, sandbox_rank=65)


def cfn_policies(pulumi_type: str, parent_input: str, targets: Any, document: Any) -> list[tuple[str, str, dict]]:
    """A CloudFormation policy resource naming several queues or topics (`Queues`, `Topics`) -> one
    pulumi-aws policy resource per target (the first is the resource itself)."""
    listed = targets if isinstance(targets, list) else [targets]
    policy = policy_json(document)
    return [(pulumi_type, f"#{n}" if n else "", {parent_input: target, "policy": policy})
            for n, target in enumerate(listed)]


def policy_document(text: Any) -> Optional[dict]:
    """A policy as the APIs answer it (JSON text, or nothing) -> a dict, None when there is none;
    malformed JSON raises ValueError (the enforcer then refuses to rewrite it)."""
    return json.loads(text) if text else None


def compact(document: dict) -> str:
    """A policy as the text the enforcer writes: compact JSON, statements in their order."""
    return json.dumps(document, separators=(",", ":"))


def policy_text(document: Any) -> Optional[str]:
    """A policy input as the JSON string the AWS APIs take (None when there is none)."""
    if document in (None, "", {}):
        return None
    return document if isinstance(document, str) else json.dumps(document)
