"""AWS Backup: vaults (the key that encrypts every recovery point in them) and plans (the copy
actions that send recovery points to vaults in other regions or accounts).

Calls per region: ListBackupVaults (paginated; it answers each vault's key) and ListBackupPlans
(paginated); per plan: GetBackupPlan (its rules and copy actions) and ListTags (the local
cloud's Resource Groups Tagging API returns vaults, whose tags come from the region's pass, but
not plans).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.backup_plan import CFN_TYPE as PLAN_TYPE
from luxguard.resources.backup_plan import copy_facts
from luxguard.resources.backup_vault import CFN_TYPE as VAULT_TYPE
from luxguard.resources.backup_vault import DEFAULT_KEY

from scanners.calls import FAILED, NOT_CONFIGURED, read_group
from scanners.context import Shared
from scanners.keys import resolved_key


def _tags(backup: Any, resource: Resource) -> dict[str, str]:
    answer = read_group(resource, "tags", lambda: backup.list_tags(ResourceArn=resource.arn))
    if answer is FAILED:
        for derived in ("classification", "role"):
            resource.collection_errors[derived] = resource.collection_errors["tags"]
    return {} if answer in (FAILED, NOT_CONFIGURED) else {str(k): str(v) for k, v in (answer.get("Tags") or {}).items()}


def _vault(entry: dict[str, Any], region: str, shared: Shared) -> Resource:
    name = entry["BackupVaultName"]
    resource = Resource(type=VAULT_TYPE, id=name, region=region, arn=entry.get("BackupVaultArn"))
    key = entry.get("EncryptionKeyArn") or DEFAULT_KEY
    resource.properties = {**common_properties(name, region, shared.tags.region(region).apply(resource, resource.arn)),
                           **resolved_key(resource, shared.keys, key, region)}
    return resource


def collect_vaults(shared: Shared, region: str) -> list[Resource]:
    backup = shared.clients.client("backup", region)
    entries = [v for page in backup.get_paginator("list_backup_vaults").paginate() for v in page.get("BackupVaultList", [])]
    return [_vault(entry, region, shared) for entry in sorted(entries, key=lambda e: e["BackupVaultName"])]


def _plan(backup: Any, entry: dict[str, Any], region: str) -> Resource:
    name = entry.get("BackupPlanName") or entry["BackupPlanId"]
    resource = Resource(type=PLAN_TYPE, id=name, region=region, arn=entry.get("BackupPlanArn"))
    resource.properties = {**common_properties(name, region, _tags(backup, resource)), "copy_regions": [],
                           "sharing": {"grants": []}}
    plan = read_group(resource, "copy_regions", lambda: backup.get_backup_plan(BackupPlanId=entry["BackupPlanId"]))
    if plan is FAILED:
        resource.collection_errors["sharing"] = resource.collection_errors["copy_regions"]
        return resource
    rules = (plan.get("BackupPlan") or {}).get("Rules") or [] if plan is not NOT_CONFIGURED else []
    destinations = sorted({str(a.get("DestinationBackupVaultArn")) for rule in rules
                           for a in rule.get("CopyActions") or [] if a.get("DestinationBackupVaultArn")})
    facts, error = copy_facts(destinations)
    resource.properties.update(facts)
    if error:
        resource.collection_errors.update(copy_regions=error, sharing=error)
    return resource


def collect_plans(shared: Shared, region: str) -> list[Resource]:
    backup = shared.clients.client("backup", region)
    entries = [p for page in backup.get_paginator("list_backup_plans").paginate() for p in page.get("BackupPlansList", [])]
    return [_plan(backup, entry, region) for entry in sorted(entries, key=lambda e: e.get("BackupPlanName") or "")]
