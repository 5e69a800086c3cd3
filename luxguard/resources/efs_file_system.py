"""AWS::EFS::FileSystem: EFS file systems (shared home directories, exports, uploads): where they
are, the KMS key that encrypts them at rest, and who their file-system policy lets mount, read
or write (a separate `FileSystemPolicy` in Pulumi and Terraform, inline in CloudFormation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources import ebs_volume
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PolicyAccess,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import (
    NO_POLICY,
    POLICY_PROPERTIES,
    compact,
    declared_policy,
    policy_child,
    policy_document,
    policy_text,
)

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EFS::FileSystem"
PULUMI_TYPE = "aws:efs/fileSystem:FileSystem"
POLICY_TYPE = "aws:efs/fileSystemPolicy:FileSystemPolicy"
DEFAULT_KEY = "alias/aws/elasticfilesystem"   # what EFS encrypts with when no key is named


def file_system_arn(region: Any, account: str, file_system_id: str) -> str:
    return f"arn:aws:elasticfilesystem:{region or ''}:{account}:file-system/{file_system_id}"


def encryption(encrypted: bool, key: Any, region: Any, index: Any) -> dict[str, Any]:
    """The encryption facts of a file system: the named key, else EFS's AWS-managed one."""
    facts = index.key_facts(key, region)
    if encrypted and not facts["kms_key_id"]:
        facts = index.key_facts(DEFAULT_KEY, region)
    return {**facts, "encrypted": encrypted}


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE, policy=dict(NO_POLICY))
    resource.properties.update(encryption(bool(res.inputs.get("encrypted")), res.inputs.get("kmsKeyId"),
                                          resource.region, index))
    declared_policy(res, resource)
    resource.arn = file_system_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    efs = provisioner.client("efs", region)
    args: dict[str, Any] = {"CreationToken": values.get("creationToken") or res.name,
                            "Encrypted": bool(values.get("encrypted"))}
    if values.get("kmsKeyId"):
        args["KmsKeyId"] = values["kmsKeyId"]
    if values.get("tags"):
        args["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in sorted(values["tags"].items())]
    created = efs.create_file_system(**args)
    provisioner.exact[res.id] = created["FileSystemId"]
    return created["FileSystemId"], {"arn": created.get("FileSystemArn") or file_system_arn(
        region, provisioner.account, created["FileSystemId"])}


def put_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    file_system = str(values["fileSystemId"])
    provisioner.client("efs", region).put_file_system_policy(FileSystemId=file_system,
                                                             Policy=policy_text(values.get("policy")) or "")
    return file_system, {"fileSystemId": file_system}


def read_tags(efs: Any, file_system: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    pages = efs.get_paginator("list_tags_for_resource").paginate(ResourceId=file_system.id)
    return tag_dict(t for page in pages for t in page.get("Tags", []))


def write_tags(file_system: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"ResourceId": file_system.id,
                           "Tags": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


def read_policy(efs: Any, file_system: Resource) -> Any:
    from botocore.exceptions import ClientError

    try:
        return policy_document(efs.describe_file_system_policy(FileSystemId=file_system.id).get("Policy"))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "PolicyNotFound":
            return None
        raise


def write_policy(file_system: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    return "PutFileSystemPolicy", {"FileSystemId": file_system.id, "Policy": compact(document)}


def tls_only_statement(file_system: Resource) -> dict[str, Any]:
    """Deny access without TLS: grants nothing, so a policy may keep it alone (nothing deleted)."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
            "Resource": file_system.arn or "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def cfn_file_system(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    """The file system, and its inline FileSystemPolicy as the Pulumi policy resource."""
    resources = [(PULUMI_TYPE, "", {"encrypted": p.get("Encrypted"), "kmsKeyId": p.get("KmsKeyId"),
                                    "tags": tags({"Tags": p.get("FileSystemTags")})})]
    if p.get("FileSystemPolicy") is not None:
        resources.append((POLICY_TYPE, "#policy", {"fileSystemId": context.own_id,
                                                    "policy": policy_json(p.get("FileSystemPolicy"))}))
    return resources


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="file system",
    properties={**ebs_volume.ENCRYPTION_PROPERTIES, **POLICY_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_efs_file_system", sandbox=provision,
                       sandbox_rank=60, inputs=inputs(**ebs_volume.ENCRYPTION_INPUTS, policy=("policy",))),
            policy_child(POLICY_TYPE, PULUMI_TYPE, "fileSystemId", "file system", "aws_efs_file_system_policy",
                         put_policy)),
    arn=file_system_arn,
    live=LiveCollector("scanners.efs", "collect_file_systems", listing="efs"),
    drift=Drift(missing_category="retention", safer={"encrypted": True, "customer_managed_key": True}),
    terraform=TerraformForm("aws_efs_file_system"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_file_system),)),
    tagging=Tagging("efs", read_tags, write_tags),
    resource_policy=PolicyAccess("efs", read_policy, write_policy, floor=tls_only_statement, max_bytes=20 * 1024),
)
