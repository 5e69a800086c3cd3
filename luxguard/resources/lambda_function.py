"""AWS::Lambda::Function: functions that process personal data: where they run, the key that
encrypts their environment variables, and who their resource policy (permissions) lets invoke them.

A function's resource policy is the sum of its permissions: pulumi-aws and Terraform declare one
`Permission` per statement and CloudFormation one `AWS::Lambda::Permission`; GetPolicy answers the
whole document. Both are read into the same `policy` group of grants (see resource_policy.py).
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any, Mapping, Optional

from luxguard.core import external_access
from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PolicyAccess,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs
from luxguard.resources.resource_policy import NO_POLICY, POLICY_PROPERTIES, name_key
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:lambda/function:Function"
PERMISSION_TYPE = "aws:lambda/permission:Permission"
# Lambda encrypts environment variables at rest with this AWS-managed key unless told otherwise.
AWS_MANAGED_KEY = "alias/aws/lambda"


def function_arn(region: Optional[str], account: str, name: str) -> str:
    return regional_arn("lambda")(region, account, f"function:{name}")


def _principal(principal: Any) -> Any:
    """A permission's principal as a policy Principal: `*`, a service, or an account/ARN.

    GetPolicy answers `{"Service": ...}`/`{"AWS": ...}`; the local cloud and the permission
    arguments give a bare string, which means the same."""
    if isinstance(principal, Mapping) or principal == "*":
        return principal
    text = str(principal or "")
    return {"Service": text} if text.endswith(".amazonaws.com") else {"AWS": text}


def permission_statement(values: Mapping[str, Any]) -> dict[str, Any]:
    """One permission (pulumi-aws / Terraform / CloudFormation arguments, camelCase) -> its statement."""
    conditions: dict[str, dict[str, Any]] = {}
    if values.get("sourceArn"):
        conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = values["sourceArn"]
    if values.get("sourceAccount"):
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = values["sourceAccount"]
    if values.get("principalOrgId"):
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = values["principalOrgId"]
    statement = {"Effect": "Allow", "Principal": _principal(values.get("principal")),
                 "Action": values.get("action") or "lambda:InvokeFunction"}
    return {**statement, "Condition": conditions} if conditions else statement


def live_document(document: Any) -> Optional[dict[str, Any]]:
    """GetPolicy's document with each statement's Principal in policy form (see `_principal`)."""
    parsed = external_access.parse_policy(document)
    if parsed is None:
        return None
    statements = parsed.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    return {**parsed, "Statement": [{**s, "Principal": _principal(s.get("Principal"))}
                                    if isinstance(s, dict) and "Principal" in s else s for s in statements]}


def add_permission(function: Resource, statement: dict[str, Any], where: str) -> None:
    """Add one permission's grants to the function's policy; what cannot be judged is an error."""
    try:
        grants = external_access.grants_of({"Version": "2012-10-17", "Statement": [statement]})
    except ValueError as error:
        function.collection_errors["policy"] = f"{where} cannot be judged: {error}"
        return
    policy = function.properties.setdefault("policy", dict(NO_POLICY))
    policy["grants"] = sorted([*policy.get("grants", []), *grants], key=repr)


def _has_environment(res: "CapturedResource") -> bool:
    environment = res.inputs.get("environment") or {}
    return bool(isinstance(environment, dict) and environment.get("variables"))


def physical_name(res: "CapturedResource") -> str:
    return str(res.inputs.get("name") or res.id).rsplit(":", 1)[-1]


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = key_encrypted(res, index, "AWS::Lambda::Function", "kmsKeyArn", AWS_MANAGED_KEY,
                             environment_variables=_has_environment(res), policy=dict(NO_POLICY))
    resource.id = resource.properties["name"] = physical_name(res)
    resource.arn = function_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def fold_permission(res: "CapturedResource", function: Resource, index: Any) -> None:
    add_permission(function, permission_statement(res.inputs), f"the permission {res.name}")


def _function_name(reference: str) -> str:
    """A permission names its function by name or ARN (`...:function:NAME[:QUALIFIER]`)."""
    text = str(reference)
    if ":function:" in text:
        return text.split(":function:", 1)[1].split(":", 1)[0]
    return name_key(text)


def deployment_package() -> bytes:
    """A trivial deployment package: the sandbox creates functions, it never runs them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _sandbox_role(provisioner: Any, role: Optional[str]) -> str:
    """The execution role the program names, created in the local cloud when missing."""
    name = str(role or "luxguard-sandbox-lambda").rsplit("/", 1)[-1]
    iam = provisioner.client("iam", "us-east-1")
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    client = provisioner.client("lambda", region)
    name = values.get("name") or res.name
    extra: dict[str, Any] = {}
    if values.get("kmsKeyArn"):
        extra["KMSKeyArn"] = values["kmsKeyArn"]
    variables = (values.get("environment") or {}).get("variables")
    if variables:
        extra["Environment"] = {"Variables": {str(k): str(v) for k, v in variables.items()}}
    created = client.create_function(
        FunctionName=name, Runtime=values.get("runtime") or "python3.12", Handler=values.get("handler") or "index.handler",
        Role=_sandbox_role(provisioner, values.get("role")), Code={"ZipFile": deployment_package()},
        Tags={str(k): str(v) for k, v in (values.get("tags") or {}).items()}, **extra)
    provisioner.exact[res.id] = name
    return name, {"arn": created["FunctionArn"], "name": name}


