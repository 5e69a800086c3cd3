"""AWS::SecretsManager::Secret: secrets, the KMS key that encrypts them (aws/secretsmanager when
none is named), the regions they replicate to (copies of what they hold) and who their resource
policy lets read them (inline `policy` or a separate `SecretPolicy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    PolicyAccess,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs
from luxguard.resources.resource_policy import (
    NO_POLICY,
    POLICY_PROPERTIES,
    compact,
    declared_policy,
    name_key,
    policy_child,
    policy_document,
    policy_json,
    policy_text,
)
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, pairs, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

AWS_MANAGED_KEY = "alias/aws/secretsmanager"
PULUMI_TYPE = "aws:secretsmanager/secret:Secret"
POLICY_TYPE = "aws:secretsmanager/secretPolicy:SecretPolicy"


def convert(res: "CapturedResource", index: Any) -> Resource:
    replicas = sorted(str(r.get("region")) for r in res.inputs.get("replicas") or [] if r.get("region"))
    resource = key_encrypted(res, index, "AWS::SecretsManager::Secret", "kmsKeyId", AWS_MANAGED_KEY,
                             replica_regions=replicas, policy=dict(NO_POLICY))
    declared_policy(res, resource)
    arn = str(res.id) if str(res.id).startswith("arn:") else None   # the state's id; unknown before creation
    resource.arn = arn or regional_arn("secretsmanager")(
        resource.region, index.capture.config.get("luxguard:accountId", ""), f"secret:{resource.id}")
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    args: dict[str, Any] = {"Name": name}
    if values.get("kmsKeyId"):
        args["KmsKeyId"] = values["kmsKeyId"]
    if values.get("tags"):
        args["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in values["tags"].items()]
    replicas = [{"Region": r["region"], **({"KmsKeyId": r["kmsKeyId"]} if r.get("kmsKeyId") else {})}
                for r in values.get("replicas") or [] if r.get("region")]
    if replicas:
        args["AddReplicaRegions"] = replicas
    secrets = provisioner.client("secretsmanager", region)
    arn = secrets.create_secret(**args)["ARN"]
    if policy_text(values.get("policy")):
        secrets.put_resource_policy(SecretId=arn, ResourcePolicy=str(policy_text(values.get("policy"))))
    provisioner.exact[res.id] = arn
    return arn, {"arn": arn, "name": name}


def put_secret_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """PutResourcePolicy on the secret the policy names: by its ARN, or by name when a preview's
    placeholder ARN is all the program had."""
    reference = str(values.get("secretArn") or "")
    secret = reference if reference in provisioner.exact.values() else name_key(reference)
    arn = provisioner.client("secretsmanager", region).put_resource_policy(
        SecretId=secret, ResourcePolicy=policy_text(values.get("policy")) or "")["ARN"]
    return arn, {"secretArn": arn}


def cfn_secret_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(POLICY_TYPE, "", {"secretArn": p.get("SecretId"), "policy": policy_json(p.get("ResourcePolicy")),
                               "blockPublicPolicy": p.get("BlockPublicPolicy")})]


def write_tags(secret: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"SecretId": secret.arn, "Tags": pairs(new)}


def read_tags(secrets: Any, secret: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(secrets.describe_secret(SecretId=secret.arn).get("Tags"))


def read_policy(secrets: Any, secret: Resource) -> Any:
    return policy_document(secrets.get_resource_policy(SecretId=secret.arn).get("ResourcePolicy"))


def write_policy(secret: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    return "PutResourcePolicy", {"SecretId": secret.arn, "ResourcePolicy": compact(document)}


def tls_only_statement(secret: Resource) -> dict[str, Any]:
    """Deny reading the secret without TLS: grants nothing, so it may stand alone."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def cfn_secret(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    replicas = [{"region": r.get("Region"), "kmsKeyId": r.get("KmsKeyId")} for r in p.get("ReplicaRegions") or []]
    return [("aws:secretsmanager/secret:Secret", "", {
        "name": p.get("Name") or context.own_id, "kmsKeyId": p.get("KmsKeyId"), "replicas": replicas,
        "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::SecretsManager::Secret",
    kind="secret",
    properties={**KEY_PROPERTIES, "replica_regions": "list", **POLICY_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name",
                       terraform="aws_secretsmanager_secret", terraform_blocks={"replica": "replicas"}, sandbox=provision, sandbox_rank=60,
                       inputs=inputs(name=("name",), kmsKeyId=KEY_GROUPS, replicas=("replica_regions",),
                                     policy=("policy",))),
            policy_child(POLICY_TYPE, PULUMI_TYPE, "secretArn", "secret", "aws_secretsmanager_secret_policy",
                         put_secret_policy)),
    arn=lambda region, account, name: regional_arn("secretsmanager")(region, account, f"secret:{name}"),
    live=LiveCollector("scanners.secretsmanager", "collect_secrets", listing="secretsmanager"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_secretsmanager_secret"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::SecretsManager::Secret", cfn_secret, physical_name="Name"),
                                             CloudFormationType("AWS::SecretsManager::ResourcePolicy", cfn_secret_policy))),
    tagging=Tagging("secretsmanager", read_tags, write_tags, by_arn=True),
    resource_policy=PolicyAccess("secretsmanager", read_policy, write_policy, floor=tls_only_statement,
                                 by_arn=True),
)
