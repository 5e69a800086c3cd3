"""AWS::IAM::AccountPasswordPolicy: the account's password policy, judged against the privacy
policy's "high quality password" (LUX-ACC-013). One per account, global (IAM has no region);
CloudFormation has no such resource type (the name follows the model's convention).

An account without a password policy is a resource too (`present: false`), so that "none at
all" fails instead of passing unseen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from luxguard.core.model import Resource
from luxguard.resources.base import CloudFormationForm, Drift, LiveCollector, PulumiType, ResourceType, TerraformForm
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

TYPE = "AWS::IAM::AccountPasswordPolicy"
POLICY_ID = "account-password-policy"   # one per account: the account is on Resource.account
PULUMI_TYPE = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"

# model property -> (pulumi-aws input, GetAccountPasswordPolicy field)
FIELDS = {
    "minimum_length": ("minimumPasswordLength", "MinimumPasswordLength"),
    "require_uppercase": ("requireUppercaseCharacters", "RequireUppercaseCharacters"),
    "require_lowercase": ("requireLowercaseCharacters", "RequireLowercaseCharacters"),
    "require_numbers": ("requireNumbers", "RequireNumbers"),
    "require_symbols": ("requireSymbols", "RequireSymbols"),
    "reuse_prevention": ("passwordReusePrevention", "PasswordReusePrevention"),
    "max_age_days": ("maxPasswordAge", "MaxPasswordAge"),
}
PROPERTIES = {"present": "bool", "minimum_length": "int", "require_uppercase": "bool", "require_lowercase": "bool",
              "require_numbers": "bool", "require_symbols": "bool", "reuse_prevention": "int", "max_age_days": "int"}
# AWS's values for what a policy leaves out (IAM's documented defaults: 8 characters, nothing else).
DEFAULTS: dict[str, Any] = {"minimum_length": 8, "require_uppercase": False, "require_lowercase": False,
                            "require_numbers": False, "require_symbols": False, "reuse_prevention": 0,
                            "max_age_days": 0}


def _number(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def policy_properties(values: dict[str, Any], field_index: int) -> dict[str, Any]:
    """The model of a policy from pulumi inputs (field_index 0) or the API's answer (1)."""
    found: dict[str, Any] = {"present": True}
    for prop, names in FIELDS.items():
        raw = values.get(names[field_index])
        if raw is None:
            found[prop] = DEFAULTS[prop]
        elif PROPERTIES[prop] == "int":
            found[prop] = _number(raw)
        else:
            found[prop] = bool(raw)
    return found


def absent() -> dict[str, Any]:
    """No password policy: IAM accepts any password of 8 characters or more, forever."""
    return {**DEFAULTS, "present": False}


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, TYPE, **policy_properties(res.inputs, 0))
    resource.id, resource.region = POLICY_ID, None
    resource.properties["name"] = POLICY_ID
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """UpdateAccountPasswordPolicy with the declared values (IAM is global: any region's client)."""
    parameters = {api: (int(values[name]) if PROPERTIES[prop] == "int" else bool(values[name]))
                  for prop, (name, api) in FIELDS.items() if values.get(name) is not None}
    provisioner.client("iam", region).update_account_password_policy(**parameters)
    return POLICY_ID, {}


DESCRIPTOR = ResourceType(
    cfn_type=TYPE,
    kind="account password policy",
    properties=PROPERTIES,
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_iam_account_password_policy",
                       inputs=inputs(**{name: (prop,) for prop, (name, _api) in FIELDS.items()}),
                       sandbox=provision, sandbox_rank=5),),
    live=LiveCollector("scanners.iam", "collect_password_policy", scope="global", listing="iam password policy"),
    drift=Drift(missing_category="access", safer={"require_uppercase": True, "require_lowercase": True,
                                                 "require_numbers": True, "require_symbols": True},
                manageable=lambda resource: bool(resource.get("present"))),
    terraform=TerraformForm("aws_iam_account_password_policy"),
    cloudformation=CloudFormationForm(),   # CloudFormation has no password policy resource
)