def provision_permission(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    arguments = {"SourceArn": values.get("sourceArn"), "SourceAccount": values.get("sourceAccount"),
                 "PrincipalOrgID": values.get("principalOrgId"), "FunctionUrlAuthType": values.get("functionUrlAuthType")}
    statement_id = values.get("statementId") or res.name
    provisioner.client("lambda", region).add_permission(
        FunctionName=_function_name(values.get("function") or ""), StatementId=statement_id,
        Action=values.get("action") or "lambda:InvokeFunction", Principal=str(values.get("principal")),
        **{k: v for k, v in arguments.items() if v})
    return statement_id, {}


def read_policy(client: Any, function: Resource) -> Optional[dict[str, Any]]:
    """The function's policy as GetPolicy answers it (None: it has none), principals in policy form."""
    try:
        return live_document(client.get_policy(FunctionName=function.arn).get("Policy"))
    except client.exceptions.ResourceNotFoundException:
        return None


def remove_permissions(function: Resource, statements: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """RemovePermission per statement: Lambda has no call that replaces the whole policy."""
    missing = [s for s in statements if not s.get("Sid")]
    if missing:
        raise ValueError("a statement without a Sid cannot be removed with RemovePermission")
    return [("RemovePermission", {"FunctionName": function.arn, "StatementId": str(s["Sid"])}) for s in statements]


def _never_written(function: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    raise ValueError("a Lambda function's policy is never replaced whole")


def write_tags(function: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"Resource": function.arn, "Tags": dict(sorted(new.items()))}


def read_tags(client: Any, function: Resource) -> dict[str, str]:
    return dict(client.list_tags(Resource=function.arn).get("Tags") or {})


def cfn_function(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    environment = p.get("Environment") or {}
    return [(PULUMI_TYPE, "", {"name": p.get("FunctionName") or context.own_id, "kmsKeyArn": p.get("KmsKeyArn"),
                               "environment": {"variables": environment.get("Variables")} if environment else None,
                               "role": p.get("Role"), "runtime": p.get("Runtime"), "handler": p.get("Handler"),
                               "tags": tags(p)})]


def cfn_permission(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PERMISSION_TYPE, "", {"function": p.get("FunctionName"), "action": p.get("Action"),
                                   "principal": p.get("Principal"), "sourceArn": p.get("SourceArn"),
                                   "sourceAccount": p.get("SourceAccount"), "principalOrgId": p.get("PrincipalOrgID"),
                                   "functionUrlAuthType": p.get("FunctionUrlAuthType")})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::Lambda::Function",
    kind="Lambda function",
    properties={"environment_variables": "bool", **KEY_PROPERTIES, **POLICY_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_lambda_function",
                       terraform_renames={"name": "function_name"},
                       inputs=inputs(name=("name",), kmsKeyArn=KEY_GROUPS, environment=("environment_variables",)),
                       sandbox=provision, sandbox_rank=60),
            PulumiType(PERMISSION_TYPE, fold=Folding(PULUMI_TYPE, "function", ("policy",), fold_permission,
                                                     parent_key=_function_name),
                       terraform="aws_lambda_permission", terraform_renames={"function": "function_name"},
                       sandbox=provision_permission, sandbox_rank=65)),
    arn=function_arn,
    live=LiveCollector("scanners.lambda_functions", "collect_functions", listing="lambda"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_lambda_function"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::Lambda::Function", cfn_function, physical_name="FunctionName"),
        CloudFormationType("AWS::Lambda::Permission", cfn_permission))),
    tagging=Tagging("lambda", read_tags, write_tags, by_arn=True),
    resource_policy=PolicyAccess("lambda", read_policy, _never_written, remove_statements=remove_permissions,
                                 by_arn=True),
)
