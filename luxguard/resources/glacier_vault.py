"""AWS::Glacier::Vault: an S3 Glacier vault (the pre-S3 archive service): archives of backups and
exports kept for years, judged on where they are. Glacier always encrypts archives (AES-256, AWS's
keys: there is no customer key to choose), and CloudFormation has no vault type.

Neither the vault's tags nor its access policy are read by the scan: the local cloud implements
neither ListTagsForVault nor GetVaultAccessPolicy, so neither could be tested (an approval cannot
be limited to a vault's data categories; its external access is not judged). The enforcer's
residency tag uses Glacier's own tag API (ListTagsForVault, AddTagsToVault), which for the same
reason runs only against AWS, never in this repository's tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.base import (
    CloudFormationForm,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::Glacier::Vault"
PULUMI_TYPE = "aws:glacier/vault:Vault"


def vault_arn(region: Any, account: str, name: str) -> str:
    return f"arn:aws:glacier:{region}:{account}:vaults/{name}"


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    resource.id = str(res.inputs.get("name") or res.name)
    resource.properties.update({**common_properties(resource.id, resource.region, {}),   # tags: not read live either
                                "encrypted": True})
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = str(values.get("name") or res.name)
    provisioner.client("glacier", region).create_vault(accountId="-", vaultName=name)
    provisioner.exact[res.id] = name
    return name, {"arn": vault_arn(region, provisioner.account, name), "name": name}


def read_tags(glacier: Any, vault: Resource) -> dict[str, str]:
    return {str(k): str(v) for k, v in (glacier.list_tags_for_vault(vaultName=vault.id).get("Tags") or {}).items()}


def write_tags(vault: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "AddTagsToVault", {"vaultName": vault.id, "Tags": dict(sorted(new.items()))}


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="Glacier vault",
    properties={"encrypted": "bool"},   # always: Glacier encrypts every archive
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_glacier_vault",
                       inputs=inputs(name=("name",)), sandbox=provision, sandbox_rank=60),),
    arn=vault_arn,
    live=LiveCollector("scanners.glacier", "collect_vaults", listing="glacier"),
    drift=Drift(missing_category="retention"),
    terraform=TerraformForm("aws_glacier_vault"),
    cloudformation=CloudFormationForm(),   # CloudFormation has no Glacier vault type
    tagging=Tagging("glacier", read_tags, write_tags),
)
