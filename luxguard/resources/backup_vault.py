"""AWS::Backup::BackupVault: AWS Backup vaults, where the recovery points of every store a backup
plan protects are kept: where they are and the KMS key that encrypts them (the vault's key, not
the source's, protects every copy in it).

The vault access policy is not modelled: the local cloud has no GetBackupVaultAccessPolicy, so a
live read could never be tested, and check alone would disagree with scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.planned import inputs
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::Backup::BackupVault"
PULUMI_TYPE = "aws:backup/vault:Vault"
DEFAULT_KEY = "alias/aws/backup"   # what AWS Backup encrypts a vault with when no key is named


def vault_arn(region: Optional[str], account: str, name: str) -> str:
    return regional_arn("backup")(region, account, f"backup-vault:{name}")


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = key_encrypted(res, index, CFN_TYPE, "kmsKeyArn", default_key=DEFAULT_KEY)
    resource.arn = vault_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    args: dict[str, Any] = {"BackupVaultName": name,
                            "BackupVaultTags": {str(k): str(v) for k, v in (values.get("tags") or {}).items()}}
    if values.get("kmsKeyArn"):
        args["EncryptionKeyArn"] = str(values["kmsKeyArn"])
    arn = provisioner.client("backup", region).create_backup_vault(**args)["BackupVaultArn"]
    provisioner.exact[res.id] = name
    return name, {"arn": arn, "name": name}


def read_tags(backup: Any, resource: Resource) -> dict[str, str]:
    return dict(backup.list_tags(ResourceArn=resource.arn).get("Tags") or {})


def write_tags(resource: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"ResourceArn": resource.arn, "Tags": dict(sorted(new.items()))}


def cfn_vault(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {"name": p.get("BackupVaultName") or context.own_id,
                               "kmsKeyArn": p.get("EncryptionKeyArn"), "tags": p.get("BackupVaultTags") or {}})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="backup vault",
    properties=dict(KEY_PROPERTIES),
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_backup_vault",
                       inputs=inputs(name=("name",), kmsKeyArn=KEY_GROUPS), sandbox=provision, sandbox_rank=60),),
    arn=vault_arn,
    live=LiveCollector("scanners.backup", "collect_vaults", listing="backup vaults"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_backup_vault"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_vault, physical_name="BackupVaultName"),)),
    tagging=Tagging("backup", read_tags, write_tags, by_arn=True),
)
